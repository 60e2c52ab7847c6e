//! Who may do what: the permission matrix over every route of the access table, every
//! built-in role, the caller's own domain and another one; authentication failures; and
//! policy and token changes taking effect at once.

use actix_web::test::TestRequest;
use redress::api::access::{RULES, Reach};
use redress::auth::policy::BUILT_IN_RULES;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

use crate::support::{Backend, TestStore, get, new_complaint, post_json, send};

const OWN: &str = "acme/UK";

/// Whether the built-in policy lets `role` do `action` on `object`.
fn permitted(role: &str, object: &str, action: &str) -> bool {
    BUILT_IN_RULES
        .iter()
        .any(|(r, o, a)| *r == role && *o == object && (*a == action || *a == "*"))
}

/// A request for a route with `{id}` standing for `id`, with a body the handler accepts.
fn request(method: &str, path: &str, id: &str) -> TestRequest {
    let uri = path
        .replace("{id}", id)
        .replace("{task_id}", id)
        .replace("{escalation_id}", id)
        .replace("{name}", "no-such-plugin")
        .replace("{reference}", "RDR-1999-000009");
    let uri = match uri.as_str() {
        "/v1/reports/counts" => format!("{uri}?by=product"),
        "/v1/audit/export" => format!("{uri}?from=1&to=10"),
        _ => uri,
    };
    let body = match (method, path) {
        ("POST", "/v1/complaints") => {
            let mut c = new_complaint();
            c["institution"] = json!("acme");
            Some(c)
        }
        ("PATCH", _) => Some(json!({"priority": "high"})),
        ("POST", "/v1/complaints/{id}/transitions") => Some(json!({"to": "acknowledged"})),
        ("POST", "/v1/complaints/{id}/notes") => Some(json!({"body": "called back"})),
        ("POST", "/v1/complaints/{id}/clock") => Some(json!({"change": "new_facts"})),
        ("POST", "/v1/complaints/{id}/tasks") => {
            Some(json!({"department": "fraud", "question": "Was the card reported stolen?"}))
        }
        ("POST", "/v1/tasks/{task_id}/answer") => Some(json!({"answer": "Yes, on the 3rd."})),
        ("POST", "/v1/admin/plugins") => Some(json!({"manifest": "x", "component": "AAAA"})),
        ("POST", "/v1/admin/tokens") => Some(json!({"subject": "matrix-made"})),
        ("POST" | "DELETE", "/v1/admin/policies") => {
            Some(json!({"ptype": "g2", "values": ["matrix-nobody", "nowhere"]}))
        }
        _ => None,
    };
    let req = match method {
        "GET" => TestRequest::get(),
        "POST" => TestRequest::post(),
        "PATCH" => TestRequest::patch(),
        "DELETE" => TestRequest::delete(),
        other => panic!("no request builder for {other}"),
    }
    .uri(&uri);
    match body {
        Some(b) => req.set_json(b),
        None => req,
    }
}

async fn file_in(
    store: &TestStore,
    institution: &str,
    narrative: &str,
) -> (i64, String, String, i64) {
    let app = store.app().await;
    let mut body = new_complaint();
    body["institution"] = json!(institution);
    body["narrative"] = json!(narrative);
    let (status, filed) = send(&app, post_json("/v1/complaints", &body)).await;
    assert_eq!(status, 201, "{filed}");
    (
        filed["complaint"]["id"].as_i64().unwrap(),
        filed["complaint"]["reference"].as_str().unwrap().to_owned(),
        filed["tracking_token"].as_str().unwrap().to_owned(),
        filed["complaint"]["customer"]["id"].as_i64().unwrap(),
    )
}

async fn task_for(
    store: &TestStore,
    complaint_id: i64,
    institution: &str,
    department: &str,
) -> i64 {
    use redress::store::entity::task;
    let now = chrono::Utc::now();
    task::Entity::insert(task::ActiveModel {
        complaint_id: Set(complaint_id),
        institution: Set(institution.to_owned()),
        region: Set("UK".into()),
        department: Set(department.to_owned()),
        question: Set("Was the card reported stolen?".into()),
        due_at: Set(now + chrono::Duration::days(2)),
        state: Set("open".into()),
        created_by: Set("test".into()),
        created_at: Set(now),
        attempts: Set(0),
        version: Set(1),
        ..Default::default()
    })
    .exec(store.complaints.db())
    .await
    .expect("task stored")
    .last_insert_id
}

async fn every_route_for_every_role_in_and_out_of_its_domain(backend: Backend) {
    let store = TestStore::new(backend).await;
    let (own_complaint, own_ref, own_token, own_customer) =
        file_in(&store, "acme", "Own domain: the fee was charged twice.").await;
    let (other_complaint, other_ref, _, other_customer) =
        file_in(&store, "rival", "Other domain: a mortgage escrow question.").await;
    let own_task = task_for(&store, own_complaint, "acme", "fraud").await;
    let other_task = task_for(&store, other_complaint, "rival", "fraud").await;
    // A task of the own domain for another department: a fraud handler must not reach it.
    let legal_task = task_for(&store, own_complaint, "acme", "legal").await;

    let roles = [
        ("agent", OWN),
        ("supervisor", OWN),
        ("department_handler", OWN),
        ("compliance_officer", OWN),
        ("auditor", OWN),
        ("admin", OWN),
        ("plugin_manager", "*"),
    ];
    let mut checked = 0;
    for (role, domain) in roles {
        let subject = format!("matrix-{role}");
        let token = store.token_for(&subject, &[(role, domain)]).await;
        if role == "department_handler" {
            store.grant(&["g2", &subject, "fraud"]).await;
        }
        let app = store.app_with(Some(token)).await;
        for rule in RULES {
            // Customer routes take a customer's id, task routes a task's, the others a
            // complaint's.
            let (own_id, other_id) = if rule.path.starts_with("/v1/customers/") {
                (own_customer, other_customer)
            } else if rule.path.contains("{task_id}") {
                (own_task, other_task)
            } else {
                (own_complaint, other_complaint)
            };
            if rule.path.contains("{task_id}")
                && role == "department_handler"
                && permitted(role, rule.object, rule.action)
            {
                // Another department's task in the handler's own domain looks missing too.
                let (status, body) = send(
                    &app,
                    request(rule.method, rule.path, &legal_task.to_string()),
                )
                .await;
                assert_eq!(status, 404, "{role} {} {}: {body}", rule.method, rule.path);
            }
            let allowed = rule.reach == Reach::Authenticated
                || permitted(role, rule.object, rule.action)
                    && (rule.reach != Reach::Global || domain == "*");
            let what = format!("{role} {} {}", rule.method, rule.path);
            match rule.reach {
                Reach::Public | Reach::Tracking => continue,
                _ if !allowed => {
                    let (status, body) =
                        send(&app, request(rule.method, rule.path, &own_id.to_string())).await;
                    assert_eq!(status, 403, "{what}: {body}");
                    assert_eq!(body["error"]["code"], "forbidden", "{what}");
                    if rule.path.contains("{id}") || rule.path.contains("{task_id}") {
                        let (status, _) =
                            send(&app, request(rule.method, rule.path, &other_id.to_string()))
                                .await;
                        assert_eq!(status, 403, "{what} (other domain)");
                    }
                }
                _ if rule.path.contains("{id}") || rule.path.contains("{task_id}") => {
                    let (status, body) =
                        send(&app, request(rule.method, rule.path, &own_id.to_string())).await;
                    assert!(
                        !matches!(status, 401 | 403 | 404),
                        "{what} (own domain): {status} {body}"
                    );
                    let other =
                        send(&app, request(rule.method, rule.path, &other_id.to_string())).await;
                    let missing = send(&app, request(rule.method, rule.path, "999999")).await;
                    assert_eq!(other.0, 404, "{what} (other domain): {}", other.1);
                    assert_eq!(other, missing, "{what}: out of domain must look missing");
                }
                _ => {
                    let (status, body) = send(&app, request(rule.method, rule.path, "")).await;
                    assert!(!matches!(status, 401 | 403), "{what}: {status} {body}");
                    if rule.path == "/v1/complaints" && rule.method == "GET" {
                        let ids: Vec<i64> = body["items"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|i| i["id"].as_i64().unwrap())
                            .collect();
                        assert!(ids.contains(&own_complaint), "{what}: {ids:?}");
                        assert!(
                            !ids.contains(&other_complaint),
                            "{what} lists another domain"
                        );
                    }
                }
            }
            checked += 1;
        }
        if permitted(role, "complaint", "create") {
            let mut elsewhere = new_complaint();
            elsewhere["institution"] = json!("rival");
            let (status, body) = send(&app, post_json("/v1/complaints", &elsewhere)).await;
            assert_eq!(status, 403, "{role} filed in another domain: {body}");
        }
    }
    assert!(checked > 150, "only {checked} checks");

    // The customer reaches only their own complaint, with the token given at filing.
    let app = store.app_with(None).await;
    let track = |reference: &str| {
        TestRequest::get()
            .uri(&format!("/v1/track/{reference}"))
            .insert_header(("X-Tracking-Token", own_token.clone()))
    };
    assert_eq!(send(&app, track(&own_ref)).await.0, 200);
    let other = send(&app, track(&other_ref)).await;
    assert_eq!(other.0, 404);
    assert_eq!(other, send(&app, track("RDR-1999-000001")).await);
    store.finish().await;
}

async fn no_valid_token_means_401_everywhere_but_health_and_tracking(backend: Backend) {
    let store = TestStore::new(backend).await;
    let (id, _, _, _) = file_in(&store, "acme", "A narrative.").await;
    let anonymous = store.app_with(None).await;
    let garbage = store
        .app_with(Some(format!("rdr_0123456789abcdef_{}", "0".repeat(64))))
        .await;
    for rule in RULES {
        let (status, body) =
            send(&anonymous, request(rule.method, rule.path, &id.to_string())).await;
        match rule.reach {
            Reach::Public => assert_eq!(status, 200, "{} {}", rule.method, rule.path),
            Reach::Tracking => assert_eq!(status, 404),
            _ => {
                assert_eq!(status, 401, "{} {}: {body}", rule.method, rule.path);
                assert_eq!(body["error"]["field"], "Authorization");
                let (status, _) =
                    send(&garbage, request(rule.method, rule.path, &id.to_string())).await;
                assert_eq!(
                    status, 401,
                    "{} {} with a forged token",
                    rule.method, rule.path
                );
            }
        }
    }
    store.finish().await;
}

async fn revoked_tokens_and_removed_grants_stop_working_at_once(backend: Backend) {
    let store = TestStore::new(backend).await;
    let (id, _, _, _) = file_in(&store, "acme", "A narrative.").await;
    let admin = store.app().await;
    let (status, issued) = send(
        &admin,
        post_json(
            "/v1/admin/tokens",
            &json!({"subject": "carol", "label": "desk 4"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{issued}");
    let token = issued["token"].as_str().unwrap().to_owned();
    let carol = store.app_with(Some(token)).await;
    let path = format!("/v1/complaints/{id}");

    // A token without a role may do nothing.
    assert_eq!(send(&carol, get(&path)).await.0, 403);
    let grant = json!({"ptype": "g", "values": ["carol", "agent", "acme/UK"]});
    assert_eq!(
        send(&admin, post_json("/v1/admin/policies", &grant))
            .await
            .0,
        201
    );
    let (status, seen) = send(&carol, get(&path)).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["personal_data"], "shown");

    // Taking pii:read from agents masks personal data.
    let pii = json!({"ptype": "p", "values": ["agent", "*", "pii", "read"]});
    let remove = |body: &Value| {
        TestRequest::delete()
            .uri("/v1/admin/policies")
            .set_json(body.clone())
    };
    assert_eq!(send(&admin, remove(&pii)).await.0, 204);
    let (_, masked) = send(&carol, get(&path)).await;
    assert_eq!(masked["personal_data"], "masked");
    assert_eq!(masked["customer"]["name"], "J. Q. C.");
    assert_eq!(masked["customer"]["customer_number"], "****9812");
    assert_eq!(masked["narrative"], "****");
    let (_, notes) = send(&carol, get(&format!("{path}/events"))).await;
    assert!(notes.to_string().contains("filed"));

    assert_eq!(send(&admin, remove(&grant)).await.0, 204);
    assert_eq!(send(&carol, get(&path)).await.0, 403);
    assert_eq!(
        send(&admin, post_json("/v1/admin/policies", &grant))
            .await
            .0,
        201
    );
    assert_eq!(send(&carol, get(&path)).await.0, 200);

    let revoke = TestRequest::delete().uri(&format!(
        "/v1/admin/tokens/{}",
        issued["id"].as_str().unwrap()
    ));
    assert_eq!(send(&admin, revoke).await.0, 204);
    assert_eq!(send(&carol, get(&path)).await.0, 401);

    // Every one of those changes is in the audit trail, with the secret nowhere.
    let (_, records) = send(&admin, get("/v1/audit/records?limit=1000")).await;
    let actions: Vec<&str> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for action in [
        "token.issue",
        "policy.add",
        "policy.remove",
        "token.revoke",
        "pii.read",
    ] {
        assert!(
            actions.contains(&action),
            "{action} not audited: {actions:?}"
        );
    }
    assert!(
        !records
            .to_string()
            .contains(issued["token"].as_str().unwrap())
    );
    store.finish().await;
}

async fn every_route_in_the_api_has_a_row_in_the_access_table(backend: Backend) {
    let store = TestStore::new(backend).await;
    let app = store.app().await;
    let (_, doc) = send(&app, get("/openapi.json")).await;
    let mut routes = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let rule = RULES
                .iter()
                .find(|r| r.path == path && r.method == method)
                .unwrap_or_else(|| panic!("{method} {path} has no access rule"));
            // The table says which routes read a query string; the handlers' own
            // declarations in the document must agree, or a route would refuse the
            // parameters it documents, or take ones it ignores.
            let documents_query = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            assert_eq!(
                rule.query, documents_query,
                "{method} {path}: query in the access table"
            );
            routes += 1;
        }
    }
    let documented = RULES.iter().filter(|r| r.path != "/openapi.json").count();
    assert_eq!(
        routes, documented,
        "the access table names routes the API lacks"
    );
    store.finish().await;
}

async fn jwts_from_the_identity_provider_are_checked(backend: Backend) {
    const SECRET: &str = "a shared secret of at least 32 bytes";
    let store = TestStore::with(backend, |s| {
        s.auth.jwt = Some(redress::config::JwtSettings {
            issuer: "https://idp.bank.example".into(),
            audience: "redress".into(),
            algorithm: "HS256".into(),
            secret: Some(SECRET.into()),
            public_key_pem: None,
            roles_claim: Some("redress_roles".into()),
        });
    })
    .await;
    let (id, _, _, _) = file_in(&store, "acme", "A narrative.").await;
    let (other, _, _, _) = file_in(&store, "rival", "Another narrative.").await;
    let now = chrono::Utc::now().timestamp();
    let sign = |changes: Value, key: &str| {
        let mut claims = json!({
            "sub": "dana", "iss": "https://idp.bank.example", "aud": "redress",
            "exp": now + 600, "redress_roles": ["agent@acme/UK"],
        });
        for (k, v) in changes.as_object().unwrap() {
            claims[k] = v.clone();
        }
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        let key = jsonwebtoken::EncodingKey::from_secret(key.as_bytes()).unwrap();
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    };
    let path = format!("/v1/complaints/{id}");
    let status_with = |token: String| {
        let path = path.clone();
        let store = &store;
        async move {
            let app = store.app_with(Some(token)).await;
            send(&app, get(&path)).await.0
        }
    };

    // Roles from the claim.
    assert_eq!(status_with(sign(json!({}), SECRET)).await, 200);
    let app = store.app_with(Some(sign(json!({}), SECRET))).await;
    let (status, note) = send(
        &app,
        post_json(&format!("{path}/notes"), &json!({"body": "ok"})),
    )
    .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["actor"], "jwt:dana");
    assert_eq!(
        send(&app, get(&format!("/v1/complaints/{other}"))).await.0,
        404
    );
    // Roles from casbin grants for jwt:<sub>.
    let erin = sign(json!({"sub": "erin", "redress_roles": []}), SECRET);
    assert_eq!(status_with(erin.clone()).await, 403);
    store.grant(&["g", "jwt:erin", "auditor", "acme/UK"]).await;
    assert_eq!(status_with(erin).await, 200);
    // Anything not from the configured issuer, for this audience, signed and current: 401.
    for bad in [
        sign(json!({"exp": now - 300}), SECRET),
        sign(json!({"aud": "someone-else"}), SECRET),
        sign(json!({"iss": "https://evil.example"}), SECRET),
        sign(json!({}), "another secret that is long enough!!"),
    ] {
        assert_eq!(status_with(bad).await, 401);
    }
    store.finish().await;
}

crate::on_both_backends!(
    jwts_from_the_identity_provider_are_checked,
    every_route_for_every_role_in_and_out_of_its_domain,
    no_valid_token_means_401_everywhere_but_health_and_tracking,
    revoked_tokens_and_removed_grants_stop_working_at_once,
    every_route_in_the_api_has_a_row_in_the_access_table,
);
