//! Notices between replicas on `<prefix>.control.<notice>`: a change one replica made that
//! every replica must pick up (installed plugins, access policy). Parts of the core register
//! what to do on a notice; the listener runs it on every replica, the announcing one too.
//!
//! Notices are plain NATS messages, not stored: a replica that is disconnected at that
//! moment misses one, and relies on its own periodic reload.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use crate::bus::{Bus, BusError};

/// Installed plugins changed.
pub const PLUGINS_CHANGED: &str = "plugins-changed";
/// The access-control policy changed.
pub const POLICY_CHANGED: &str = "policy-changed";
/// An API token was revoked: replicas forget the tokens they remember.
pub const TOKENS_REVOKED: &str = "tokens-revoked";

type Callback = Arc<dyn Fn() + Send + Sync>;

/// Who to call on which notice; cheap to clone.
#[derive(Clone, Default)]
pub struct Control {
    callbacks: Arc<RwLock<HashMap<String, Vec<Callback>>>>,
    bus: Option<Bus>,
}

impl Control {
    /// Notices over `bus`, to and from every replica.
    pub fn new(bus: Bus) -> Self {
        Self {
            callbacks: Arc::default(),
            bus: Some(bus),
        }
    }

    /// Calls `callback` on every `notice`. It runs on the listener's task: work that blocks
    /// (recompiling plugins) belongs on a blocking thread of its own.
    pub fn on(&self, notice: &str, callback: impl Fn() + Send + Sync + 'static) {
        self.callbacks
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(notice.to_owned())
            .or_default()
            .push(Arc::new(callback));
    }

    /// Tells every replica. Without a bus, only this process's callbacks run.
    ///
    /// # Errors
    /// The bus is unreachable; replicas then pick the change up on their own schedule.
    pub async fn announce(&self, notice: &str) -> Result<(), BusError> {
        match &self.bus {
            Some(bus) => bus.announce(notice).await,
            None => {
                self.dispatch(notice);
                Ok(())
            }
        }
    }

    fn dispatch(&self, notice: &str) {
        let callbacks: Vec<Callback> = self
            .callbacks
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(notice)
            .cloned()
            .unwrap_or_default();
        tracing::info!(notice, callbacks = callbacks.len(), "control notice");
        for callback in callbacks {
            callback();
        }
    }

    /// Runs the callbacks for notices from the bus until the task is dropped.
    pub async fn listen(self) {
        let Some(bus) = self.bus.clone() else {
            return;
        };
        loop {
            let mut notices = match bus.notices().await {
                Ok(notices) => notices,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for control notices; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            loop {
                match notices.recv().await {
                    Ok(notice) => self.dispatch(&notice),
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "control notices missed");
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        }
    }
}
