# SPDX 3 export and import (area: spdx)
