//! Adapters: implementations of the ports.

pub mod aws;
pub mod dynamo;
pub mod embedded;
pub mod gateway_api;
pub mod https;
pub mod mail;
pub mod memory_queue;
pub mod moodle;
pub mod sqs;
