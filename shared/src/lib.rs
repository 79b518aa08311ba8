//! # edgemon-shared: the wire contract
//!
//! What edgemon-agent and edgemon-collector both compile against, and nothing else: no
//! sockets, no files.
//!
//! * [`netjson`]: the NetJSON DeviceMonitoring model (the OpenWISP monitoring payload).
//! * [`validate`]: the reference server's acceptance rules and error messages.
//! * [`time`]: the OpenWISP `time` query parameter codec.
//! * [`envelope`]: the native batch envelope (postcard), with its versioning rules.

#![forbid(unsafe_code)]

pub mod envelope;
pub mod json;
pub mod netjson;
pub mod time;
pub mod validate;
