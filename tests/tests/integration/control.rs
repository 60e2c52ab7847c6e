//! Notices between replicas over NATS: a plugin installed through one replica's admin API
//! is served by another replica sharing the plugin folder within a second, with no
//! periodic reload running.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use redress::bus::BusConfig;
use redress::workers::Control;
use redress::workers::control::PLUGINS_CHANGED;
use redress_plugin_host::{PluginHost, SandboxLimits};
use serde_json::json;

use crate::bus::{BusKind, make_bus};
use crate::guest;
use crate::support::{Backend, TestStore, post_json, send, unique_prefix};

/// A replica's reload callback, as `redress serve` registers it.
fn reload_on_notice(control: &Control, host: Arc<PluginHost>) {
    control.on(PLUGINS_CHANGED, move || {
        let host = host.clone();
        tokio::task::spawn_blocking(move || host.reload());
    });
}

async fn a_plugin_installed_on_one_replica_reaches_the_others_within_a_second(backend: Backend) {
    use base64::Engine;
    let (host_a, dir) = guest::host_with(&[]);
    let host_b = Arc::new(
        PluginHost::open(
            dir.path(),
            SandboxLimits {
                pooled_instances: 8,
                ..Default::default()
            },
        )
        .expect("second replica's host"),
    );
    let prefix = unique_prefix();
    let config = BusConfig::new(&prefix);
    let control_a = Control::new(make_bus(BusKind::Nats, config.clone()).await);
    let control_b = Control::new(make_bus(BusKind::Nats, config).await);
    reload_on_notice(&control_a, host_a.clone());
    reload_on_notice(&control_b, host_b.clone());
    let pings = Arc::new(AtomicUsize::new(0));
    let seen = pings.clone();
    control_b.on("ping", move || {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    let listeners = [
        tokio::spawn(control_a.clone().listen()),
        tokio::spawn(control_b.clone().listen()),
    ];
    // Until replica B hears a ping, its subscription is not in place yet.
    let deadline = Instant::now() + Duration::from_secs(10);
    while pings.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "replica B never listened");
        control_a.announce("ping").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let store = TestStore::with_plugins(backend, host_a.clone()).await;
    let app = store
        .app_announcing(Some(store.admin_token.clone()), control_a.clone())
        .await;
    let wasm = guest::component("compliance_uk_fca");
    let manifest = guest::manifest("compliance-uk-fca", "3.0.0", "UK", &wasm);
    assert!(host_b.info("compliance-uk-fca").is_none());
    let (status, body) = send(
        &app,
        post_json(
            "/v1/admin/plugins",
            &json!({"manifest": manifest,
                    "component": base64::engine::general_purpose::STANDARD.encode(&wasm)}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let installed = Instant::now();
    while host_b.info("compliance-uk-fca").is_none() {
        assert!(
            installed.elapsed() < Duration::from_secs(1),
            "replica B did not reload within a second"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        host_b
            .info("compliance-uk-fca")
            .unwrap()
            .version
            .to_string(),
        "3.0.0"
    );
    for listener in listeners {
        listener.abort();
    }
    make_bus(BusKind::Nats, BusConfig::new(&prefix))
        .await
        .remove_streams()
        .await;
    store.finish().await;
}

crate::on_both_backends!(a_plugin_installed_on_one_replica_reaches_the_others_within_a_second);
