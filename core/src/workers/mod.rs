//! What runs beside the API on every replica: the outbox relay (on the lease holder only),
//! the results and dead-letter consumers, the overdue sweep and the control listener.

pub mod control;
pub mod dead_letters;
pub mod lease;
pub mod relay;
pub mod results;

use std::time::Duration;

use rand::RngCore;
use tokio::task::JoinHandle;

use crate::bus::Bus;
use crate::config::OutboxSettings;
use crate::service::Complaints;
pub use control::Control;
pub use relay::Relay;

/// Overdue tasks escalated per sweep; a sweep that fills it runs again at once.
const SWEEP: u64 = 100;

/// The background work of one replica; stopped when dropped.
pub struct Runtime {
    handles: Vec<JoinHandle<()>>,
    control: Control,
    replica: String,
}

impl Runtime {
    /// Starts everything on the current tokio runtime.
    pub fn start(complaints: Complaints, bus: Bus, outbox: OutboxSettings) -> Self {
        let replica = replica_name();
        let control = Control::new(bus.clone());
        let escalation_every =
            Duration::from_millis(complaints.task_settings().escalation_interval_ms);
        let setup = bus.clone();
        let relay = Relay::new(
            complaints.db().clone(),
            bus.clone(),
            outbox,
            &replica,
            complaints.outbox_signal(),
        )
        .with_write_gate(complaints.write_gate());
        let handles = vec![
            tokio::spawn(async move {
                // The streams and consumers exist before anyone needs them; until NATS
                // answers, every user of the bus retries on its own.
                let mut wait = Duration::from_millis(200);
                while let Err(e) = setup.ensure().await {
                    tracing::warn!(error = %e, "cannot set up the bus yet; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
            }),
            tokio::spawn(relay.run()),
            tokio::spawn(results::run(complaints.clone(), bus.clone())),
            tokio::spawn(dead_letters::run(complaints.clone(), bus.clone())),
            tokio::spawn(escalate(complaints, escalation_every)),
            tokio::spawn(control.clone().listen()),
        ];
        tracing::info!(replica = %replica, "background work started");
        Self {
            handles,
            control,
            replica,
        }
    }

    /// Notices between replicas: register reload callbacks here, announce changes.
    pub fn control(&self) -> &Control {
        &self.control
    }

    /// This replica's name, as it appears on the relay lease.
    pub fn replica(&self) -> &str {
        &self.replica
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        for handle in &self.handles {
            handle.abort();
        }
    }
}

/// Escalates overdue tasks every `every`, on every replica; the service makes sure each
/// task is escalated once.
async fn escalate(complaints: Complaints, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            match complaints.escalate_overdue(SWEEP).await {
                Ok(n) if n as u64 == SWEEP => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "overdue sweep failed; next tick retries");
                    break;
                }
            }
        }
    }
}

fn replica_name() -> String {
    let mut bytes = [0u8; 4];
    rand::rng().fill_bytes(&mut bytes);
    format!("replica-{}-{}", std::process::id(), hex::encode(bytes))
}
