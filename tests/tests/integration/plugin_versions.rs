//! A plugin version is stored once. Uploading the same name and version with another
//! component or manifest is refused, so a version number always names one thing; the very
//! same upload again is a harmless no-op.

use base64::Engine;
use serde_json::{Value, json};

use crate::guest;
use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

fn upload(manifest: &str, wasm: &[u8]) -> Value {
    json!({"manifest": manifest,
           "component": base64::engine::general_purpose::STANDARD.encode(wasm)})
}

async fn a_plugin_version_cannot_be_replaced_under_the_same_number(backend: Backend) {
    let (host, _dir) = guest::host_with(&[]);
    let store = TestStore::with_plugins(backend, host.clone()).await;
    let app = store.app().await;
    let wasm = guest::component("compliance_uk_fca");
    let manifest = guest::manifest("compliance-uk-fca", "2.0.0", "UK", &wasm);
    let (status, body) = send(
        &app,
        post_json("/v1/admin/plugins", &upload(&manifest, &wasm)),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // The same bytes and manifest again: stored already, nothing changes.
    let (status, body) = send(
        &app,
        post_json("/v1/admin/plugins", &upload(&manifest, &wasm)),
    )
    .await;
    assert_eq!((status, &body["version"]), (200, &json!("2.0.0")), "{body}");

    // Same name and version, another region list, another config, another component.
    let other_wasm = guest::component("fixture_good");
    for (what, text, bytes) in [
        (
            "regions",
            manifest.replace("regions = [\"UK\"]", "regions = [\"UK\", \"HK\"]"),
            &wasm,
        ),
        (
            "config",
            format!("{manifest}[config]\nretention-days = \"30\"\n"),
            &wasm,
        ),
        (
            "component",
            guest::manifest("compliance-uk-fca", "2.0.0", "UK", &other_wasm),
            &other_wasm,
        ),
    ] {
        let (status, body) =
            send(&app, post_json("/v1/admin/plugins", &upload(&text, bytes))).await;
        assert_eq!(status, 409, "{what}: {body}");
        assert_eq!(
            body["error"]["code"], "plugin_version_exists",
            "{what}: {body}"
        );
        assert_eq!(body["error"]["field"], "manifest", "{what}: {body}");
    }
    let (_, plugins) = send(&app, get("/v1/admin/plugins")).await;
    assert_eq!(plugins[0]["regions"], json!(["UK"]), "{plugins}");
    assert!(host.compliance_for("HK").is_none());
    // Hong Kong complaints still get their fallback, not the UK rules.
    let mut hk = new_complaint();
    hk["region"] = json!("HK");
    hk["amount_disputed"] = json!({"amount": "80.00", "currency": "HKD"});
    let (id, _) = file(&app, &hk).await;
    let (_, list) = send(&app, get(&format!("/v1/complaints/{id}/deadlines"))).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|d| d["source"] == "fallback:HK"),
        "{list}"
    );

    // A new version number is how a plugin changes.
    let next = guest::manifest("compliance-uk-fca", "2.0.1", "UK", &wasm);
    let next = format!("{next}[config]\nretention-days = \"30\"\n");
    let (status, body) = send(&app, post_json("/v1/admin/plugins", &upload(&next, &wasm))).await;
    assert_eq!((status, &body["version"]), (201, &json!("2.0.1")), "{body}");
    store.finish().await;
}

crate::on_both_backends!(a_plugin_version_cannot_be_replaced_under_the_same_number);
