//! The in-process bus: JetStream's semantics for one process, without a server.
//!
//! Streams hold messages by sequence; durable consumers remember what they delivered and
//! redeliver it after the ack wait; a work-queue stream drops a message once it is
//! acknowledged; a task delivered `max_deliver` times without an answer raises the same
//! max-deliveries advisory JetStream does, which the dead-letter queue reads. Message ids are
//! remembered for the duplicate window.
//!
//! Nothing survives a restart. A message the bus had not yet taken is still in the outbox
//! and is published after the restart; one it had taken is gone with the process, but its
//! task stays open in the database, where departments answer it through the REST API and
//! the overdue sweep escalates it. Each stream keeps at most [`MAX_MESSAGES`] messages,
//! dropping the oldest, so tasks nobody fetches (departments answering through the API)
//! cannot fill the memory.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{Notify, broadcast};
use tokio::time::Instant;

use super::names::{MaxDeliveries, StreamKind, subject_matches};
use super::{BusConfig, BusError, Delivery, Handle, Outgoing, Queue};

/// Messages (and, for de-duplication, message ids) kept per stream. Bounded low: in the
/// embedded mode nobody outside the process reads the events, and an import of a large
/// export must not leave its events in memory.
pub const MAX_MESSAGES: usize = 10_000;

const STREAMS: [StreamKind; 5] = [
    StreamKind::Tasks,
    StreamKind::Results,
    StreamKind::Events,
    StreamKind::DeadLetters,
    StreamKind::Advisories,
];

pub struct MemoryBus {
    config: BusConfig,
    state: Arc<Mutex<State>>,
    wake: Arc<Notify>,
    notices: broadcast::Sender<String>,
}

struct State {
    streams: HashMap<StreamKind, Stream>,
}

struct Stream {
    name: String,
    subjects: String,
    work_queue: bool,
    max_age: Option<Duration>,
    duplicate_window: Duration,
    next_seq: u64,
    messages: BTreeMap<u64, Stored>,
    seen_ids: HashMap<String, Instant>,
    seen_order: VecDeque<(Instant, String)>,
    consumers: HashMap<String, Consumer>,
}

#[derive(Clone)]
struct Stored {
    subject: String,
    payload: Bytes,
    headers: Vec<(String, String)>,
    at: Instant,
}

struct Consumer {
    filter: String,
    ack_wait: Duration,
    max_deliver: i64,
    /// The next sequence this consumer has never delivered.
    cursor: u64,
    /// Delivered and not yet acknowledged.
    pending: BTreeMap<u64, Pending>,
}

struct Pending {
    deliveries: u64,
    due: Instant,
}

impl Stream {
    fn store(&mut self, message: &Outgoing, now: Instant) {
        while let Some((at, _)) = self.seen_order.front() {
            if now.duration_since(*at) <= self.duplicate_window
                && self.seen_order.len() < MAX_MESSAGES
            {
                break;
            }
            if let Some((_, id)) = self.seen_order.pop_front() {
                self.seen_ids.remove(&id);
            }
        }
        if self.seen_ids.contains_key(&message.msg_id) {
            return;
        }
        self.seen_ids.insert(message.msg_id.clone(), now);
        self.seen_order.push_back((now, message.msg_id.clone()));
        let seq = self.next_seq;
        self.next_seq += 1;
        self.messages.insert(
            seq,
            Stored {
                subject: message.subject.clone(),
                payload: message.payload.clone(),
                headers: message.headers.clone(),
                at: now,
            },
        );
        while self.messages.len() > MAX_MESSAGES {
            self.messages.pop_first();
        }
        if let Some(max_age) = self.max_age {
            while self
                .messages
                .first_key_value()
                .is_some_and(|(_, m)| now.duration_since(m.at) > max_age)
            {
                self.messages.pop_first();
            }
        }
    }

    /// Ends a delivery: acknowledged or rejected, it never comes again.
    fn settle(&mut self, consumer: &str, seq: u64) {
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pending.remove(&seq);
        }
        if self.work_queue {
            self.messages.remove(&seq);
        }
    }
}

impl MemoryBus {
    pub fn new(config: BusConfig) -> Self {
        let streams = STREAMS
            .into_iter()
            .map(|kind| {
                let work_queue = matches!(
                    kind,
                    StreamKind::Tasks | StreamKind::Results | StreamKind::Advisories
                );
                let stream = Stream {
                    name: config.stream(kind),
                    subjects: config.stream_subjects(kind),
                    work_queue,
                    max_age: (!work_queue).then_some(config.events_max_age),
                    duplicate_window: config.duplicate_window,
                    next_seq: 1,
                    messages: BTreeMap::new(),
                    seen_ids: HashMap::new(),
                    seen_order: VecDeque::new(),
                    consumers: HashMap::new(),
                };
                (kind, stream)
            })
            .collect();
        Self {
            config,
            state: Arc::new(Mutex::new(State { streams })),
            wake: Arc::new(Notify::new()),
            notices: broadcast::channel(64).0,
        }
    }

    pub fn config(&self) -> &BusConfig {
        &self.config
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub(super) fn publish_batch(&self, messages: &[Outgoing]) -> Result<(), (usize, BusError)> {
        let now = Instant::now();
        let mut state = self.lock();
        for (i, message) in messages.iter().enumerate() {
            let Some(stream) = state
                .streams
                .values_mut()
                .find(|s| subject_matches(&s.subjects, &message.subject))
            else {
                self.wake.notify_waiters();
                return Err((
                    i,
                    BusError::Refused(format!("no stream takes {}", message.subject)),
                ));
            };
            stream.store(message, now);
        }
        drop(state);
        self.wake.notify_waiters();
        Ok(())
    }

    pub(super) async fn fetch(&self, queue: &Queue, max: usize, wait: Duration) -> Vec<Delivery> {
        let deadline = Instant::now() + wait;
        loop {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = Instant::now();
            let (taken, next_due) = self.take(queue, max, now);
            if !taken.is_empty() || now >= deadline {
                return taken;
            }
            let until = next_due.map_or(deadline, |due| due.min(deadline));
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(until) => {}
            }
        }
    }

    /// Takes what is ready now; also says when the next redelivery falls due.
    fn take(&self, queue: &Queue, max: usize, now: Instant) -> (Vec<Delivery>, Option<Instant>) {
        let kind = self.config.stream_of(queue);
        let name = self.config.consumer(queue);
        let mut state = self.lock();
        if raise_exhausted(&mut state, &self.config, now) {
            self.wake.notify_waiters();
        }
        let taken: Vec<(u64, u64, Stored)> = {
            let stream = state.streams.get_mut(&kind).expect("every stream exists");
            let delivering = self.config.delivering(queue);
            let filter = self.config.filter(queue);
            // A new consumer starts at the oldest message still held.
            let start = stream_first(&stream.messages).unwrap_or(stream.next_seq);
            let consumer = stream
                .consumers
                .entry(name.clone())
                .or_insert_with(|| Consumer {
                    filter,
                    ack_wait: delivering.ack_wait,
                    max_deliver: delivering.max_deliver,
                    cursor: start,
                    pending: BTreeMap::new(),
                });
            let mut picked: Vec<(u64, u64)> = Vec::new();
            let mut dropped = Vec::new();
            for (&seq, pending) in &mut consumer.pending {
                if picked.len() >= max {
                    break;
                }
                if pending.due > now {
                    continue;
                }
                let exhausted =
                    consumer.max_deliver > 0 && pending.deliveries >= consumer.max_deliver as u64;
                if exhausted || !stream.messages.contains_key(&seq) {
                    dropped.push(seq);
                } else {
                    pending.deliveries += 1;
                    pending.due = now + consumer.ack_wait;
                    picked.push((seq, pending.deliveries));
                }
            }
            for seq in dropped {
                consumer.pending.remove(&seq);
            }
            if picked.len() < max {
                let fresh: Vec<u64> = stream
                    .messages
                    .range(consumer.cursor..)
                    .filter(|(_, m)| subject_matches(&consumer.filter, &m.subject))
                    .map(|(&seq, _)| seq)
                    .take(max - picked.len())
                    .collect();
                consumer.cursor = match fresh.last() {
                    Some(&last) if fresh.len() == max - picked.len() => last + 1,
                    _ => stream.next_seq,
                };
                for seq in fresh {
                    consumer.pending.insert(
                        seq,
                        Pending {
                            deliveries: 1,
                            due: now + consumer.ack_wait,
                        },
                    );
                    picked.push((seq, 1));
                }
            }
            picked
                .into_iter()
                .filter_map(|(seq, n)| Some((seq, n, stream.messages.get(&seq)?.clone())))
                .collect()
        };
        let deliveries = taken
            .into_iter()
            .filter_map(|(seq, delivered, stored)| {
                if kind == StreamKind::Advisories {
                    return self.dead_letter(&mut state, &name, seq, stored);
                }
                Some(Delivery {
                    subject: stored.subject,
                    payload: stored.payload,
                    headers: stored.headers,
                    delivered,
                    sequence: seq,
                    handle: Handle::Memory(AckHandle {
                        state: self.state.clone(),
                        wake: self.wake.clone(),
                        stream: kind,
                        consumer: name.clone(),
                        sequence: seq,
                        dead_letter: None,
                    }),
                })
            })
            .collect();
        let next_due = state
            .streams
            .values()
            .flat_map(|s| s.consumers.values())
            .flat_map(|c| c.pending.values().map(|p| p.due))
            .min();
        (deliveries, next_due)
    }

    /// Turns an advisory into the task it is about; an advisory whose task is gone (a
    /// previous handler finished with it) is dropped.
    fn dead_letter(
        &self,
        state: &mut State,
        consumer: &str,
        advisory_seq: u64,
        advisory: Stored,
    ) -> Option<Delivery> {
        let parsed: Option<MaxDeliveries> = serde_json::from_slice(&advisory.payload).ok();
        let original = parsed.as_ref().and_then(|a| {
            state
                .streams
                .get(&StreamKind::Tasks)?
                .messages
                .get(&a.stream_seq)
                .cloned()
        });
        let (Some(about), Some(original)) = (parsed, original) else {
            if let Some(advisories) = state.streams.get_mut(&StreamKind::Advisories) {
                advisories.settle(consumer, advisory_seq);
            }
            return None;
        };
        Some(Delivery {
            subject: original.subject.clone(),
            payload: original.payload.clone(),
            headers: original.headers.clone(),
            delivered: about.deliveries,
            sequence: about.stream_seq,
            handle: Handle::Memory(AckHandle {
                state: self.state.clone(),
                wake: self.wake.clone(),
                stream: StreamKind::Advisories,
                consumer: consumer.to_owned(),
                sequence: advisory_seq,
                dead_letter: Some(DeadLetter {
                    task_sequence: about.stream_seq,
                    dead_subject: self.config.dead_letter_subject_for(&original.subject),
                    original,
                }),
            }),
        })
    }

    pub(super) fn announce(&self, notice: &str) {
        // Nobody listening is not an error: a server without reload callbacks.
        let _ = self.notices.send(notice.to_owned());
    }

    pub(super) fn notices(&self) -> broadcast::Receiver<String> {
        self.notices.subscribe()
    }
}

/// Gives up tasks whose last allowed delivery went unanswered, raising the advisory the
/// dead-letter queue reads, as JetStream does. True when any was raised.
fn raise_exhausted(state: &mut State, config: &BusConfig, now: Instant) -> bool {
    let Some(tasks) = state.streams.get_mut(&StreamKind::Tasks) else {
        return false;
    };
    let mut raised = Vec::new();
    for (name, consumer) in &mut tasks.consumers {
        if consumer.max_deliver <= 0 {
            continue;
        }
        let limit = consumer.max_deliver as u64;
        let exhausted: Vec<(u64, u64)> = consumer
            .pending
            .iter()
            .filter(|(_, p)| p.due <= now && p.deliveries >= limit)
            .map(|(&seq, p)| (seq, p.deliveries))
            .collect();
        for (seq, deliveries) in exhausted {
            consumer.pending.remove(&seq);
            if tasks.messages.contains_key(&seq) {
                raised.push(MaxDeliveries {
                    stream: tasks.name.clone(),
                    consumer: name.clone(),
                    stream_seq: seq,
                    deliveries,
                });
            }
        }
    }
    if raised.is_empty() {
        return false;
    }
    let advisories = state
        .streams
        .get_mut(&StreamKind::Advisories)
        .expect("every stream exists");
    for advisory in raised {
        let subject = config
            .stream_subjects(StreamKind::Advisories)
            .replace('*', &advisory.consumer);
        let msg_id = format!("{}-{}", advisory.stream, advisory.stream_seq);
        advisories.store(
            &Outgoing {
                subject,
                msg_id,
                payload: Bytes::from(serde_json::to_vec(&advisory).expect("advisories serialize")),
                headers: Vec::new(),
            },
            now,
        );
    }
    true
}

fn stream_first(messages: &BTreeMap<u64, Stored>) -> Option<u64> {
    messages.first_key_value().map(|(&seq, _)| seq)
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves plain data behind; carry on with it.
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a dead letter's acknowledgement must also do: keep the task on the dead-letter
/// stream and take it off the work queue.
struct DeadLetter {
    task_sequence: u64,
    dead_subject: String,
    original: Stored,
}

/// Settles one delivery of the in-process bus.
pub struct AckHandle {
    state: Arc<Mutex<State>>,
    wake: Arc<Notify>,
    stream: StreamKind,
    consumer: String,
    sequence: u64,
    dead_letter: Option<DeadLetter>,
}

impl AckHandle {
    pub(super) fn ack(self) {
        let mut state = lock(&self.state);
        if let Some(dead) = &self.dead_letter {
            let now = Instant::now();
            if let Some(store) = state.streams.get_mut(&StreamKind::DeadLetters) {
                store.store(
                    &Outgoing {
                        subject: dead.dead_subject.clone(),
                        msg_id: format!("dead-{}", dead.task_sequence),
                        payload: dead.original.payload.clone(),
                        headers: dead.original.headers.clone(),
                    },
                    now,
                );
            }
            if let Some(tasks) = state.streams.get_mut(&StreamKind::Tasks) {
                tasks.messages.remove(&dead.task_sequence);
            }
        }
        if let Some(stream) = state.streams.get_mut(&self.stream) {
            stream.settle(&self.consumer, self.sequence);
        }
        drop(state);
        self.wake.notify_waiters();
    }

    pub(super) fn keep_alive(&self) {
        let mut state = lock(&self.state);
        if let Some(c) = state
            .streams
            .get_mut(&self.stream)
            .and_then(|s| s.consumers.get_mut(&self.consumer))
            && let Some(pending) = c.pending.get_mut(&self.sequence)
        {
            pending.due = Instant::now() + c.ack_wait;
        }
    }

    pub(super) fn retry(self, delay: Duration) {
        let mut state = lock(&self.state);
        if let Some(pending) = state
            .streams
            .get_mut(&self.stream)
            .and_then(|s| s.consumers.get_mut(&self.consumer))
            .and_then(|c| c.pending.get_mut(&self.sequence))
        {
            pending.due = Instant::now() + delay;
        }
        drop(state);
        self.wake.notify_waiters();
    }

    pub(super) fn reject(self) {
        let mut state = lock(&self.state);
        if let Some(stream) = state.streams.get_mut(&self.stream) {
            stream.settle(&self.consumer, self.sequence);
        }
        drop(state);
        self.wake.notify_waiters();
    }
}
