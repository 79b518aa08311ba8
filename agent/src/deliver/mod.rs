//! Delivery: when to send ([`schedule`], [`backoff`]), what to send and what the answer
//! means ([`plan`]), and the transports ([`http`]).

pub mod backoff;
pub mod http;
pub mod plan;
pub mod schedule;
