//! The message bus between the core and the departments: tasks out, answers back, domain
//! events for other systems, and notices between replicas.
//!
//! Two implementations with the same semantics: NATS JetStream when `nats.url` is set, and
//! an in-process bus otherwise (the single-binary default). Both keep work queues with one
//! handler per message, redeliver what is not acknowledged within the ack wait, give a task
//! up after its department's `max_deliver` attempts (the dead letters the core consumes),
//! and drop a second copy of a message id inside the duplicate window.

pub mod memory;
pub mod names;
pub mod nats;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

pub use names::{BusConfig, Delivering, NatsAuth, Queue};

/// Why the bus could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BusError {
    /// Not reachable now; retrying later may work.
    #[error("the bus is unavailable: {0}")]
    Unavailable(String),
    /// Reachable, but it refused (no stream for the subject, bad configuration).
    #[error("the bus refused: {0}")]
    Refused(String),
}

/// A message to publish.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The full subject, prefix included.
    pub subject: String,
    /// Sent as `Nats-Msg-Id`: the bus keeps one copy per id within the duplicate window.
    pub msg_id: String,
    pub payload: Bytes,
    pub headers: Vec<(String, String)>,
}

/// A message taken from a queue. It stays with this handler until acknowledged, retried or
/// rejected; left alone past the ack wait, it goes to another handler.
pub struct Delivery {
    pub subject: String,
    pub payload: Bytes,
    pub headers: Vec<(String, String)>,
    /// How often it has been delivered, this time included.
    pub delivered: u64,
    /// Its position in its stream.
    pub sequence: u64,
    handle: Handle,
}

enum Handle {
    Memory(memory::AckHandle),
    Nats(nats::AckHandle),
}

impl Delivery {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Done: the message leaves the queue.
    ///
    /// # Errors
    /// The bus could not be told; the message will come again.
    pub async fn ack(self) -> Result<(), BusError> {
        match self.handle {
            Handle::Memory(h) => {
                h.ack();
                Ok(())
            }
            Handle::Nats(h) => h.ack().await,
        }
    }

    /// Still working on it: the ack wait starts over (a person reading a task).
    ///
    /// # Errors
    /// The bus could not be told.
    pub async fn keep_alive(&self) -> Result<(), BusError> {
        match &self.handle {
            Handle::Memory(h) => {
                h.keep_alive();
                Ok(())
            }
            Handle::Nats(h) => h.keep_alive().await,
        }
    }

    /// Not now: deliver it again after `delay`.
    ///
    /// # Errors
    /// The bus could not be told; it comes again after the ack wait.
    pub async fn retry(self, delay: Duration) -> Result<(), BusError> {
        match self.handle {
            Handle::Memory(h) => {
                h.retry(delay);
                Ok(())
            }
            Handle::Nats(h) => h.retry(delay).await,
        }
    }

    /// Never: the message is bad and must not come again.
    ///
    /// # Errors
    /// The bus could not be told; it comes again after the ack wait.
    pub async fn reject(self) -> Result<(), BusError> {
        match self.handle {
            Handle::Memory(h) => {
                h.reject();
                Ok(())
            }
            Handle::Nats(h) => h.reject().await,
        }
    }
}

/// The bus this process talks to; cheap to clone.
#[derive(Clone)]
pub enum Bus {
    Memory(Arc<memory::MemoryBus>),
    Nats(Arc<nats::NatsBus>),
}

impl Bus {
    /// The in-process bus.
    pub fn memory(config: BusConfig) -> Self {
        Self::Memory(Arc::new(memory::MemoryBus::new(config)))
    }

    /// A NATS connection that keeps trying in the background when the server is down, so
    /// the core starts (and files complaints) without it. Streams and consumers are created
    /// on first use and again after a failure.
    ///
    /// # Errors
    /// The URL cannot be used at all.
    pub async fn nats(url: &str, config: BusConfig) -> Result<Self, BusError> {
        Ok(Self::Nats(Arc::new(
            nats::NatsBus::connect(url, config).await?,
        )))
    }

    /// The bus for these settings: NATS when `nats.url` is set, the in-process bus otherwise.
    ///
    /// # Errors
    /// The URL cannot be used at all.
    pub async fn from_settings(settings: &crate::Settings) -> Result<Self, BusError> {
        let config = BusConfig::from_settings(settings);
        match &settings.nats.url {
            Some(url) => Self::nats(url, config).await,
            None => Ok(Self::memory(config)),
        }
    }

    pub fn config(&self) -> &BusConfig {
        match self {
            Self::Memory(b) => b.config(),
            Self::Nats(b) => b.config(),
        }
    }

    /// Creates the streams and consumers this configuration names, if missing.
    ///
    /// # Errors
    /// The server is unreachable or refused a definition.
    pub async fn ensure(&self) -> Result<(), BusError> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Nats(b) => b.ensure().await,
        }
    }

    /// Deletes this prefix's streams with everything in them: for tests and for taking an
    /// installation down, never for a running one.
    pub async fn remove_streams(&self) {
        if let Self::Nats(b) = self {
            b.remove_streams().await;
        }
    }

    /// Publishes one message and waits for the bus to store it.
    ///
    /// # Errors
    /// Not stored; publishing it again with the same id is safe.
    pub async fn publish(&self, message: &Outgoing) -> Result<(), BusError> {
        self.publish_batch(std::slice::from_ref(message))
            .await
            .map_err(|(_, e)| e)
    }

    /// Publishes messages in order, several in flight at once, and waits for each to be
    /// stored. On failure, returns how many at the front were stored, and why the next
    /// was not.
    ///
    /// # Errors
    /// `(stored, error)`: the first `stored` messages are in; the rest may or may not be.
    pub async fn publish_batch(&self, messages: &[Outgoing]) -> Result<(), (usize, BusError)> {
        match self {
            Self::Memory(b) => b.publish_batch(messages),
            Self::Nats(b) => b.publish_batch(messages).await,
        }
    }

    /// Takes up to `max` messages from `queue`, waiting up to `wait` for the first.
    ///
    /// # Errors
    /// The bus is unreachable.
    pub async fn fetch(
        &self,
        queue: &Queue,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, BusError> {
        match self {
            Self::Memory(b) => Ok(b.fetch(queue, max, wait).await),
            Self::Nats(b) => b.fetch(queue, max, wait).await,
        }
    }

    /// Tells every replica (this one included) something changed: `plugins-changed`,
    /// `policy-changed`.
    ///
    /// # Errors
    /// The bus is unreachable; replicas still pick the change up on their own schedule.
    pub async fn announce(&self, notice: &str) -> Result<(), BusError> {
        match self {
            Self::Memory(b) => {
                b.announce(notice);
                Ok(())
            }
            Self::Nats(b) => b.announce(notice).await,
        }
    }

    /// Notices announced from now on, by any replica.
    ///
    /// # Errors
    /// The bus is unreachable.
    pub async fn notices(&self) -> Result<tokio::sync::broadcast::Receiver<String>, BusError> {
        match self {
            Self::Memory(b) => Ok(b.notices()),
            Self::Nats(b) => b.notices().await,
        }
    }
}
