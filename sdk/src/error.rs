//! The error a plugin returns to the host (WIT `plugin-error`).

use crate::calendar::CalendarError;

/// What kind of failure a [`PluginError`] is (WIT `error-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The complaint is not one this plugin can judge.
    InvalidComplaint,
    /// The clock events contradict each other or break the region's rules.
    InvalidEvent,
    /// A date falls outside the years the holiday calendar covers.
    CalendarOutOfRange,
    /// A configuration value is missing or malformed.
    InvalidConfig,
    /// A fault inside the plugin.
    Internal,
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ErrorKind::InvalidComplaint => "invalid complaint",
            ErrorKind::InvalidEvent => "invalid clock event",
            ErrorKind::CalendarOutOfRange => "calendar out of range",
            ErrorKind::InvalidConfig => "invalid configuration",
            ErrorKind::Internal => "internal plugin error",
        })
    }
}

/// An error returned by a plugin. Its message never holds personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct PluginError {
    /// The kind of failure.
    pub kind: ErrorKind,
    /// A human explanation.
    pub message: String,
}

impl PluginError {
    /// Builds an error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// An [`ErrorKind::InvalidComplaint`] error.
    pub fn invalid_complaint(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidComplaint, message)
    }

    /// An [`ErrorKind::InvalidEvent`] error.
    pub fn invalid_event(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidEvent, message)
    }

    /// An [`ErrorKind::InvalidConfig`] error.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidConfig, message)
    }
}

impl From<CalendarError> for PluginError {
    fn from(err: CalendarError) -> Self {
        let kind = match err {
            CalendarError::YearNotCovered { .. } => ErrorKind::CalendarOutOfRange,
            CalendarError::TimestampOutOfRange(_) => ErrorKind::InvalidComplaint,
            CalendarError::UnknownTimeZone(_) | CalendarError::InvalidSetting { .. } => {
                ErrorKind::InvalidConfig
            }
        };
        PluginError::new(kind, err.to_string())
    }
}
