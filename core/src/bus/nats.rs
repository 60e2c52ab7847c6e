//! The bus over NATS JetStream (async-nats).
//!
//! The connection is made in the background and remade after a loss, so the core runs on
//! while NATS is down: publishing fails, the outbox keeps the messages, and the relay
//! retries. Streams and consumers are created on first use (`get_or_create`, so every
//! replica may try at once) and again after any failure, in case the server lost them.
//!
//! Tasks that run out of deliveries stay on the work queue, as JetStream leaves them; the
//! server's max-deliveries advisories are captured in a stream of their own, and the
//! dead-letter queue turns each into the task it is about. Acknowledging a dead letter
//! copies the task to the dead-letter stream and deletes it from the work queue.

use std::collections::HashMap;
use std::fmt::Display;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::{
    Config as StreamConfig, LastRawMessageErrorKind, RetentionPolicy, StorageType,
};
use async_nats::jetstream::{self, AckKind, Message};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::{Mutex, broadcast};

use super::names::{MaxDeliveries, StreamKind};
use super::{BusConfig, BusError, Delivery, Handle, NatsAuth, Outgoing, Queue};

const STREAMS: [StreamKind; 5] = [
    StreamKind::Tasks,
    StreamKind::Results,
    StreamKind::Events,
    StreamKind::DeadLetters,
    StreamKind::Advisories,
];

pub struct NatsBus {
    config: BusConfig,
    client: async_nats::Client,
    js: jetstream::Context,
    ready: Mutex<bool>,
    consumers: Mutex<HashMap<String, PullConsumer>>,
    notices: broadcast::Sender<String>,
    listening: Mutex<bool>,
}

fn unavailable(e: impl Display) -> BusError {
    BusError::Unavailable(e.to_string())
}

impl NatsBus {
    pub(super) async fn connect(url: &str, config: BusConfig) -> Result<Self, BusError> {
        let options = match &config.auth {
            NatsAuth::Anonymous => async_nats::ConnectOptions::new(),
            NatsAuth::UserPassword { user, password } => {
                async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
            }
        };
        let client = options
            .name("redress")
            .retry_on_initial_connect()
            .max_reconnects(None)
            .connection_timeout(Duration::from_secs(2))
            // Back within a second or two of the server's return, not the default minutes.
            .reconnect_delay_callback(|attempts| {
                Duration::from_millis((attempts as u64 * 100).min(1_000))
            })
            .connect(url)
            .await
            .map_err(|e| BusError::Refused(e.to_string()))?;
        let js = jetstream::ContextBuilder::new()
            .timeout(Duration::from_secs(5))
            .build(client.clone());
        Ok(Self {
            config,
            client,
            js,
            ready: Mutex::new(false),
            consumers: Mutex::new(HashMap::new()),
            notices: broadcast::channel(64).0,
            listening: Mutex::new(false),
        })
    }

    pub fn config(&self) -> &BusConfig {
        &self.config
    }

    /// The stream definitions, as `deploy/nats/streams.md` shows them.
    pub fn stream_config(&self, kind: StreamKind) -> StreamConfig {
        let config = &self.config;
        let work_queue = matches!(
            kind,
            StreamKind::Tasks | StreamKind::Results | StreamKind::Advisories
        );
        StreamConfig {
            name: config.stream(kind),
            subjects: vec![config.stream_subjects(kind)],
            retention: if work_queue {
                RetentionPolicy::WorkQueue
            } else {
                RetentionPolicy::Limits
            },
            max_age: if work_queue {
                Duration::ZERO
            } else {
                config.events_max_age
            },
            storage: StorageType::File,
            num_replicas: config.replicas,
            duplicate_window: config.duplicate_window,
            ..Default::default()
        }
    }

    pub(super) async fn ensure(&self) -> Result<(), BusError> {
        let mut ready = self.ready.lock().await;
        if *ready {
            return Ok(());
        }
        for kind in STREAMS {
            self.js
                .get_or_create_stream(self.stream_config(kind))
                .await
                .map_err(unavailable)?;
        }
        let mut queues = vec![Queue::Results, Queue::DeadLetters];
        queues.extend(self.config.department_queues());
        for queue in &queues {
            self.create_consumer(queue).await?;
        }
        *ready = true;
        Ok(())
    }

    pub(super) async fn remove_streams(&self) {
        for kind in STREAMS {
            // A stream that is not there is what was wanted.
            let _ = self.js.delete_stream(self.config.stream(kind)).await;
        }
        self.reset().await;
    }

    /// Forgets what was created, so the next use checks again.
    async fn reset(&self) {
        *self.ready.lock().await = false;
        self.consumers.lock().await.clear();
    }

    async fn create_consumer(&self, queue: &Queue) -> Result<PullConsumer, BusError> {
        let name = self.config.consumer(queue);
        if let Some(c) = self.consumers.lock().await.get(&name) {
            return Ok(c.clone());
        }
        let stream = self
            .js
            .get_stream_no_info(self.config.stream(self.config.stream_of(queue)))
            .await
            .map_err(unavailable)?;
        let delivering = self.config.delivering(queue);
        let consumer: PullConsumer = stream
            .get_or_create_consumer(
                &name,
                pull::Config {
                    durable_name: Some(name.clone()),
                    filter_subject: self.config.filter(queue),
                    deliver_policy: DeliverPolicy::All,
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: delivering.ack_wait,
                    max_deliver: delivering.max_deliver,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| BusError::Refused(format!("consumer {name}: {e}")))?;
        self.consumers.lock().await.insert(name, consumer.clone());
        Ok(consumer)
    }

    pub(super) async fn publish_batch(
        &self,
        messages: &[Outgoing],
    ) -> Result<(), (usize, BusError)> {
        self.ensure().await.map_err(|e| (0, e))?;
        let mut acks: Vec<PublishAckFuture> = Vec::with_capacity(messages.len());
        let mut failed = None;
        for (i, message) in messages.iter().enumerate() {
            let mut headers = HeaderMap::new();
            for (name, value) in &message.headers {
                headers.insert(name.as_str(), value.as_str());
            }
            let publish = PublishMessage::build()
                .payload(message.payload.clone())
                .headers(headers)
                .message_id(&message.msg_id);
            match self.js.send_publish(message.subject.clone(), publish).await {
                Ok(ack) => acks.push(ack),
                Err(e) => {
                    failed = Some((i, unavailable(e)));
                    break;
                }
            }
        }
        for (i, ack) in acks.into_iter().enumerate() {
            if let Err(e) = ack.await {
                self.reset().await;
                return Err((i, unavailable(e)));
            }
        }
        if let Some(failure) = failed {
            self.reset().await;
            return Err(failure);
        }
        Ok(())
    }

    pub(super) async fn fetch(
        &self,
        queue: &Queue,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, BusError> {
        let messages = match self.pull(queue, max, wait).await {
            Ok(messages) => messages,
            Err(e) => {
                self.reset().await;
                // Not to spin against a server that is down.
                tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
                return Err(e);
            }
        };
        if *queue == Queue::DeadLetters {
            let mut letters = Vec::with_capacity(messages.len());
            for advisory in messages {
                if let Some(letter) = self.dead_letter(advisory).await? {
                    letters.push(letter);
                }
            }
            return Ok(letters);
        }
        Ok(messages
            .into_iter()
            .map(|m| {
                let (delivered, sequence) = position(&m);
                Delivery {
                    subject: m.subject.to_string(),
                    payload: m.payload.clone(),
                    headers: header_pairs(m.headers.as_ref()),
                    delivered,
                    sequence,
                    handle: Handle::Nats(AckHandle::Message(Box::new(m))),
                }
            })
            .collect())
    }

    /// Waits up to `wait` for the first message, then takes whatever else is there.
    async fn pull(
        &self,
        queue: &Queue,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Message>, BusError> {
        self.ensure().await?;
        let consumer = self.create_consumer(queue).await?;
        let mut out = Vec::new();
        let mut first = consumer
            .batch()
            .max_messages(1)
            .expires(wait.max(Duration::from_millis(100)))
            .messages()
            .await
            .map_err(unavailable)?;
        while let Some(message) = first.next().await {
            out.push(message.map_err(unavailable)?);
        }
        if out.is_empty() || max <= 1 {
            return Ok(out);
        }
        let mut rest = consumer
            .fetch()
            .max_messages(max - 1)
            .messages()
            .await
            .map_err(unavailable)?;
        while let Some(message) = rest.next().await {
            match message {
                Ok(m) => out.push(m),
                // What was taken is delivered; the rest comes with the next fetch.
                Err(_) => break,
            }
        }
        Ok(out)
    }

    /// The task an advisory is about, or nothing when a previous handler already took it
    /// off the work queue.
    async fn dead_letter(&self, advisory: Message) -> Result<Option<Delivery>, BusError> {
        let Ok(about) = serde_json::from_slice::<MaxDeliveries>(&advisory.payload) else {
            tracing::warn!(subject = %advisory.subject, "unreadable max-deliveries advisory dropped");
            let _ = advisory.ack_with(AckKind::Term).await;
            return Ok(None);
        };
        let tasks = self
            .js
            .get_stream_no_info(self.config.stream(StreamKind::Tasks))
            .await
            .map_err(unavailable)?;
        let original = match tasks.get_raw_message(about.stream_seq).await {
            Ok(original) => original,
            Err(e) if matches!(e.kind(), LastRawMessageErrorKind::NoMessageFound) => {
                advisory.double_ack().await.map_err(unavailable)?;
                return Ok(None);
            }
            Err(e) => {
                let _ = advisory
                    .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                    .await;
                return Err(unavailable(e));
            }
        };
        let subject = original.subject.to_string();
        Ok(Some(Delivery {
            subject: subject.clone(),
            payload: original.payload.clone(),
            headers: header_pairs(Some(&original.headers)),
            delivered: about.deliveries,
            sequence: about.stream_seq,
            handle: Handle::Nats(AckHandle::DeadLetter(Box::new(DeadLetterAck {
                advisory,
                js: self.js.clone(),
                tasks_stream: self.config.stream(StreamKind::Tasks),
                task_sequence: about.stream_seq,
                dead_subject: self.config.dead_letter_subject_for(&subject),
                payload: original.payload,
                headers: original.headers,
            }))),
        }))
    }

    pub(super) async fn announce(&self, notice: &str) -> Result<(), BusError> {
        let payload = serde_json::json!({"notice": notice, "at": chrono::Utc::now()});
        self.client
            .publish(
                self.config.control_subject(notice),
                Bytes::from(payload.to_string()),
            )
            .await
            .map_err(unavailable)?;
        self.client.flush().await.map_err(unavailable)
    }

    pub(super) async fn notices(&self) -> Result<broadcast::Receiver<String>, BusError> {
        let receiver = self.notices.subscribe();
        let mut listening = self.listening.lock().await;
        if !*listening {
            let mut subscription = self
                .client
                .subscribe(self.config.control_subject(">"))
                .await
                .map_err(unavailable)?;
            let sender = self.notices.clone();
            let prefix = self.config.control_subject("");
            tokio::spawn(async move {
                while let Some(message) = subscription.next().await {
                    if let Some(notice) = message.subject.as_str().strip_prefix(&prefix) {
                        let _ = sender.send(notice.to_owned());
                    }
                }
            });
            *listening = true;
        }
        Ok(receiver)
    }
}

fn position(message: &Message) -> (u64, u64) {
    message.info().map_or((1, 0), |info| {
        (
            u64::try_from(info.delivered).unwrap_or(1),
            info.stream_sequence,
        )
    })
}

fn header_pairs(headers: Option<&HeaderMap>) -> Vec<(String, String)> {
    let Some(headers) = headers else {
        return Vec::new();
    };
    let mut pairs: Vec<(String, String)> = headers
        .iter()
        .flat_map(|(name, values)| {
            values
                .iter()
                .map(move |v| (name.to_string(), v.as_str().to_owned()))
        })
        .collect();
    pairs.sort();
    pairs
}

/// Settles one delivery from NATS. Acknowledgements wait for the server's confirmation, so
/// an acknowledged task does not come back.
pub enum AckHandle {
    Message(Box<Message>),
    DeadLetter(Box<DeadLetterAck>),
}

/// What acknowledging a dead letter must do besides acknowledging its advisory.
pub struct DeadLetterAck {
    advisory: Message,
    js: jetstream::Context,
    tasks_stream: String,
    task_sequence: u64,
    dead_subject: String,
    payload: Bytes,
    headers: HeaderMap,
}

impl AckHandle {
    pub(super) async fn ack(self) -> Result<(), BusError> {
        match self {
            Self::Message(m) => m.double_ack().await.map_err(unavailable),
            Self::DeadLetter(dead) => {
                let DeadLetterAck {
                    advisory,
                    js,
                    tasks_stream,
                    task_sequence,
                    dead_subject,
                    payload,
                    headers,
                } = *dead;
                let publish = PublishMessage::build()
                    .payload(payload)
                    .headers(headers)
                    .message_id(format!("dead-{tasks_stream}-{task_sequence}"));
                js.send_publish(dead_subject, publish)
                    .await
                    .map_err(unavailable)?
                    .await
                    .map_err(unavailable)?;
                let tasks = js
                    .get_stream_no_info(&tasks_stream)
                    .await
                    .map_err(unavailable)?;
                // Gone already is fine: a previous handler got this far.
                let _ = tasks.delete_message(task_sequence).await;
                advisory.double_ack().await.map_err(unavailable)
            }
        }
    }

    pub(super) async fn keep_alive(&self) -> Result<(), BusError> {
        let message = match self {
            Self::Message(m) => m,
            Self::DeadLetter(dead) => &dead.advisory,
        };
        message
            .ack_with(AckKind::Progress)
            .await
            .map_err(unavailable)
    }

    pub(super) async fn retry(self, delay: Duration) -> Result<(), BusError> {
        let message = match self {
            Self::Message(m) => *m,
            Self::DeadLetter(dead) => dead.advisory,
        };
        message
            .ack_with(AckKind::Nak(Some(delay)))
            .await
            .map_err(unavailable)
    }

    pub(super) async fn reject(self) -> Result<(), BusError> {
        let message = match self {
            Self::Message(m) => *m,
            Self::DeadLetter(dead) => dead.advisory,
        };
        message.ack_with(AckKind::Term).await.map_err(unavailable)
    }
}
