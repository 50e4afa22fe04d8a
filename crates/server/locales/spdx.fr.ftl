# Export et import SPDX 3 (zone : spdx)
