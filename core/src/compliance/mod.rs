//! The core's side of the compliance plugins: builds the view a plugin sees, calls the
//! plugin host off the async runtime, and falls back to the region's strictest known
//! deadlines when no plugin answers.
//!
//! A failing plugin never stops the complaint flow. Its failure comes back in
//! [`Computed::failure`] or [`Closure::Fallback`] so the service layer can write it on
//! the complaint's history in the same transaction as the change that asked.

mod elements;
mod fallback;
mod view;

use std::sync::Arc;
use tracing::Instrument;

use chrono::{DateTime, Utc};
use redress_plugin_host::{CallError, PluginHost};

use crate::domain::clock::ClockEntry;
use crate::domain::deadline::{self, Deadline};
use crate::domain::{Outcome, Region, ResponseCategory};

pub use elements::{ELEMENT_CODES, is_element_code};
pub use view::ComplaintFacts;

/// Deadlines for a complaint and where they came from.
#[derive(Debug, Clone)]
pub struct Computed {
    pub deadlines: Vec<Deadline>,
    /// `plugin:<name>@<version>` or `fallback:<REGION>`.
    pub source: String,
    /// Why the region's plugin gave no answer, when it should have. Free of personal data:
    /// it names the plugin and the kind of failure.
    pub failure: Option<String>,
}

/// What the region's rules say about a final response about to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closure {
    /// Nothing is missing.
    Complete,
    /// These elements are missing; the response cannot go out as it is.
    Missing(Vec<MissingElement>),
    /// The region's plugin gave no answer (it failed, or is disabled or quarantined), so
    /// the response was checked against the region's fixed list of required elements
    /// instead. `missing` empty: it may go out, and the failure is recorded with the
    /// fallback check.
    Fallback {
        reason: String,
        missing: Vec<MissingElement>,
    },
    /// No plugin serves the region (or no plugin host is configured): nothing to check
    /// against.
    Unchecked { reason: String },
}

/// An element a final response lacks, and the rule requiring it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MissingElement {
    pub code: String,
    pub message: String,
    pub rule: String,
}

/// The final response as the closure check sees it.
#[derive(Debug, Clone)]
pub struct ResponseFacts {
    pub outcome: Outcome,
    pub sent_at: DateTime<Utc>,
    pub elements: Vec<String>,
    pub redress: Option<(i64, String)>,
    pub response_category: Option<ResponseCategory>,
}

/// How long a closed complaint's records are kept, and why.
#[derive(Debug, Clone)]
pub struct Retention {
    pub until: DateTime<Utc>,
    pub rule: String,
    /// Why the region's plugin gave no answer, when it should have.
    pub failure: Option<String>,
}

/// Kept when no plugin answers: the longest period any bundled plugin gives (5 years
/// from closure: DISP 1.9.1R(2) for MiFID business, and the EU, CN and SG plugins'
/// defaults). Keeping too long is the recoverable mistake; erasing too early is not.
const FALLBACK_RETENTION_DAYS: i64 = 5 * 365 + 2;

/// Compliance rules for every region: the plugin host when one is configured.
#[derive(Clone, Default)]
pub struct Compliance {
    host: Option<Arc<PluginHost>>,
}

impl Compliance {
    /// Rules from the plugins installed in `host`.
    pub fn with_host(host: Arc<PluginHost>) -> Self {
        Self { host: Some(host) }
    }

    /// No plugins: every region gets its fallback deadlines and closures go unchecked.
    pub fn fallback_only() -> Self {
        Self { host: None }
    }

    pub fn host(&self) -> Option<&Arc<PluginHost>> {
        self.host.as_ref()
    }

    /// The complaint's deadlines given its clock history.
    pub async fn deadlines(
        &self,
        region: Region,
        facts: ComplaintFacts,
        clock: &[ClockEntry],
    ) -> Computed {
        let received_at = facts.received_at;
        let fallback = |failure: Option<String>| Computed {
            deadlines: deadline::fallback(region, received_at),
            source: format!("fallback:{}", <&str>::from(region)),
            failure,
        };
        let Some(host) = self.host.clone() else {
            return fallback(None);
        };
        let code: &'static str = region.into();
        if host.compliance_for(code).is_none() {
            // No plugin serves the region: answered here, without a trip to a blocking thread
            // while the caller holds the database's write turn.
            return fallback(None);
        }
        let events = view::clock_events(clock);
        let answer = tokio::task::spawn_blocking(move || {
            let view = facts.into_view(code);
            host.deadlines_answered(code, &view, &events)
        })
        .instrument(tracing::info_span!("plugin.call", region = code))
        .await;
        match answer {
            // The label comes with the answer: during a hot reload the version that ran
            // the call is the one to record, whatever the registry says a moment later.
            Ok(Ok(answer)) => Computed {
                deadlines: answer
                    .value
                    .into_iter()
                    .map(view::deadline_from_host)
                    .collect(),
                source: format!("plugin:{}@{}", answer.plugin, answer.version),
                failure: None,
            },
            Ok(Err(CallError::NoPlugin { .. })) => fallback(None),
            Ok(Err(e)) => {
                tracing::warn!(region = code, error = %e, "compliance plugin failed; using fallback deadlines");
                fallback(Some(e.to_string()))
            }
            Err(join) => fallback(Some(format!("the plugin call was lost: {join}"))),
        }
    }

    /// How long to keep the records of a complaint closed at `closed_at`.
    pub async fn retention(
        &self,
        region: Region,
        facts: ComplaintFacts,
        closed_at: DateTime<Utc>,
    ) -> Retention {
        let received_at = facts.received_at;
        let fallback = |failure: Option<String>| Retention {
            until: closed_at + chrono::Duration::days(FALLBACK_RETENTION_DAYS),
            rule: "fallback: 5 years from closure, the longest period the bundled plugins give"
                .into(),
            failure,
        };
        let Some(host) = self.host.clone() else {
            return fallback(None);
        };
        let code: &'static str = region.into();
        let answer = tokio::task::spawn_blocking(move || {
            let view = facts.into_view(code);
            host.retention(code, &view)
        })
        .instrument(tracing::info_span!("plugin.call", region = code))
        .await;
        match answer {
            Ok(Ok(period)) => {
                let anchor = match period.anchor {
                    redress_plugin_host::RetentionAnchor::Received => received_at,
                    redress_plugin_host::RetentionAnchor::Closed => closed_at,
                };
                Retention {
                    until: anchor + chrono::Duration::days(i64::from(period.keep_for_days)),
                    rule: period.rule,
                    failure: None,
                }
            }
            Ok(Err(CallError::NoPlugin { .. })) => fallback(None),
            Ok(Err(e)) => {
                tracing::warn!(region = code, error = %e, "retention call failed; keeping the fallback period");
                fallback(Some(e.to_string()))
            }
            Err(join) => fallback(Some(format!("the plugin call was lost: {join}"))),
        }
    }

    /// Checks a final response against the region's rules: its plugin's, or the region's
    /// fixed list when the plugin gives no answer.
    pub async fn check_closure(
        &self,
        region: Region,
        facts: ComplaintFacts,
        response: ResponseFacts,
    ) -> Closure {
        let Some(host) = self.host.clone() else {
            return Closure::Unchecked {
                reason: "no plugin host is configured".into(),
            };
        };
        let code: &'static str = region.into();
        let tags = facts.tags.clone();
        let wire = view::response_to_host(response.clone());
        let answer = tokio::task::spawn_blocking(move || {
            let view = facts.into_view(code);
            host.check_closure(code, &view, &wire)
        })
        .instrument(tracing::info_span!("plugin.call", region = code))
        .await;
        let reason = match answer {
            Ok(Ok(missing)) if missing.is_empty() => return Closure::Complete,
            Ok(Ok(missing)) => {
                return Closure::Missing(
                    missing
                        .into_iter()
                        .map(|m| MissingElement {
                            code: m.code,
                            message: m.message,
                            rule: m.rule,
                        })
                        .collect(),
                );
            }
            Ok(Err(e @ CallError::NoPlugin { .. })) => {
                return Closure::Unchecked {
                    reason: e.to_string(),
                };
            }
            Ok(Err(e)) => e.to_string(),
            Err(join) => format!("the plugin call was lost: {join}"),
        };
        let missing = fallback::missing(region, &response, &tags);
        tracing::warn!(
            region = code,
            error = %reason,
            missing = missing.len(),
            "closure check failed; response checked against the region's fallback list"
        );
        Closure::Fallback { reason, missing }
    }
}
