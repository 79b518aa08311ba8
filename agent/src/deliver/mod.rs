//! Delivery: when to send ([`schedule`], [`backoff`]), what to send and what the answer
//! means ([`plan`]), the PUBACK bookkeeping of MQTT ([`puback`]),
//! and the transports (`http`, `mqtt`).

pub mod backoff;
#[cfg(feature = "tls")]
pub mod ca;
pub mod http;
#[cfg(feature = "mqtt")]
pub mod mqtt;
#[cfg(all(feature = "mqtt", feature = "tls"))]
pub mod mqtt_tls;
pub mod plan;
pub mod puback;
pub mod schedule;
