//! Workspace integration tests, compiled into one binary. Every test runs against SQLite and
//! PostgreSQL (127.0.0.1:5432, database `test`), each in a store of its own.

mod support;

mod access;
mod audit;
mod bad_input;
mod compliance;
mod filing;
mod guest;
mod import;
mod lifecycle;
mod listing;
mod logs;
mod personal;
mod tracking;
