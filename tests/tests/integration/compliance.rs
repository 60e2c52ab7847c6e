//! Deadlines and closure checks through the API, with the real compliance plugins built
//! for wasm32-wasip2 and run in the sandbox, and with a hostile plugin in their place.
//!
//! Known right answers come from DISP 1.5.1R and 1.6.2R counted by hand: a complaint
//! received on Monday 2 June 2025 at 10:00 London time may close with a summary
//! resolution until the end of Thursday 5 June (three business days after the day of
//! receipt), and needs its final response by the end of Monday 28 July (eight weeks).

use serde_json::{Value, json};

use crate::guest;
use crate::support::{Backend, TestStore, file, get, new_complaint, post_json, send};

const RECEIVED: &str = "2025-06-02T09:00:00Z"; // 10:00 in London (BST)

fn uk_complaint() -> Value {
    let mut body = new_complaint();
    body["received_at"] = json!(RECEIVED);
    body
}

fn deadline<'a>(list: &'a Value, kind: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} deadline in {list}"))
}

const UK_FINAL_ELEMENTS: [&str; 5] = [
    "fos-referral-rights",
    "fos-six-month-limit",
    "fos-website",
    "fos-leaflet",
    "time-limit-waiver",
];

async fn uk_plugin_sets_the_deadlines_and_guards_the_final_response(backend: Backend) {
    let (host, _dir) = guest::host_with(&[("compliance_uk_fca", "compliance-uk-fca", "UK")]);
    let store = TestStore::with_plugins(backend, host).await;
    let app = store.app().await;
    let (id, _) = file(&app, &uk_complaint()).await;

    let (status, list) = send(&app, get(&format!("/v1/complaints/{id}/deadlines"))).await;
    assert_eq!(status, 200, "{list}");
    let summary = deadline(&list, "summary_resolution");
    assert_eq!(summary["due_at"], "2025-06-05T23:00:00Z");
    assert_eq!(summary["source"], "plugin:compliance-uk-fca@1.0.0");
    assert!(summary["rule"].as_str().unwrap().contains("DISP 1.5"));
    let fin = deadline(&list, "final_response");
    assert_eq!(fin["due_at"], "2025-07-28T23:00:00Z");
    // The complaint row carries the final response deadline for listing and the overdue filter.
    let (_, complaint) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(complaint["due_at"], "2025-07-28T23:00:00Z");

    let path = format!("/v1/complaints/{id}/transitions");
    for step in ["acknowledged", "in_progress"] {
        let (status, body) = send(&app, post_json(&path, &json!({"to": step}))).await;
        assert_eq!(status, 200, "{body}");
    }
    // A rejection that forgets the ombudsman's six-month limit and the reasons.
    let incomplete = json!({"to": "resolved", "outcome": "not_upheld",
        "final_response_elements": ["fos-referral-rights", "fos-website", "fos-leaflet", "time-limit-waiver"]});
    let (status, body) = send(&app, post_json(&path, &incomplete)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "final_response_incomplete");
    assert_eq!(body["error"]["field"], "final_response_elements");
    let missing: Vec<&str> = body["error"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["fos-six-month-limit", "reasons"]);
    let (_, now) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(
        now["status"], "in_progress",
        "a refused closure writes nothing"
    );

    let mut elements: Vec<&str> = UK_FINAL_ELEMENTS.to_vec();
    elements.push("reasons");
    let complete =
        json!({"to": "resolved", "outcome": "not_upheld", "final_response_elements": elements});
    let (status, body) = send(&app, post_json(&path, &complete)).await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = send(&app, get(&format!("/v1/complaints/{id}/deadlines"))).await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|d| !d["met_at"].is_null()),
        "a resolution meets every deadline: {list}"
    );

    // DISP 1.9.1R(1): records kept 3 years from receipt, 2 June 2025 to 2 June 2028.
    let (status, closed) = send(&app, post_json(&path, &json!({"to": "closed"}))).await;
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["retain_until"], "2028-06-02T09:00:00Z");
    assert!(
        closed["retention_rule"]
            .as_str()
            .unwrap()
            .contains("DISP 1.9.1R(1)")
    );
    store.finish().await;
}

async fn waiting_on_the_customer_pauses_the_clock(backend: Backend) {
    let (host, _dir) = guest::host_with(&[("compliance_cn", "compliance-cn", "CN")]);
    let store = TestStore::with_plugins(backend, host).await;
    let app = store.app().await;
    let mut body = new_complaint();
    body["region"] = json!("CN");
    body["amount_disputed"] = json!({"amount": "800.00", "currency": "CNY"});
    body["customer_time_zone"] = json!("Asia/Shanghai");
    // 10:00 in Shanghai, inside the years the plugin's holiday tables cover.
    body["received_at"] = json!("2026-06-01T02:00:00Z");
    let (id, _) = file(&app, &body).await;
    let deadlines = format!("/v1/complaints/{id}/deadlines");
    let (_, before) = send(&app, get(&deadlines)).await;
    let due_before = deadline(&before, "final_response")["due_at"].clone();
    assert_eq!(deadline(&before, "final_response")["paused"], false);

    let path = format!("/v1/complaints/{id}/transitions");
    for step in ["acknowledged", "in_progress"] {
        send(&app, post_json(&path, &json!({"to": step}))).await;
    }
    // External appraisal stops the Chinese clock (the time spent does not count).
    let clock = format!("/v1/complaints/{id}/clock");
    let (status, paused) = send(
        &app,
        post_json(
            &clock,
            &json!({"change": "paused", "reason": "external_appraisal"}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{paused}");
    assert_eq!(deadline(&paused, "final_response")["paused"], true);
    // The work queue leaves a paused clock out: its due date is stale until it resumes.
    let queue = "/v1/deadlines?before=2030-01-01T00:00:00Z";
    let (status, due) = send(&app, get(queue)).await;
    assert_eq!(status, 200, "{due}");
    assert!(
        due.as_array()
            .unwrap()
            .iter()
            .all(|d| d["complaint_id"] != id),
        "paused deadlines listed: {due}"
    );
    let (status, body) = send(
        &app,
        post_json(
            &clock,
            &json!({"change": "paused", "reason": "awaiting_customer"}),
        ),
    )
    .await;
    assert_eq!(status, 409, "a paused clock cannot pause again: {body}");
    assert_eq!(body["error"]["code"], "clock_state");
    let (status, resumed) = send(&app, post_json(&clock, &json!({"change": "resumed"}))).await;
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(deadline(&resumed, "final_response")["paused"], false);
    let (_, due) = send(&app, get(queue)).await;
    let kinds: Vec<&str> = due
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["complaint_id"] == id)
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"final_response"),
        "resumed deadlines missing: {due}"
    );
    assert!(deadline(&resumed, "final_response")["due_at"].as_str() >= due_before.as_str());

    // An extension with notice moves the decision deadline later (15 days to 30).
    let (status, extended) = send(
        &app,
        post_json(
            &clock,
            &json!({"change": "extended", "days": 15, "notice_given": true}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{extended}");
    assert!(
        deadline(&extended, "final_response")["due_at"].as_str() > due_before.as_str(),
        "{extended}"
    );
    let (_, events) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    let clocks = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "clock")
        .count();
    assert_eq!(clocks, 3);
    store.finish().await;
}

async fn a_looping_plugin_is_stopped_and_the_complaint_gets_fallback_deadlines(backend: Backend) {
    let (host, _dir) = guest::host_with(&[("fixture_spin", "looping-sg", "SG")]);
    let store = TestStore::with_plugins(backend, host.clone()).await;
    let app = store.app().await;
    let mut body = new_complaint();
    body["region"] = json!("SG");
    body["amount_disputed"] = json!({"amount": "80.00", "currency": "SGD"});
    let (id, _) = file(&app, &body).await;

    let (_, list) = send(&app, get(&format!("/v1/complaints/{id}/deadlines"))).await;
    let ack = deadline(&list, "acknowledge");
    assert_eq!(ack["source"], "fallback:SG");
    let (_, events) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    let failure = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "plugin_failure")
        .unwrap_or_else(|| panic!("no plugin_failure event in {events}"));
    let text = failure.to_string();
    assert!(
        text.contains("looping-sg") && text.contains("did not answer"),
        "{text}"
    );

    // Four more failures quarantine it; later complaints skip it straight to the fallback.
    for _ in 0..4 {
        file(&app, &body).await;
    }
    let (_, plugins) = send(&app, get("/v1/admin/plugins")).await;
    let looping = &plugins.as_array().unwrap()[0];
    assert_eq!(looping["name"], "looping-sg");
    assert!(looping["quarantined"].is_string(), "{looping}");
    assert_eq!(looping["serving"], false);
    // A quarantined plugin is not run: the call is refused as unavailable, and no more
    // timeouts are counted against it.
    let before = host.metrics().plugins["looping-sg"].failures;
    let (later, _) = file(&app, &body).await;
    let after = host.metrics().plugins["looping-sg"].failures;
    assert_eq!(after.timeout, before.timeout);
    assert_eq!(after.unavailable, before.unavailable + 1);
    let (_, list) = send(&app, get(&format!("/v1/complaints/{later}/deadlines"))).await;
    assert_eq!(deadline(&list, "acknowledge")["source"], "fallback:SG");
    store.finish().await;
}

async fn without_plugins_each_region_gets_its_strictest_known_deadline(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let mut body = new_complaint();
    body["region"] = json!("US");
    body["received_at"] = json!("2025-03-10T15:00:00Z");
    body["amount_disputed"] = json!({"amount": "20.00", "currency": "USD"});
    let (id, _) = file(&app, &body).await;
    let (_, list) = send(&app, get(&format!("/v1/complaints/{id}/deadlines"))).await;
    let first = deadline(&list, "initial_response");
    // CFPB: respond within 15 days.
    assert_eq!(first["due_at"], "2025-03-25T15:00:00Z");
    assert_eq!(first["source"], "fallback:US");
    assert_eq!(first["overdue"], true);

    let (status, due) = send(&app, get("/v1/deadlines?before=2025-04-01T00:00:00Z")).await;
    assert_eq!(status, 200, "{due}");
    let row = &due.as_array().unwrap()[0];
    assert_eq!(row["complaint_id"], id);
    assert_eq!(row["kind"], "initial_response");
    assert_eq!(row["overdue"], true);

    // With no plugin to ask, a closed complaint is kept for the longest known period.
    let path = format!("/v1/complaints/{id}/transitions");
    for step in [
        json!({"to": "acknowledged"}),
        json!({"to": "in_progress"}),
        json!({"to": "resolved", "outcome": "upheld"}),
        json!({"to": "closed"}),
    ] {
        let (status, body) = send(&app, post_json(&path, &step)).await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, closed) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    let closed_at =
        chrono::DateTime::parse_from_rfc3339(closed["closed_at"].as_str().unwrap()).unwrap();
    let until =
        chrono::DateTime::parse_from_rfc3339(closed["retain_until"].as_str().unwrap()).unwrap();
    assert!(until - closed_at >= chrono::Duration::days(5 * 365));
    let (status, body) = send(&app, get("/v1/deadlines?limit=0")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "limit");
    store.finish().await;
}

async fn plugins_are_installed_and_disabled_over_the_admin_api(backend: Backend) {
    use base64::Engine;
    let (host, _dir) = guest::host_with(&[]);
    let store = TestStore::with_plugins(backend, host).await;
    let app = store.app().await;
    let wasm = guest::component("compliance_uk_fca");

    let mut wrong = guest::manifest("compliance-uk-fca", "2.0.0", "UK", &wasm);
    wrong = wrong.replace("sha256 = \"", "sha256 = \"0");
    let upload = |manifest: &str| {
        json!({"manifest": manifest,
               "component": base64::engine::general_purpose::STANDARD.encode(&wasm)})
    };
    let (status, body) = send(&app, post_json("/v1/admin/plugins", &upload(&wrong))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "manifest");

    let manifest = guest::manifest("compliance-uk-fca", "2.0.0", "UK", &wasm);
    let (status, body) = send(&app, post_json("/v1/admin/plugins", &upload(&manifest))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["version"], "2.0.0");
    let (id, _) = file(&app, &uk_complaint()).await;
    let (_, list) = send(&app, get(&format!("/v1/complaints/{id}/deadlines"))).await;
    assert_eq!(
        deadline(&list, "final_response")["source"],
        "plugin:compliance-uk-fca@2.0.0"
    );

    let (status, body) = send(
        &app,
        post_json("/v1/admin/plugins/compliance-uk-fca/disable", &json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["serving"], false);
    let (id, _) = file(&app, &uk_complaint()).await;
    let (_, list) = send(&app, get(&format!("/v1/complaints/{id}/deadlines"))).await;
    assert_eq!(deadline(&list, "final_response")["source"], "fallback:UK");
    let (_, events) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    assert!(
        events.to_string().contains("plugin_failure"),
        "a disabled plugin is recorded: {events}"
    );

    let (status, _) = send(
        &app,
        post_json("/v1/admin/plugins/no-such-plugin/enable", &json!({})),
    )
    .await;
    assert_eq!(status, 404);
    store.finish().await;
}

async fn a_summary_resolution_is_checked_by_the_uk_plugin(backend: Backend) {
    let (host, _dir) = guest::host_with(&[("compliance_uk_fca", "compliance-uk-fca", "UK")]);
    let store = TestStore::with_plugins(backend, host).await;
    let app = store.app().await;
    let summary = |elements: &[&str]| {
        json!({"to": "resolved", "outcome": "summary_resolution",
               "final_response_elements": elements})
    };
    let resolve_steps = |id: i64| format!("/v1/complaints/{id}/transitions");

    // Received an hour ago: inside DISP 1.5.1R's window whatever the day.
    let mut body = uk_complaint();
    body["received_at"] = json!((chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339());
    let (id, _) = file(&app, &body).await;
    let path = resolve_steps(id);
    for step in ["acknowledged", "in_progress"] {
        send(&app, post_json(&path, &json!({"to": step}))).await;
    }
    // DISP 1.5.4R: the summary resolution communication names the Ombudsman, the waiver
    // position and the website; the final-response-only items (six-month limit, leaflet)
    // are not asked for.
    let (status, body) = send(&app, post_json(&path, &summary(&["fos-referral-rights"]))).await;
    assert_eq!(status, 422, "{body}");
    let missing: Vec<&str> = body["error"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert_eq!(missing, ["time-limit-waiver", "fos-website"]);
    assert_eq!(body["error"]["missing"][0]["rule"], "DISP 1.5.4R");
    let complete = ["fos-referral-rights", "time-limit-waiver", "fos-website"];
    let (status, resolved) = send(&app, post_json(&path, &summary(&complete))).await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["outcome"], "summary_resolution");
    assert_eq!(resolved["status"], "resolved");

    // Received 30 days ago: past the third business day, a summary resolution is refused.
    let mut body = uk_complaint();
    body["received_at"] = json!((chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339());
    let (late, _) = file(&app, &body).await;
    let path = resolve_steps(late);
    for step in ["acknowledged", "in_progress"] {
        send(&app, post_json(&path, &json!({"to": step}))).await;
    }
    let (status, body) = send(&app, post_json(&path, &summary(&complete))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["error"]["missing"][0]["code"],
        "summary-resolution-window"
    );
    assert_eq!(body["error"]["missing"][0]["rule"], "DISP 1.5.1R");
    store.finish().await;
}

async fn a_closure_check_the_plugin_cannot_answer_uses_the_regions_list(backend: Backend) {
    // The garbage fixture answers every closure check with an element that has no code.
    let (host, _dir) = guest::host_with(&[("fixture_garbage", "garbage-uk", "UK")]);
    let store = TestStore::with_plugins(backend, host).await;
    let app = store.app().await;
    let (id, _) = file(&app, &uk_complaint()).await;
    let path = format!("/v1/complaints/{id}/transitions");
    for step in ["acknowledged", "in_progress"] {
        send(&app, post_json(&path, &json!({"to": step}))).await;
    }
    // DISP 1.6.2R: the Ombudsman referral rights and the six-month limit are on the UK's
    // fixed list, with the website, the leaflet and the waiver position.
    let partial = json!({"to": "resolved", "outcome": "upheld",
        "final_response_elements": ["fos-referral-rights", "fos-website"]});
    let (status, body) = send(&app, post_json(&path, &partial)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "final_response_incomplete");
    let missing = body["error"]["missing"].as_array().unwrap();
    let codes: Vec<&str> = missing
        .iter()
        .map(|m| m["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["fos-six-month-limit", "fos-leaflet", "time-limit-waiver"]
    );
    let rule = missing[0]["rule"].as_str().unwrap();
    assert!(
        rule.contains("DISP 1.6.2R") && rule.contains("fallback"),
        "{rule}"
    );
    let (_, now) = send(&app, get(&format!("/v1/complaints/{id}"))).await;
    assert_eq!(
        now["status"], "in_progress",
        "a refused closure writes nothing"
    );

    let complete = json!({"to": "resolved", "outcome": "upheld",
        "final_response_elements": UK_FINAL_ELEMENTS});
    let (status, body) = send(&app, post_json(&path, &complete)).await;
    assert_eq!(status, 200, "{body}");
    let (_, events) = send(&app, get(&format!("/v1/complaints/{id}/events"))).await;
    let checked = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "plugin_failure" && e["data"]["call"] == "check_closure")
        .unwrap_or_else(|| panic!("the fallback check is not recorded: {events}"));
    assert_eq!(checked["data"]["fallback"], "fallback:UK");
    let resolved = events
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["to_status"] == "resolved")
        .unwrap();
    assert_eq!(
        resolved["data"]["closure_check"], "fallback:UK",
        "{resolved}"
    );
    assert!(
        checked["data"]["error"]
            .as_str()
            .unwrap()
            .contains("garbage-uk"),
        "{checked}"
    );
    store.finish().await;
}

crate::on_both_backends!(
    a_summary_resolution_is_checked_by_the_uk_plugin,
    a_closure_check_the_plugin_cannot_answer_uses_the_regions_list,
    plugins_are_installed_and_disabled_over_the_admin_api,
    uk_plugin_sets_the_deadlines_and_guards_the_final_response,
    waiting_on_the_customer_pauses_the_clock,
    a_looping_plugin_is_stopped_and_the_complaint_gets_fallback_deadlines,
    without_plugins_each_region_gets_its_strictest_known_deadline,
);
