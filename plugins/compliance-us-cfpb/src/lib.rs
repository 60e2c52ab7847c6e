//! Compliance plugin (in progress).
