//! The `redress` binary as an operator runs it: `redress import FILE` twice on the
//! same export, then a file with a row it cannot read.

use std::path::Path;
use std::process::{Command, Output};

fn redress(db: &Path, args: &[&str]) -> Output {
    redress_with(db, args, &[])
}

/// [`redress`] with more environment variables (settings).
fn redress_with(db: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redress"))
        .args(args)
        .envs(env.iter().copied())
        .env(
            "REDRESS_DATABASE__URL",
            format!("sqlite://{}?mode=rwc", db.display()),
        )
        .env("REDRESS_LOG__FILTER", "warn")
        .current_dir(db.parent().expect("temp dir"))
        .output()
        .expect("redress runs")
}

/// The number after `label` in the import summary.
fn figure(stdout: &str, label: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` in summary:\n{stdout}"))
}

fn sample(name: &str) -> String {
    format!("{}/../tests/data/cfpb/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn import_prints_a_summary_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redress.db");
    let file = sample("complaints-personal-loans-2023.csv");
    let rows = csv::Reader::from_path(&file).unwrap().records().count() as u64;

    let first = redress(&db, &["import", &file, "--quiet"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8(first.stdout).unwrap();
    assert_eq!(figure(&out, "imported:"), rows);
    assert_eq!(figure(&out, "already present:"), 0);
    assert_eq!(figure(&out, "rejected:"), 0);

    let second = redress(&db, &["import", &file, "--quiet"]);
    assert!(second.status.success());
    let out = String::from_utf8(second.stdout).unwrap();
    assert_eq!(figure(&out, "imported:"), 0);
    assert_eq!(figure(&out, "already present:"), rows);
}

#[test]
fn reindex_rebuilds_the_search_tokens_of_every_imported_narrative() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redress.db");
    let file = sample("complaints-personal-loans-2023.csv");
    let mut reader = csv::Reader::from_path(&file).unwrap();
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "Consumer complaint narrative")
        .unwrap();
    let narratives = reader
        .records()
        .map(|r| r.unwrap()[column].trim().to_owned())
        .filter(|n| !n.is_empty() && n != "None" && n != "null")
        .count();
    assert!(narratives > 0, "the sample holds narratives");
    assert!(redress(&db, &["import", &file, "--quiet"]).status.success());

    let out = redress(&db, &["admin", "reindex"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!(
            "rebuilt with the configured index key: {narratives} complaints' search tokens, \
             0 customers' number fingerprints"
        )
    );
}

#[test]
fn a_worker_that_never_reaches_nats_exits_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redress.db");
    // Nothing listens on port 1.
    let out = redress(
        &db,
        &[
            "dept",
            "work",
            "--department",
            "fraud",
            "--answer",
            "Checked",
            "--idle-exit",
            "2",
            "--nats-url",
            "nats://127.0.0.1:1",
        ],
    );
    assert!(!out.status.success(), "exit status {:?}", out.status);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bus is unavailable"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_setting_of_the_wrong_type_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redress.db");
    std::fs::write(
        dir.path().join("redress.toml"),
        "[http]\nworkers = \"abc\"\n",
    )
    .unwrap();
    let out = redress(&db, &["migrate"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("http.workers"), "{stderr}");
    assert_eq!(stderr.matches("invalid type").count(), 1, "{stderr}");
}

#[test]
fn unreadable_rows_are_reported_by_line_and_the_rest_imported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redress.db");
    let source = std::fs::read_to_string(sample("complaints-personal-loans-2023.csv")).unwrap();
    let mut lines: Vec<&str> = source.lines().take(3).collect();
    // The header and two real single-line rows; line 3 gets a date the CFPB never writes.
    let broken = lines[2].replacen(lines[2].split(',').next().unwrap(), "31/31/2025", 1);
    lines[2] = &broken;
    let file = dir.path().join("export.csv");
    std::fs::write(&file, lines.join("\n")).unwrap();

    let run = redress(&db, &["import", file.to_str().unwrap(), "--quiet"]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out = String::from_utf8(run.stdout).unwrap();
    assert_eq!(figure(&out, "imported:"), 1, "{out}");
    assert_eq!(figure(&out, "rejected:"), 1, "{out}");
    assert!(out.contains("line 3:"), "{out}");
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redress.db");
    let run = redress(&db, &["import", "no-such-export.csv"]);
    assert!(!run.status.success());
    let err = String::from_utf8(run.stderr).unwrap();
    assert!(err.contains("no-such-export.csv"), "{err}");
}

/// A partner's first hour: scaffold a plugin, test it natively, build the component, seal
/// its manifest, install it, see it listed, disable it; then sign it for an operator who
/// trusts only signed plugins.
#[test]
fn a_scaffolded_plugin_builds_tests_seals_and_installs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redress.db");
    let sdk = format!("{}/../sdk", env!("CARGO_MANIFEST_DIR"));
    let new = redress(
        &db,
        &[
            "plugin",
            "new",
            "acme-rules",
            "--region",
            "UK",
            "--sdk-path",
            &sdk,
            "--dir",
            dir.path().to_str().unwrap(),
        ],
    );
    assert!(
        new.status.success(),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    let crate_dir = dir.path().join("acme-rules");

    // Guest builds get a target directory of their own: the running `cargo test` holds
    // the lock on the main one.
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold");
    let cargo = |args: &[&str]| {
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(args)
            .current_dir(&crate_dir)
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .status()
            .expect("cargo runs")
    };
    assert!(
        cargo(&["test", "--quiet"]).success(),
        "the scaffold's own test passes"
    );
    assert!(cargo(&["build", "--release", "--target", "wasm32-wasip2"]).success());
    let wasm = target.join("wasm32-wasip2/release/acme_rules.wasm");
    let manifest = crate_dir.join("plugin.toml");

    let refused = redress(
        &db,
        &[
            "plugin",
            "install",
            wasm.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success(), "an unsealed manifest is refused");

    let seal = redress(
        &db,
        &[
            "plugin",
            "seal",
            wasm.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
        ],
    );
    assert!(
        seal.status.success(),
        "{}",
        String::from_utf8_lossy(&seal.stderr)
    );
    let install = redress(
        &db,
        &[
            "plugin",
            "install",
            wasm.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
        ],
    );
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    assert!(String::from_utf8_lossy(&install.stdout).contains("installed acme-rules 0.1.0 for UK"));
    let install_again = || {
        redress(
            &db,
            &[
                "plugin",
                "install",
                wasm.to_str().unwrap(),
                "--manifest",
                manifest.to_str().unwrap(),
            ],
        )
    };
    // The same again changes nothing; the same version with another region list is
    // refused, and the region stays served as it was.
    let again = install_again();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing changed"));
    let sealed = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        sealed.replace(r#"regions = ["UK"]"#, r#"regions = ["UK", "HK"]"#),
    )
    .unwrap();
    let changed = install_again();
    assert!(!changed.status.success());
    assert!(
        String::from_utf8_lossy(&changed.stderr).contains("new version in plugin.toml"),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    std::fs::write(&manifest, sealed).unwrap();

    let list = redress(&db, &["plugin", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).expect("JSON list");
    assert_eq!(listed[0]["name"], "acme-rules");
    assert_eq!(listed[0]["serving"], true);

    assert!(
        redress(&db, &["plugin", "disable", "acme-rules"])
            .status
            .success()
    );
    let list = redress(&db, &["plugin", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(listed[0]["enabled"], false);
    let unknown = redress(&db, &["plugin", "enable", "nobody"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nobody"));

    // The publisher makes a key; the operator trusts its public key.
    let key = dir.path().join("acme.key");
    let keygen = redress(
        &db,
        &[
            "plugin",
            "keygen",
            "--key-id",
            "acme",
            "--out",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        keygen.status.success(),
        "{}",
        String::from_utf8_lossy(&keygen.stderr)
    );
    let out = String::from_utf8(keygen.stdout).unwrap();
    let public = out
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .unwrap_or_else(|| panic!("no public key in {out}"))
        .to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the secret key is readable by others");
    }
    let again = redress(
        &db,
        &[
            "plugin",
            "keygen",
            "--key-id",
            "acme",
            "--out",
            key.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success(), "an existing key is never replaced");
    let trusting = [("REDRESS_PLUGINS__TRUSTED_KEYS__ACME", public.as_str())];
    let install = [
        "plugin",
        "install",
        wasm.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ];
    let unsigned = redress_with(&db, &install, &trusting);
    assert!(!unsigned.status.success());
    assert!(
        String::from_utf8_lossy(&unsigned.stderr).contains("redress plugin sign"),
        "{}",
        String::from_utf8_lossy(&unsigned.stderr)
    );
    let sign = redress(
        &db,
        &[
            "plugin",
            "sign",
            wasm.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        sign.status.success(),
        "{}",
        String::from_utf8_lossy(&sign.stderr)
    );
    let signed = std::fs::read_to_string(&manifest).unwrap();
    assert!(signed.contains("[signature]") && signed.contains("key-id = \"acme\""));
    let install = redress_with(&db, &install, &trusting);
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    // Another operator who trusts someone else refuses it.
    let other = [(
        "REDRESS_PLUGINS__TRUSTED_KEYS__OTHER",
        "WGZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=",
    )];
    let refused = redress_with(
        &db,
        &[
            "plugin",
            "install",
            wasm.to_str().unwrap(),
            "--manifest",
            manifest.to_str().unwrap(),
        ],
        &other,
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not in plugins.trusted_keys"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

#[test]
fn the_first_admin_is_bootstrapped_once_and_audit_verify_names_a_tampered_record() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redress.db");
    let file = sample("complaints-personal-loans-2023.csv");
    assert!(redress(&db, &["import", &file, "--quiet"]).status.success());

    let first = redress(&db, &["admin", "bootstrap"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8(first.stdout).unwrap();
    assert!(
        out.lines().any(|l| l.starts_with("rdr_") && l.len() > 80),
        "{out}"
    );
    let again = redress(&db, &["admin", "bootstrap"]);
    assert!(
        !again.status.success(),
        "a second bootstrap must be refused"
    );

    let sealed = redress(&db, &["audit", "checkpoint"]);
    assert!(
        sealed.status.success(),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    let verify = redress(&db, &["audit", "verify"]);
    let out = String::from_utf8(verify.stdout).unwrap();
    assert!(verify.status.success(), "{out}");
    assert!(out.starts_with("intact:"), "{out}");

    // A proof of one imported complaint checks offline, against the key the CLI created.
    let proof = dir.path().join("proof.json");
    let prove = redress(
        &db,
        &["audit", "prove", "1", "--out", proof.to_str().unwrap()],
    );
    assert!(
        prove.status.success(),
        "{}",
        String::from_utf8_lossy(&prove.stderr)
    );
    let check = redress(&db, &["audit", "check-proof", proof.to_str().unwrap()]);
    let out = String::from_utf8(check.stdout).unwrap();
    assert!(
        check.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        out.contains("proof holds: 1 records of complaint:1"),
        "{out}"
    );

    // Someone with the database file edits record 40.
    let url = format!("sqlite://{}", db.display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sea_orm::ConnectionTrait;
        let conn = sea_orm::Database::connect(&url).await.unwrap();
        conn.execute_unprepared("UPDATE audit_records SET actor = 'someone' WHERE seq = 40")
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
    let verify = redress(&db, &["audit", "verify"]);
    let out = String::from_utf8(verify.stdout).unwrap();
    assert!(!verify.status.success());
    assert!(out.contains("record 40 was altered"), "{out}");
}

#[test]
fn admin_commands_refuse_reserved_subjects_and_grants_that_never_apply() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("redress.db");
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();

    let reserved = redress(&db, &["admin", "token", "create", "import"]);
    assert!(!reserved.status.success());
    assert!(
        stderr(&reserved).contains("may not be one of"),
        "{}",
        stderr(&reserved)
    );

    // A misspelt role refuses the whole command: no token is left behind.
    let misspelt = redress(
        &db,
        &[
            "admin",
            "token",
            "create",
            "bob",
            "--grant",
            "agnet@default/UK",
        ],
    );
    assert!(!misspelt.status.success());
    assert!(stderr(&misspelt).contains("agnet"), "{}", stderr(&misspelt));
    let listed = redress(&db, &["admin", "token", "list"]);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("bob"));

    let bad_domain = redress(
        &db,
        &["admin", "policy", "grant", "bob", "agent", "default/XX"],
    );
    assert!(!bad_domain.status.success());
    let good = redress(
        &db,
        &["admin", "policy", "grant", "bob", "agent", "default/UK"],
    );
    assert!(good.status.success(), "{}", stderr(&good));
}
