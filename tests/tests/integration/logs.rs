//! Personal data never reaches the logs: every request of a complaint's life runs with a
//! subscriber capturing every level into a buffer, which is then searched for each
//! personal value the requests carried.

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::test::TestRequest;
use serde_json::json;

use crate::support::{Backend, TestStore, get, new_complaint, post_json, send};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn no_personal_value_appears_in_the_logs(backend: Backend) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = crate::capture::on_this_thread(subscriber);

    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (status, filed) = send(&app, post_json("/v1/complaints", &new_complaint())).await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["complaint"]["id"].as_i64().unwrap();
    let reference = filed["complaint"]["reference"].as_str().unwrap().to_owned();
    let token = filed["tracking_token"].as_str().unwrap().to_owned();
    let path = format!("/v1/complaints/{id}");
    let note = json!({"body": "Account 4417 1234 5678 9113 was debited twice", "public": true});
    send(&app, post_json(&format!("{path}/notes"), &note)).await;
    send(
        &app,
        post_json(
            &format!("{path}/transitions"),
            &json!({"to": "acknowledged"}),
        ),
    )
    .await;
    send(&app, get(&path)).await;
    send(&app, get(&format!("{path}/events"))).await;
    send(
        &app,
        TestRequest::get()
            .uri(&format!("/v1/track/{reference}"))
            .insert_header(("X-Tracking-Token", token.clone())),
    )
    .await;
    // Refused input must not echo the value either, in the answer or the log.
    let mut bad = new_complaint();
    bad["customer"]["email"] = json!("jane.private-mailbox-at-example");
    let (status, refused) = send(&app, post_json("/v1/complaints", &bad)).await;
    assert_eq!(status, 422);
    assert!(!refused.to_string().contains("private-mailbox"));
    store.finish().await;

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("complaint filed"),
        "the capture saw nothing:\n{logs}"
    );
    for personal in [
        "Jane Q. Customer",
        "jane.customer@example.com",
        "+44 20 7946 0000",
        "CUST-99812",
        "charged twice for a single purchase",
        "4417 1234 5678 9113",
        "private-mailbox",
        token.as_str(),
        store.admin_token.as_str(),
    ] {
        assert!(!logs.contains(personal), "{personal} appears in the logs");
    }
}

crate::on_both_backends!(no_personal_value_appears_in_the_logs);
