//! Errors of the service layer. The API turns each into one HTTP status in one place.

use sea_orm::DbErr;

use crate::domain::{Status, TransitionError};

/// What went wrong with a request to the service layer.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input breaks a rule; `field` names where.
    #[error("{message}")]
    Invalid {
        field: String,
        code: &'static str,
        message: String,
    },
    #[error("complaint not found")]
    NotFound,
    /// Something other than a complaint (a task, an escalation) is not there.
    #[error("{what} not found")]
    Missing { what: &'static str },
    /// The caller may not do this here. Never used for a complaint outside the caller's
    /// domain: that is [`ServiceError::NotFound`], so ids cannot be probed.
    #[error("{message}")]
    Forbidden {
        field: Option<String>,
        message: String,
    },
    /// The lifecycle does not allow the move now.
    #[error("{source}")]
    Transition {
        #[source]
        source: TransitionError,
    },
    /// Someone else changed the complaint first, or a key was reused for another request.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The complaint's personal data was erased (its data key destroyed): it takes no new
    /// personal text. `field` names the text refused.
    #[error("this complaint's personal data was erased; it takes no new {field}")]
    Erased { field: &'static str },
    /// The final response lacks elements the region's rules require.
    #[error("the final response lacks {}", missing.iter().map(|m| m.code.as_str()).collect::<Vec<_>>().join(", "))]
    Incomplete {
        missing: Vec<crate::compliance::MissingElement>,
    },
    /// A storage failure. Its text is logged, never shown, since it may quote values.
    #[error("storage failure")]
    Database(#[from] DbErr),
}

impl ServiceError {
    pub fn invalid(
        field: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    /// The states the complaint may move to instead, for a refused transition.
    pub fn allowed_states(&self) -> Option<&[Status]> {
        match self {
            Self::Transition { source } => Some(source.allowed()),
            _ => None,
        }
    }
}

impl From<TransitionError> for ServiceError {
    fn from(source: TransitionError) -> Self {
        Self::Transition { source }
    }
}
