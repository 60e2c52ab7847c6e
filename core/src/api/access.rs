//! Who may call what: the one table of routes and the permission each needs, and the one
//! middleware that enforces it.
//!
//! For every request the middleware gives it an id, finds the route's row, authenticates
//! the bearer token (API token or JWT), asks the policy for the caller's [`Scope`] for the
//! row's (object, action), and refuses with 401 (no valid token) or 403 (no role allows the
//! action anywhere). The decision never depends on the complaint asked for: a complaint
//! outside the caller's scope is answered by the service layer exactly like a missing one.

use std::future::{Ready, ready};
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError};
use rand::RngCore;
use tracing::Instrument;

use super::AppState;
use super::error::ApiError;
use crate::auth::Principal;
use crate::service::{Actor, Caller, Scope};

/// Where a route's permission applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// No token needed: health and readiness.
    Public,
    /// Any valid token, whatever its roles: the OpenAPI document.
    Authenticated,
    /// No bearer token: the customer shows the tracking token given at filing.
    Tracking,
    /// Granted per domain; the service scopes the data to the caller's domains.
    Domain,
    /// Granted only across every domain (`*`): plugins, tokens, policy, the whole trail.
    Global,
}

/// One row of the permission table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub method: &'static str,
    /// The route pattern as registered in [`super::app`].
    pub path: &'static str,
    pub object: &'static str,
    pub action: &'static str,
    pub reach: Reach,
    /// A second permission the handler may need depending on the request (granting a
    /// plugin personal data); computed here with the first, read by the handler.
    pub also: Option<(&'static str, &'static str)>,
    /// Whether the route reads query parameters. Its handler then checks their names
    /// itself; any other route refuses a query string here, so a misspelt filter on
    /// a route that takes none is not silently ignored.
    pub query: bool,
}

const fn rule(
    method: &'static str,
    path: &'static str,
    object: &'static str,
    action: &'static str,
    reach: Reach,
) -> Rule {
    Rule {
        method,
        path,
        object,
        action,
        reach,
        also: None,
        query: false,
    }
}

/// `rule` for a route that reads query parameters.
const fn queried(rule: Rule) -> Rule {
    Rule {
        query: true,
        ..rule
    }
}

use Reach::{Authenticated, Domain, Global, Public, Tracking};

/// Every route of the API and the permission it needs. A route missing here is refused.
pub const RULES: &[Rule] = &[
    rule("GET", "/healthz", "", "", Public),
    rule("GET", "/readyz", "", "", Public),
    rule("GET", "/openapi.json", "", "", Authenticated),
    rule("GET", "/v1/track/{reference}", "tracking", "read", Tracking),
    rule("POST", "/v1/complaints", "complaint", "create", Domain),
    queried(rule("GET", "/v1/complaints", "complaint", "list", Domain)),
    queried(rule("GET", "/v1/reports/counts", "report", "read", Domain)),
    rule("GET", "/v1/complaints/{id}", "complaint", "read", Domain),
    rule(
        "PATCH",
        "/v1/complaints/{id}",
        "complaint",
        "update",
        Domain,
    ),
    rule(
        "POST",
        "/v1/complaints/{id}/transitions",
        "complaint",
        "transition",
        Domain,
    ),
    rule(
        "POST",
        "/v1/complaints/{id}/notes",
        "complaint",
        "note",
        Domain,
    ),
    queried(rule(
        "GET",
        "/v1/complaints/{id}/events",
        "complaint",
        "read",
        Domain,
    )),
    rule(
        "GET",
        "/v1/complaints/{id}/deadlines",
        "complaint",
        "read",
        Domain,
    ),
    rule(
        "POST",
        "/v1/complaints/{id}/clock",
        "complaint",
        "clock",
        Domain,
    ),
    rule(
        "GET",
        "/v1/complaints/{id}/audit-proof",
        "audit",
        "read",
        Domain,
    ),
    queried(rule("GET", "/v1/deadlines", "complaint", "list", Domain)),
    rule(
        "POST",
        "/v1/complaints/{id}/erase",
        "subject",
        "erase",
        Domain,
    ),
    rule(
        "GET",
        "/v1/customers/{id}/export",
        "subject",
        "export",
        Domain,
    ),
    rule(
        "POST",
        "/v1/customers/{id}/erase",
        "subject",
        "erase",
        Domain,
    ),
    queried(rule("GET", "/v1/audit/records", "audit", "read", Domain)),
    rule("GET", "/v1/audit/verify", "audit", "verify", Global),
    queried(rule("GET", "/v1/audit/export", "audit", "export", Global)),
    rule("POST", "/v1/audit/checkpoints", "audit", "seal", Global),
    rule(
        "POST",
        "/v1/complaints/{id}/tasks",
        "task",
        "create",
        Domain,
    ),
    rule("GET", "/v1/complaints/{id}/tasks", "task", "read", Domain),
    queried(rule("GET", "/v1/tasks", "task", "list", Domain)),
    rule("GET", "/v1/tasks/{task_id}", "task", "read", Domain),
    rule("POST", "/v1/tasks/{task_id}/claim", "task", "claim", Domain),
    rule(
        "POST",
        "/v1/tasks/{task_id}/answer",
        "task",
        "answer",
        Domain,
    ),
    rule(
        "POST",
        "/v1/tasks/{task_id}/cancel",
        "task",
        "cancel",
        Domain,
    ),
    queried(rule("GET", "/v1/escalations", "escalation", "read", Domain)),
    rule(
        "POST",
        "/v1/escalations/{escalation_id}/acknowledge",
        "escalation",
        "acknowledge",
        Domain,
    ),
    rule("GET", "/v1/admin/metrics", "plugin", "read", Global),
    rule("GET", "/v1/admin/plugins", "plugin", "read", Global),
    Rule {
        also: Some(("plugin", "approve")),
        ..rule("POST", "/v1/admin/plugins", "plugin", "manage", Global)
    },
    rule(
        "DELETE",
        "/v1/admin/plugins/{name}",
        "plugin",
        "manage",
        Global,
    ),
    rule(
        "POST",
        "/v1/admin/plugins/{name}/enable",
        "plugin",
        "manage",
        Global,
    ),
    rule(
        "POST",
        "/v1/admin/plugins/{name}/disable",
        "plugin",
        "manage",
        Global,
    ),
    rule("GET", "/v1/admin/tokens", "token", "read", Global),
    rule("POST", "/v1/admin/tokens", "token", "manage", Global),
    rule("DELETE", "/v1/admin/tokens/{id}", "token", "manage", Global),
    rule("GET", "/v1/admin/policies", "policy", "read", Global),
    rule("POST", "/v1/admin/policies", "policy", "manage", Global),
    rule("DELETE", "/v1/admin/policies", "policy", "manage", Global),
];

/// The row for a method and route pattern.
pub fn rule_for(method: &Method, pattern: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.path == pattern && r.method == method.as_str())
}

/// The authenticated caller, as the middleware left it for the handler.
#[derive(Debug, Clone)]
pub struct Authorized {
    pub caller: Caller,
    /// Whether the row's second permission (`also`) is granted.
    pub also: bool,
}

impl FromRequest for Authorized {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Authorized>()
                .cloned()
                .ok_or_else(ApiError::unauthenticated),
        )
    }
}

fn request_id() -> String {
    let mut bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn bearer(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Decides whether the request may go on, and with which caller.
async fn authorize(req: &ServiceRequest, rule: &Rule) -> Result<Option<Authorized>, ApiError> {
    if matches!(rule.reach, Public | Tracking) {
        return Ok(None);
    }
    let state = req
        .app_data::<Data<AppState>>()
        .ok_or_else(ApiError::unauthenticated)?;
    let token = bearer(req).ok_or_else(ApiError::unauthenticated)?;
    let Principal { subject, roles } = state
        .auth
        .authenticate(&token)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    if rule.reach == Authenticated {
        return Ok(Some(Authorized {
            caller: Caller {
                actor: Actor(subject),
                scope: Scope::none(),
                pii: Scope::none(),
            },
            also: false,
        }));
    }
    let policy = &state.auth.policy;
    let scope = policy.scope(&subject, &roles, rule.object, rule.action);
    let allowed = match rule.reach {
        Global => scope.is_all(),
        _ => !scope.is_empty(),
    };
    if !allowed {
        tracing::info!(subject = %subject, object = rule.object, action = rule.action, "request refused by policy");
        return Err(ApiError::forbidden());
    }
    let pii = policy.scope(&subject, &roles, "pii", "read");
    let also = rule.also.is_some_and(|(object, action)| {
        let s = policy.scope(&subject, &roles, object, action);
        if rule.reach == Global {
            s.is_all()
        } else {
            !s.is_empty()
        }
    });
    Ok(Some(Authorized {
        caller: Caller {
            actor: Actor(subject),
            scope,
            pii: if pii.is_empty() { Scope::none() } else { pii },
        },
        also,
    }))
}

/// The middleware: request id, authentication, the permission check, and request logging.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let started = Instant::now();
    // The route pattern, not the path: paths carry references and ids.
    let pattern = req.match_pattern();
    let route = pattern.clone().unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let id = request_id();
    let span = tracing::info_span!(
        "http.request",
        otel.kind = "server",
        http.method = %method,
        http.route = %route,
    );
    // A caller's trace continues here.
    crate::telemetry::continue_trace(
        &span,
        req.headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?))),
    );
    let decision = match &pattern {
        // Unknown paths get the framework's 404; a known path with a method it does not
        // serve gets its 405. Neither reaches a handler.
        None => Ok(None),
        Some(p) => match rule_for(&method, p) {
            Some(rule) => authorize(&req, rule).await.and_then(|authorized| {
                let asked = req.query_string().split('&').any(|part| !part.is_empty());
                if asked && !rule.query {
                    return Err(ApiError::new(
                        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                        "unknown_parameter",
                        "this route takes no query parameters",
                        None,
                    ));
                }
                Ok(authorized)
            }),
            None if RULES.iter().any(|r| r.path == p.as_str()) => Ok(None),
            None => {
                tracing::error!(%route, "route without an access rule refused");
                Err(ApiError::forbidden())
            }
        },
    };
    let mut res = match decision {
        Err(e) => {
            let response = e.error_response();
            req.into_response(response).map_into_right_body()
        }
        Ok(authorized) => {
            if let Some(a) = authorized {
                req.extensions_mut().insert(a);
            }
            crate::audit::REQUEST_ID
                .scope(id.clone(), next.call(req).instrument(span))
                .await?
                .map_into_left_body()
        }
    };
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %route, status, elapsed_ms, request_id = %id, "request failed");
    } else {
        tracing::debug!(%method, %route, status, elapsed_ms, request_id = %id, "request");
    }
    if let Ok(value) = id.parse() {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            value,
        );
    }
    Ok(res)
}
