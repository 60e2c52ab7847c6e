//! Redress core host: complaints, their lifecycle and history, customers, the importer for
//! CFPB exports, and the REST API.
//!
//! The layers follow `docs/architecture.md`: [`domain`] holds the rules without I/O,
//! [`service`] runs one use case per function inside one database transaction, [`store`]
//! owns the schema, and [`api`] and [`import`] translate the outside world into service
//! calls.

pub mod api;
pub mod audit;
pub mod auth;
pub mod bus;
pub mod cli;
pub mod compliance;
pub mod config;
pub mod dept;
pub mod domain;
pub mod error;
pub mod import;
pub mod keys;
pub mod plugins;
pub mod service;
pub mod store;
pub mod telemetry;
pub mod workers;

pub use config::Settings;
pub use error::ServiceError;
