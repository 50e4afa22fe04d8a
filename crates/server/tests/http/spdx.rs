//! SPDX 3 export and import, through the real server.
