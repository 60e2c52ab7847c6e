//! Hostile plugins end to end. Each is put in place for Singapore while the real UK
//! plugin serves the UK, under the default limits (50 ms, 64 MiB), and a complaint in each
//! region is filed at the same time through the API. Both get their deadlines: the UK one
//! from its plugin, the Singapore one the region's fallback (acknowledge within 2 days of
//! receipt, FA (CHR) Regulations 2021 reg. 5, counted as calendar days), with the failure
//! on its history and counted in `GET /v1/admin/metrics`.
//!
//! A component that imports what it may not, or whose digest is wrong, cannot be installed:
//! the API refuses it. Those two are then planted in the plugins directory behind the
//! host's back, as an attacker with disk access would, and a server opening the directory
//! refuses to run them, with the same outcome for the complaints.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use futures_util::future::join;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::guest;
use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

const UK_PLUGIN: (&str, &str, &str) = ("compliance_uk_fca", "compliance-uk-fca", "UK");
const HOSTILE: &str = "hostile-sg";

fn singapore_complaint() -> Value {
    let mut body = new_complaint();
    body["region"] = json!("SG");
    body["amount_disputed"] = json!({"amount": "80.00", "currency": "SGD"});
    body["customer_time_zone"] = json!("Asia/Singapore");
    body
}

/// `GET /v1/admin/metrics`: status, content type and text.
async fn metrics<S, B>(app: &S) -> (u16, String, String)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, get("/v1/admin/metrics").to_request()).await;
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = test::read_body(res).await;
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).expect("UTF-8 metrics"),
    )
}

/// Files a Singapore and a UK complaint at the same time and checks what each got:
/// `failure_words` must appear in the Singapore complaint's `plugin_failure` event, and
/// `metric` (a full line of the exposition) in the metrics.
async fn both_get_their_deadlines<S, B>(app: &S, failure_words: &[&str], metric: &str)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let sg_body = singapore_complaint();
    let uk_body = new_complaint();
    let ((sg, _), (uk, _)) = join(file(app, &sg_body), file(app, &uk_body)).await;

    let (_, uk_deadlines) = send(app, get(&format!("/v1/complaints/{uk}/deadlines"))).await;
    let uk_list = uk_deadlines.as_array().expect("a list");
    assert!(!uk_list.is_empty());
    for d in uk_list {
        assert_eq!(d["source"], "plugin:compliance-uk-fca@1.0.0", "{d}");
    }
    let (_, uk_events) = send(app, get(&format!("/v1/complaints/{uk}/events"))).await;
    assert!(
        !uk_events.to_string().contains("plugin_failure"),
        "the UK complaint is untouched: {uk_events}"
    );

    let (_, complaint) = send(app, get(&format!("/v1/complaints/{sg}"))).await;
    let received: DateTime<Utc> = complaint["received_at"].as_str().unwrap().parse().unwrap();
    let (_, sg_deadlines) = send(app, get(&format!("/v1/complaints/{sg}/deadlines"))).await;
    let ack = sg_deadlines
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "acknowledge")
        .unwrap_or_else(|| panic!("no acknowledgement in {sg_deadlines}"));
    assert_eq!(ack["source"], "fallback:SG");
    let due: DateTime<Utc> = ack["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(due, received + Duration::days(2));

    let (_, events) = send(app, get(&format!("/v1/complaints/{sg}/events"))).await;
    let failure = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "plugin_failure")
        .unwrap_or_else(|| panic!("no plugin_failure event in {events}"));
    let text = failure.to_string();
    assert!(text.contains(HOSTILE), "{text}");
    assert!(text.contains("fallback:SG"), "{text}");
    for words in failure_words {
        assert!(text.contains(words), "{words:?} not in {text}");
    }
    assert!(
        !text.contains("Jane Q. Customer") && !text.contains("charged twice"),
        "no personal data in the failure: {text}"
    );

    let (status, content_type, exposition) = metrics(app).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(
        exposition.lines().any(|l| l == metric),
        "no line {metric:?} in\n{exposition}"
    );
}

/// A hostile component installed for Singapore beside the UK plugin.
async fn installed_beside_the_uk_plugin(
    backend: Backend,
    component: &str,
    failure_words: &[&str],
    kind: &str,
) {
    let (host, _dir) = guest::host_with(&[UK_PLUGIN, (component, HOSTILE, "SG")]);
    let store = TestStore::with_plugins(backend, host).await;
    let app = store.app().await;
    let metric =
        format!("redress_plugin_call_failures_total{{plugin=\"{HOSTILE}\",kind=\"{kind}\"}} 1");
    both_get_their_deadlines(&app, failure_words, &metric).await;
    store.finish().await;
}

async fn a_loop_is_stopped_at_the_deadline(backend: Backend) {
    installed_beside_the_uk_plugin(backend, "fixture_spin", &["did not answer"], "timeout").await;
}

async fn a_memory_bomb_is_stopped_at_the_cap(backend: Backend) {
    installed_beside_the_uk_plugin(
        backend,
        "fixture_balloon",
        &["memory", "67108864"],
        "out_of_memory",
    )
    .await;
}

async fn a_trap_is_contained(backend: Backend) {
    installed_beside_the_uk_plugin(backend, "fixture_panic", &["crashed"], "trap").await;
}

async fn garbage_answers_are_discarded(backend: Backend) {
    installed_beside_the_uk_plugin(
        backend,
        "fixture_garbage",
        &["unusable answer", "is empty"],
        "garbage",
    )
    .await;
}

/// A component refused at install, then planted on disk: `plant` writes it over the
/// stored files of a plugin installed as `fixture_good`.
async fn refused_then_planted(
    backend: Backend,
    upload: (Vec<u8>, String),
    refusal: (&str, &str),
    plant: impl FnOnce(&std::path::Path),
    load_words: &str,
) {
    let (host, dir) = guest::host_with(&[UK_PLUGIN, ("fixture_good", HOSTILE, "SG")]);
    let mut store = TestStore::with_plugins(backend, host).await;
    {
        let app = store.app().await;
        let (wasm, manifest) = &upload;
        let body = json!({"manifest": manifest,
            "component": base64::engine::general_purpose::STANDARD.encode(wasm)});
        let (status, refused) = send(&app, post_json("/v1/admin/plugins", &body)).await;
        assert_eq!(status, 422, "{refused}");
        assert_eq!(refused["error"]["code"], "component_refused");
        assert_eq!(refused["error"]["field"], "component");
        let (reason, words) = refusal;
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains(words),
            "{refused}"
        );
        let (_, _, exposition) = metrics(&app).await;
        let line = format!("redress_plugin_install_refusals_total{{reason=\"{reason}\"}} 1");
        assert!(
            exposition.lines().any(|l| l == line),
            "no {line:?} in\n{exposition}"
        );
    }

    plant(&dir.path().join(HOSTILE).join("1.0.0"));
    // A server (re)starting on the directory.
    let restarted = std::sync::Arc::new(
        redress_plugin_host::PluginHost::open(dir.path(), guest::limits()).unwrap(),
    );
    store.complaints = store
        .complaints
        .clone()
        .with_compliance(redress::compliance::Compliance::with_host(restarted));
    let app = store.app().await;
    let (_, plugins) = send(&app, get("/v1/admin/plugins")).await;
    let hostile = plugins
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == HOSTILE)
        .unwrap_or_else(|| panic!("{HOSTILE} not listed: {plugins}"));
    assert_eq!(hostile["serving"], false);
    assert!(
        hostile["load_error"].as_str().unwrap().contains(load_words),
        "{hostile}"
    );
    let metric = format!(
        "redress_plugin_call_failures_total{{plugin=\"{HOSTILE}\",kind=\"unavailable\"}} 1"
    );
    both_get_their_deadlines(&app, &["cannot be loaded", load_words], &metric).await;
    store.finish().await;
}

fn manifest_for(name: &str, version: &str, wasm: &[u8]) -> String {
    guest::manifest(name, version, "SG", wasm)
}

async fn a_forbidden_import_is_refused_and_never_runs(backend: Backend) {
    let forbidden = guest::component("fixture_forbidden");
    let upload = (
        forbidden.clone(),
        manifest_for(HOSTILE, "2.0.0", &forbidden),
    );
    let planted = forbidden.clone();
    refused_then_planted(
        backend,
        upload,
        ("forbidden_import", "which plugins may not use"),
        move |version_dir| {
            // The component and a manifest whose digest matches it.
            std::fs::write(version_dir.join("plugin.wasm"), &planted).unwrap();
            std::fs::write(
                version_dir.join("plugin.toml"),
                manifest_for(HOSTILE, "1.0.0", &planted),
            )
            .unwrap();
        },
        "imports",
    )
    .await;
}

async fn a_wrong_digest_is_refused_and_never_runs(backend: Backend) {
    let good = guest::component("fixture_good");
    let wrong = manifest_for(HOSTILE, "2.0.0", &good).replace(
        &hex::encode(Sha256::digest(&good)),
        &hex::encode(Sha256::digest(b"some other build")),
    );
    let spin = guest::component("fixture_spin");
    refused_then_planted(
        backend,
        (good, wrong),
        ("hash_mismatch", "rebuild or fix the manifest"),
        move |version_dir| {
            // Other bytes under the installed manifest.
            std::fs::write(version_dir.join("plugin.wasm"), &spin).unwrap();
        },
        "sha256",
    )
    .await;
}

crate::on_both_backends!(
    a_loop_is_stopped_at_the_deadline,
    a_memory_bomb_is_stopped_at_the_cap,
    a_trap_is_contained,
    garbage_answers_are_discarded,
    a_forbidden_import_is_refused_and_never_runs,
    a_wrong_digest_is_refused_and_never_runs,
);
