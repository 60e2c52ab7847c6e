//! Subjects, stream and consumer names, and delivery limits: everything both bus
//! implementations (and the department worker) must agree on. `docs/departments.md`
//! documents them for departments that write their own workers.
//!
//! ```text
//! <prefix>.tasks.<region>.<department>          stream <PREFIX>_TASKS (work queue)
//! <prefix>.task-results.<region>.<department>   stream <PREFIX>_TASK_RESULTS (work queue)
//! <prefix>.events.<region>.complaint.<kind>     stream <PREFIX>_EVENTS (kept for a time)
//! <prefix>.dead-letters.<region>.<department>   stream <PREFIX>_DEAD_LETTERS (kept for a time)
//! <prefix>.control.<notice>                     plain NATS, no stream
//! ```

use std::time::Duration;

use crate::Settings;

/// How a queue redelivers: after `ack_wait` without an answer, up to `max_deliver` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivering {
    pub ack_wait: Duration,
    pub max_deliver: i64,
}

/// A department's queues.
#[derive(Debug, Clone)]
pub struct DepartmentQueues {
    pub name: String,
    /// One consumer per region listed; one for all regions when empty.
    pub regions: Vec<String>,
    pub delivering: Delivering,
}

/// Where a consumer reads from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Queue {
    /// A department's tasks, in one region or in all.
    Tasks {
        department: String,
        region: Option<String>,
    },
    /// Answers from every department, for the core's replicas to share.
    Results,
    /// Tasks that ran out of deliveries: the original message, for the core.
    DeadLetters,
    /// Domain events, for a reader named `name` (a durable consumer of its own).
    Events { name: String },
}

/// The bus's naming and limits, from the settings.
#[derive(Debug, Clone)]
pub struct BusConfig {
    pub prefix: String,
    pub replicas: usize,
    pub duplicate_window: Duration,
    pub events_max_age: Duration,
    pub results: Delivering,
    pub departments: Vec<DepartmentQueues>,
    /// Limits for a department not listed in the settings.
    pub default_department: Delivering,
    /// How to sign in to NATS.
    pub auth: NatsAuth,
}

/// How the client signs in to a NATS server.
#[derive(Clone, Default)]
pub enum NatsAuth {
    /// A server without an `authorization` block.
    #[default]
    Anonymous,
    UserPassword {
        user: String,
        password: String,
    },
}

/// Names the way of signing in, never the password.
impl std::fmt::Debug for NatsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::UserPassword { user, .. } => f
                .debug_struct("UserPassword")
                .field("user", user)
                .finish_non_exhaustive(),
        }
    }
}

/// The streams, by what they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    Tasks,
    Results,
    Events,
    DeadLetters,
    /// JetStream's max-deliveries advisories about the tasks stream, captured so that no
    /// replica misses one.
    Advisories,
}

impl BusConfig {
    /// Defaults around a prefix: what a test or a worker without settings uses.
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            replicas: 1,
            duplicate_window: Duration::from_secs(120),
            events_max_age: Duration::from_secs(7 * 24 * 3600),
            results: Delivering {
                ack_wait: Duration::from_secs(30),
                max_deliver: -1,
            },
            departments: Vec::new(),
            default_department: Delivering {
                ack_wait: Duration::from_secs(30),
                max_deliver: 5,
            },
            auth: NatsAuth::Anonymous,
        }
    }

    pub fn from_settings(settings: &Settings) -> Self {
        let nats = &settings.nats;
        Self {
            prefix: nats.prefix.clone(),
            replicas: nats.replicas,
            duplicate_window: Duration::from_secs(nats.duplicate_window_secs),
            events_max_age: Duration::from_secs(nats.events_max_age_hours * 3600),
            results: Delivering {
                ack_wait: Duration::from_secs(nats.results_ack_wait_secs),
                max_deliver: nats.results_max_deliver,
            },
            departments: settings
                .tasks
                .departments
                .iter()
                .map(|d| DepartmentQueues {
                    name: d.name.clone(),
                    regions: d.regions.clone(),
                    delivering: Delivering {
                        ack_wait: Duration::from_secs(d.ack_wait_secs),
                        max_deliver: d.max_deliver,
                    },
                })
                .collect(),
            auth: match (&nats.user, &nats.password) {
                (Some(user), Some(password)) => NatsAuth::UserPassword {
                    user: user.clone(),
                    password: password.clone(),
                },
                _ => NatsAuth::Anonymous,
            },
            ..Self::new(&nats.prefix)
        }
    }

    /// A subject below the prefix: `tasks.UK.fraud` -> `redress.tasks.UK.fraud`.
    pub fn subject(&self, relative: &str) -> String {
        format!("{}.{relative}", self.prefix)
    }

    pub fn task_subject(&self, region: &str, department: &str) -> String {
        self.subject(&format!("tasks.{region}.{department}"))
    }

    pub fn result_subject(&self, region: &str, department: &str) -> String {
        self.subject(&format!("task-results.{region}.{department}"))
    }

    pub fn dead_letter_subject(&self, region: &str, department: &str) -> String {
        self.subject(&format!("dead-letters.{region}.{department}"))
    }

    /// Where a given-up task is kept: `<prefix>.tasks.UK.fraud` ->
    /// `<prefix>.dead-letters.UK.fraud`.
    pub fn dead_letter_subject_for(&self, task_subject: &str) -> String {
        match self.parse_department_subject("tasks", task_subject) {
            Some((region, department)) => self.dead_letter_subject(region, department),
            None => self.subject("dead-letters.unknown.unknown"),
        }
    }

    pub fn control_subject(&self, notice: &str) -> String {
        self.subject(&format!("control.{notice}"))
    }

    /// Splits `<prefix>.<kind>.<region>.<department>` into region and department.
    pub fn parse_department_subject<'s>(
        &self,
        kind: &str,
        subject: &'s str,
    ) -> Option<(&'s str, &'s str)> {
        let rest = subject
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix('.')?
            .strip_prefix(kind)?
            .strip_prefix('.')?;
        let (region, department) = rest.split_once('.')?;
        (!region.is_empty() && !department.is_empty() && !department.contains('.'))
            .then_some((region, department))
    }

    pub fn stream(&self, kind: StreamKind) -> String {
        let base = self.prefix.to_ascii_uppercase().replace('-', "_");
        let suffix = match kind {
            StreamKind::Tasks => "TASKS",
            StreamKind::Results => "TASK_RESULTS",
            StreamKind::Events => "EVENTS",
            StreamKind::DeadLetters => "DEAD_LETTERS",
            StreamKind::Advisories => "ADVISORIES",
        };
        format!("{base}_{suffix}")
    }

    /// The subjects a stream takes in.
    pub fn stream_subjects(&self, kind: StreamKind) -> String {
        match kind {
            StreamKind::Tasks => self.subject("tasks.>"),
            StreamKind::Results => self.subject("task-results.>"),
            StreamKind::Events => self.subject("events.>"),
            StreamKind::DeadLetters => self.subject("dead-letters.>"),
            StreamKind::Advisories => format!(
                "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{}.*",
                self.stream(StreamKind::Tasks)
            ),
        }
    }

    /// Which stream a queue reads.
    pub fn stream_of(&self, queue: &Queue) -> StreamKind {
        match queue {
            Queue::Tasks { .. } => StreamKind::Tasks,
            Queue::Results => StreamKind::Results,
            Queue::DeadLetters => StreamKind::Advisories,
            Queue::Events { .. } => StreamKind::Events,
        }
    }

    /// The durable consumer's name.
    pub fn consumer(&self, queue: &Queue) -> String {
        match queue {
            Queue::Tasks {
                department,
                region: None,
            } => format!("dept_{department}"),
            Queue::Tasks {
                department,
                region: Some(region),
            } => format!("dept_{department}_{region}"),
            Queue::Results => "core_results".into(),
            Queue::DeadLetters => "core_dead_letters".into(),
            Queue::Events { name } => format!("events_{name}"),
        }
    }

    /// The subjects a queue's consumer takes.
    pub fn filter(&self, queue: &Queue) -> String {
        match queue {
            Queue::Tasks { department, region } => {
                self.task_subject(region.as_deref().unwrap_or("*"), department)
            }
            Queue::Results => self.subject("task-results.>"),
            Queue::DeadLetters => self.stream_subjects(StreamKind::Advisories),
            Queue::Events { .. } => self.subject("events.>"),
        }
    }

    /// How a queue redelivers.
    pub fn delivering(&self, queue: &Queue) -> Delivering {
        match queue {
            Queue::Tasks { department, .. } => self
                .departments
                .iter()
                .find(|d| &d.name == department)
                .map_or(self.default_department, |d| d.delivering),
            Queue::Results => self.results,
            Queue::DeadLetters | Queue::Events { .. } => Delivering {
                ack_wait: Duration::from_secs(30),
                max_deliver: -1,
            },
        }
    }

    /// The department queues the settings call for, created at start.
    pub fn department_queues(&self) -> Vec<Queue> {
        self.departments
            .iter()
            .flat_map(|d| {
                let regions: Vec<Option<String>> = if d.regions.is_empty() {
                    vec![None]
                } else {
                    d.regions.iter().cloned().map(Some).collect()
                };
                regions.into_iter().map(|region| Queue::Tasks {
                    department: d.name.clone(),
                    region,
                })
            })
            .collect()
    }
}

/// What JetStream says (and the in-process bus says alike) when a task ran out of
/// deliveries: `io.nats.jetstream.advisory.v1.max_deliver`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MaxDeliveries {
    pub stream: String,
    pub consumer: String,
    pub stream_seq: u64,
    pub deliveries: u64,
}

/// Whether `subject` falls under a NATS subject pattern (`*` one token, `>` the rest).
pub fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    for token in pattern.split('.') {
        match (token, subject_tokens.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (t, Some(s)) if t == s => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_prefix() {
        let config = BusConfig::new("acme-bank");
        assert_eq!(
            config.task_subject("UK", "fraud"),
            "acme-bank.tasks.UK.fraud"
        );
        assert_eq!(config.stream(StreamKind::Results), "ACME_BANK_TASK_RESULTS");
        assert_eq!(
            config.parse_department_subject("task-results", "acme-bank.task-results.UK.fraud"),
            Some(("UK", "fraud"))
        );
        assert_eq!(
            config.parse_department_subject("task-results", "acme-bank.tasks.UK.fraud"),
            None
        );
        assert_eq!(
            config.parse_department_subject("task-results", "acme-bank.task-results.UK.a.b"),
            None
        );
    }

    #[test]
    fn patterns_match_like_nats() {
        assert!(subject_matches("r.tasks.>", "r.tasks.UK.fraud"));
        assert!(subject_matches("r.tasks.*.fraud", "r.tasks.UK.fraud"));
        assert!(!subject_matches("r.tasks.*.fraud", "r.tasks.UK.legal"));
        assert!(!subject_matches("r.tasks.>", "r.tasks"));
        assert!(!subject_matches("r.tasks.*", "r.tasks.UK.fraud"));
        assert!(subject_matches("r.tasks.UK.fraud", "r.tasks.UK.fraud"));
    }
}
