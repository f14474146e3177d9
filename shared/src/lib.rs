//! enrolshop core: the domain, the use cases, the ports they need and the adapters that
//! implement them. ARCHITECTURE.md ("Layers") says what goes where.

pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod gateways;
pub mod invoice;
pub mod ports;
pub mod web;
