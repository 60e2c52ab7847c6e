//! Capturing what one test writes through `tracing` while the other tests of this binary run
//! on other threads.
//!
//! tracing-core caches, per callsite, whether anyone listens. While exactly one subscriber
//! is registered, it takes a shortcut: a callsite first reached on any thread asks only that
//! thread's default, which for every other test is nobody. A callsite another test reached
//! first is then cached as "never" and this test's subscriber misses it. A process-wide
//! subscriber that answers "ask me each time" keeps at least two subscribers registered, so
//! every callsite is asked of all of them and none is cached as "never".

use std::sync::OnceLock;

use tracing::subscriber::{DefaultGuard, Interest};
use tracing::{Event, Metadata, Subscriber, span};
use tracing_subscriber::filter::LevelFilter;

/// Makes `subscriber` this thread's default until the guard drops.
pub fn on_this_thread<S>(subscriber: S) -> DefaultGuard
where
    S: Subscriber + Send + Sync + 'static,
{
    static ASK_EACH_TIME: OnceLock<()> = OnceLock::new();
    ASK_EACH_TIME.get_or_init(|| {
        tracing::subscriber::set_global_default(AskEachTime)
            .expect("no other global subscriber in the test binary");
    });
    // Registering the subscriber asks every callsite again.
    tracing::subscriber::set_default(subscriber)
}

/// Takes nothing, but never lets a callsite be cached as unheard.
struct AskEachTime;

impl Subscriber for AskEachTime {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}
