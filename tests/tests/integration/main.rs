//! Workspace integration tests, compiled into one binary. Every test runs against SQLite and
//! PostgreSQL (127.0.0.1:5432, database `test`), each in a store of its own.

mod support;

mod access;
mod audit;
mod bad_bodies;
mod bad_input;
mod bus;
mod capture;
mod compliance;
mod concurrency;
mod control;
mod error_rules;
mod filing;
mod guest;
mod history;
mod hostile;
mod import;
mod import_rows;
mod input_limits;
mod lifecycle;
mod lifecycle_refusals;
mod listing;
mod logs;
mod personal;
mod plugin_versions;
mod privacy;
mod tasks;
mod traces;
mod tracking;
