//! Every error the API answers with has one shape: `{"error": {"code", "message", "field"}}`.
//! Service errors map to HTTP statuses here and nowhere else.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::compliance::MissingElement;
use crate::domain::Status;
use crate::error::ServiceError;

/// An error as the client sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `invalid_json`, `required`, `transition_not_allowed`...
    pub code: String,
    pub message: String,
    /// The request field at fault (a JSON path such as `customer.email`), if one is.
    pub field: Option<String>,
    /// For a refused transition: the states allowed instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<Status>>,
    /// For a final response the region's rules refuse: what it lacks, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<MissingElement>>,
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    /// The lists some refusals carry; boxed because most errors have none.
    pub lists: Option<Box<ErrorLists>>,
}

/// Lists an error may carry beside its message.
#[derive(Debug, Default)]
pub struct ErrorLists {
    pub allowed: Option<Vec<Status>>,
    pub missing: Option<Vec<MissingElement>>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        field: Option<String>,
    ) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            field,
            lists: None,
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>, field: Option<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message, field)
    }

    /// No valid credentials: the same answer for a missing, malformed, expired or revoked
    /// token.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send a valid token as Authorization: Bearer <token>",
            Some("Authorization".into()),
        )
    }

    /// The caller's roles do not allow this action anywhere.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your roles do not allow this action",
            None,
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such complaint",
            None,
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        let allowed = err.allowed_states().map(<[Status]>::to_vec);
        let message = err.to_string();
        match err {
            ServiceError::Invalid {
                field,
                code,
                message,
            } => Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message, Some(field)),
            ServiceError::NotFound => Self::not_found(),
            ServiceError::Missing { what } => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no such {what}"),
                None,
            ),
            ServiceError::Forbidden { field, message } => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", message, field)
            }
            ServiceError::Transition { source } => Self {
                lists: Some(Box::new(ErrorLists {
                    allowed,
                    missing: None,
                })),
                ..Self::new(
                    StatusCode::CONFLICT,
                    source.code(),
                    source.to_string(),
                    Some("to".into()),
                )
            },
            ServiceError::Conflict { code, message } => {
                let field =
                    (code == "idempotency_key_reused").then(|| "Idempotency-Key".to_owned());
                let status = if field.is_some() {
                    StatusCode::UNPROCESSABLE_ENTITY
                } else {
                    StatusCode::CONFLICT
                };
                Self::new(status, code, message, field)
            }
            ServiceError::Erased { field } => Self::new(
                StatusCode::CONFLICT,
                "complaint_erased",
                message,
                Some(field.to_owned()),
            ),
            ServiceError::Incomplete { missing } => Self {
                lists: Some(Box::new(ErrorLists {
                    allowed: None,
                    missing: Some(missing),
                })),
                ..Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "final_response_incomplete",
                    message,
                    Some("final_response_elements".into()),
                )
            },
            ServiceError::Database(db) => {
                // The database's text can quote values from the request, so no level of the
                // log gets it: only the kind of failure and the database's error code.
                let (kind, code) = storage_failure(&db);
                tracing::error!(kind, code = code.as_deref(), "storage failure");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    "the store could not complete the request; retry later",
                    None,
                )
            }
        }
    }
}

/// What kind of storage failure this is, and the database's own error code (a PostgreSQL
/// SQLSTATE, an SQLite result code) when it gave one: enough to diagnose, no values.
fn storage_failure(err: &sea_orm::DbErr) -> (&'static str, Option<String>) {
    use sea_orm::{DbErr, RuntimeErr};
    let code = |runtime: &RuntimeErr| match runtime {
        RuntimeErr::SqlxError(e) => e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned()),
        _ => None,
    };
    match err {
        DbErr::ConnectionAcquire(_) => ("connection_acquire", None),
        DbErr::Conn(e) => ("connection", code(e)),
        DbErr::Exec(e) => ("execute", code(e)),
        DbErr::Query(e) => ("query", code(e)),
        DbErr::RecordNotFound(_) | DbErr::RecordNotInserted | DbErr::RecordNotUpdated => {
            ("record", None)
        }
        DbErr::TryIntoErr { .. } | DbErr::Type(_) | DbErr::Json(_) => ("conversion", None),
        DbErr::Migration(_) => ("migration", None),
        _ => ("other", None),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(ErrorBody {
            error: ErrorDetail {
                code: self.code.clone(),
                message: self.message.clone(),
                field: self.field.clone(),
                allowed: self.lists.as_ref().and_then(|l| l.allowed.clone()),
                missing: self.lists.as_ref().and_then(|l| l.missing.clone()),
            },
        })
    }
}

/// Rewrites errors raised outside the handlers (unknown route, wrong method, body too large,
/// framework extractors) into the JSON error shape.
pub fn render_framework_error<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this resource does not accept that method",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "body_too_large",
            "the request body is larger than the server accepts",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "send the body as application/json",
        ),
        s if s.is_client_error() => ("bad_request", "the request could not be read"),
        _ => (
            "internal_error",
            "the server failed to answer; the failure is logged",
        ),
    };
    let body = serde_json::to_string(&ErrorBody {
        error: ErrorDetail {
            code: code.into(),
            message: message.into(),
            field: None,
            allowed: None,
            missing: None,
        },
    })
    .unwrap_or_default();
    let (req, res) = res.into_parts();
    let res = res.set_body(body);
    let mut res = ServiceResponse::new(req, res)
        .map_into_boxed_body()
        .map_into_right_body();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(ErrorHandlerResponse::Response(res))
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use sea_orm::{DbErr, RuntimeErr};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn storage_failures_log_their_kind_never_the_database_text() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let answers = tracing::subscriber::with_default(subscriber, || {
            [
                DbErr::Exec(RuntimeErr::Internal(
                    "duplicate key value (customer_number)=(Jane Q Customer)".into(),
                )),
                DbErr::Query(RuntimeErr::Internal(
                    "invalid input syntax: \"Jane Q Customer\"".into(),
                )),
                DbErr::Custom("Jane Q Customer".into()),
            ]
            .map(|e| ApiError::from(ServiceError::Database(e)))
        });
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(log.matches("storage failure").count(), 3, "{log}");
        assert!(log.contains("kind=\"execute\""), "{log}");
        assert!(!log.contains("Jane"), "{log}");
        for answer in answers {
            assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(!answer.message.contains("Jane"));
        }
    }
}
