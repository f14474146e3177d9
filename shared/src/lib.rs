//! enrolshop core: the domain, the use cases, the ports they need and the adapters that
//! implement them. See `DESIGN.md` §2 for the rules this crate follows.

pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod gateways;
pub mod invoice;
pub mod ports;
pub mod web;
