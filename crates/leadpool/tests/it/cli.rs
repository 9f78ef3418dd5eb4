//! Setting up an installation, importing and exporting from the command line.

use leadpool_testkit::{TestStore, both_backends};

use crate::{leadpool, text};

fn setup(db: &TestStore) -> String {
    let o = leadpool(&[
        "org",
        "create",
        "--slug",
        "acme",
        "--name",
        "Acme Realty",
        "--admin-email",
        "ann@acme.test",
        "--admin-name",
        "Ann Admin",
        "--admin-password",
        "a-long-password",
        "--database-url",
        &db.url,
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("API token: lp_"), "{out}");
    let o = leadpool(&[
        "user",
        "add",
        "--org",
        "acme",
        "--email",
        "bo@acme.test",
        "--name",
        "Bo Agent",
        "--role",
        "agent",
        "--database-url",
        &db.url,
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(
        out.contains("password:"),
        "a generated password is printed: {out}"
    );
    let o = leadpool(&[
        "source",
        "add",
        "--org",
        "acme",
        "--name",
        "Website",
        "--database-url",
        &db.url,
    ]);
    let (out, err) = text(&o);
    assert!(
        o.status.success() && out.contains("intake key: src_"),
        "{out}{err}"
    );
    db.url.clone()
}

const GOOD_AND_BAD: &str = "\u{feff}name,email,phone,status,tags,external_id,owner_email,budget\n\
Ana Lima,ana@example.com,+1 303 555 0101,New,buyer;vip,w-1,bo@acme.test,450000\n\
Bad Email,not-an-email,,New,,w-2,,\n\
Cy Diaz,cy@example.com,,Working,,w-3,,\n\
Dee Nostatus,dee@example.com,,Pending,,w-4,,\n\
,,,,,w-5,,\n\
Ed Owner,ed@example.com,,New,,w-6,nobody@acme.test,\n";

both_backends! {
    async fn a_file_with_broken_rows_is_refused_whole_listing_each_row(db) {
        let url = setup(&db);
        let dir = tempfile::tempdir().expect("make a temporary directory");
        let file = dir.path().join("leads.csv");
        std::fs::write(&file, GOOD_AND_BAD).expect("write the CSV file");
        let f = file.to_string_lossy();
        let o = leadpool(&["import", &f, "--org", "acme", "--source", "Website", "--database-url", &url]);
        let (out, err) = text(&o);
        assert!(!o.status.success(), "{out}{err}");
        for expected in ["line 3: emails[0]", "line 5: status: `Pending` is not a status", "line 6: name: a lead needs a name", "line 7: owner_email: nobody@acme.test is not an agent", "nothing was imported"] {
            assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
        }
        assert!(!err.contains("line 2:") && !err.contains("line 4:"), "good rows are not listed:\n{err}");
        let export = leadpool(&["export", "--org", "acme", "--database-url", &url]);
        let (csv, _) = text(&export);
        assert_eq!(csv.lines().count(), 1, "only the header: nothing was half-imported:\n{csv}");

        let o = leadpool(&["import", &f, "--org", "acme", "--source", "Website", "--skip-invalid", "--database-url", &url]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{out}{err}");
        assert!(out.contains("imported 2 leads") && out.contains("skipped 4 bad rows"), "{out}");
        assert!(out.contains("leads without an owner, routed by the rules: 1 (0 to agents, 0 offered to agents, 0 to pools, 1 to the manual queue)"), "Cy Diaz has no owner and no rule takes him: {out}");
        assert!(err.contains("skipped line 3: emails[0]"), "{err}");
        let again = leadpool(&["import", &f, "--org", "acme", "--source", "Website", "--skip-invalid", "--database-url", &url]);
        let (out, _) = text(&again);
        assert!(out.contains("imported 0 leads") && out.contains("2 rows were already imported"), "a re-run imports nothing twice: {out}");

        let out_file = dir.path().join("out.csv");
        let o = leadpool(&["export", "--org", "acme", "-o", &out_file.to_string_lossy(), "--database-url", &url]);
        assert!(o.status.success());
        let csv = std::fs::read_to_string(&out_file).unwrap_or_default();
        let mut rows = csv::Reader::from_reader(csv.as_bytes());
        let headers = rows.headers().cloned().unwrap_or_default();
        let records: Vec<csv::StringRecord> = rows.records().filter_map(Result::ok).collect();
        assert_eq!(records.len(), 2);
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column"));
        assert_eq!(&records[0][col("name")], "Ana Lima");
        assert_eq!(&records[0][col("phones")], "+13035550101");
        assert_eq!(&records[0][col("tags")], "buyer;vip");
        assert_eq!(&records[0][col("owner_email")], "bo@acme.test");
        assert_eq!(&records[0][col("budget")], "450000");
        assert_eq!(&records[1][col("status")], "Working");

        let backlog = dir.path().join("backlog.csv");
        std::fs::write(&backlog, "name,external_id\nOld Lead,old-1\n").expect("write the backlog CSV file");
        let o = leadpool(&["import", &backlog.to_string_lossy(), "--org", "acme", "--source", "Website", "--no-routing", "--database-url", &url]);
        let (out, err) = text(&o);
        assert!(o.status.success() && out.contains("imported 1 leads"), "{out}{err}");
        assert!(!out.contains("routed by the rules"), "--no-routing leaves the lead in the queue unrouted: {out}");
    }
}

both_backends! {
    async fn an_unknown_source_or_organization_is_named_in_the_error(db) {
        let url = setup(&db);
        let dir = tempfile::tempdir().expect("make a temporary directory");
        let file = dir.path().join("leads.csv");
        std::fs::write(&file, "name\nAna\n").expect("write the CSV file");
        let o = leadpool(&["import", &file.to_string_lossy(), "--org", "acme", "--source", "Zillow", "--database-url", &url]);
        let (_, err) = text(&o);
        assert!(!o.status.success());
        assert!(err.contains("--source `Zillow` is not a source of acme; its sources are: Website"), "{err}");
        let o = leadpool(&["export", "--org", "nope", "--database-url", &url]);
        let (_, err) = text(&o);
        assert!(err.contains("no organization has the slug `nope`"), "{err}");
    }
}

#[test]
fn bad_settings_stop_start_up_naming_the_key() {
    let o = leadpool(&[
        "serve",
        "--listen",
        "localhost",
        "--data-dir",
        "/nonexistent-leadpool",
    ]);
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("listen") && err.contains("127.0.0.1:8080"),
        "{err}"
    );
    let o = leadpool(&["migrate", "--database-url", "mysql://x@y/z"]);
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("database_url") && err.contains("sqlite://"),
        "{err}"
    );
}

#[test]
fn print_default_shows_every_key() {
    let o = leadpool(&["config", "print-default"]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    for key in [
        "listen",
        "data_dir",
        "database_url",
        "log_format",
        "max_body_bytes",
        "session_ttl",
        "operator_token",
        "LEADPOOL_DATA_DIR",
    ] {
        assert!(out.contains(key), "{key} missing:\n{out}");
    }
}

#[test]
fn openapi_prints_the_document_the_server_serves() {
    let o = leadpool(&["openapi"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let printed: serde_json::Value = serde_json::from_str(&out).expect("the document is JSON");
    let served = serde_json::to_value(leadpool_web::api::openapi()).expect("the document");
    assert_eq!(printed, served);
    let (help, _) = text(&leadpool(&["openapi", "--help"]));
    assert!(help.contains("/api/v1/openapi.json"), "{help}");
}

#[test]
fn the_benchmarks_run_and_report_every_figure() {
    let o = leadpool(&["bench", "intake", "--duration", "1s", "--clients", "2"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    for expected in [
        "intake over HTTP:",
        "leads/s",
        "p99",
        "bare lead INSERT",
        "ratio HTTP intake / bare INSERT:",
    ] {
        assert!(out.contains(expected), "`{expected}` missing:\n{out}");
    }
    let o = leadpool(&[
        "bench",
        "timers",
        "--pending",
        "3000",
        "--rate",
        "1000",
        "--duration",
        "1s",
        "--backlog",
        "500",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    for expected in [
        "steady:",
        "lag due→committed p50",
        "backlog: 500 timers fired",
        "set-based floor",
        "bare claim-due-timers statement",
        "ratio firing / bare claim:",
        "firing / set-based floor",
    ] {
        assert!(out.contains(expected), "`{expected}` missing:\n{out}");
    }
}

#[test]
fn bench_pool_view_reports_both_latencies_and_their_ratio() {
    let o = leadpool(&[
        "bench",
        "pool-view",
        "--duration",
        "1s",
        "--clients",
        "2",
        "--leads",
        "2000",
        "--pool-leads",
        "400",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    for expected in [
        "plan of a pool view",
        "leads_fts",
        "requests:",
        "pool view:",
        "healthz:",
        "p95",
        ", 0 errors",
        "ratio p95 pool view / p95 healthz:",
        "(goal: at most 3;",
    ] {
        assert!(out.contains(expected), "`{expected}` missing:\n{out}");
    }
}

both_backends! {
    async fn an_import_from_another_crm_maps_its_columns_and_says_what_it_did_with_each_row(db) {
        let url = setup(&db);
        let dir = tempfile::tempdir().expect("make a temporary directory");
        let file = dir.path().join("crm.csv");
        std::fs::write(
            &file,
            "First Name,Last Name,Email Address,Phone Number,Stage,Signed Up,Notes,Record Id\r\n\
             Ana,Lima,ana@example.com,+1 303 555 0101,Working,2026-01-05T10:00:00Z,\"called twice\r\nno answer\",1\r\n\
             Ana,L.,ANA@example.com,,New,,,2\r\n\
             Bo,Diaz,bo@example.com,,New,yesterday,,3\r\n",
        )
        .expect("write the CSV file");
        let f = file.to_string_lossy();
        let o = leadpool(&["import", &f, "--org", "acme", "--source", "Website", "--map", "Signed Up=created_at", "--map", "Record Id=skip", "--database-url", &url]);
        let (out, err) = text(&o);
        assert!(!o.status.success(), "{out}{err}");
        assert!(err.contains("line 5: Signed Up: `yesterday` is not a date"), "the file's own line and column:\n{err}");

        let o = leadpool(&["import", &f, "--org", "acme", "--source", "Website", "--map", "Signed Up=created_at,Record Id=skip", "--skip-invalid", "--database-url", &url]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{out}{err}");
        for expected in [
            "imported 1 leads into acme",
            "skipped 1 bad rows",
            "duplicates: 1 rows repeat a lead and were skipped",
            "columns read as fields: Email Address as emails, Phone Number as phones, Stage as status, Signed Up as created_at",
            "columns stored as custom fields: Notes as notes",
            "columns not used: Record Id",
        ] {
            assert!(out.contains(expected), "missing `{expected}` in:\n{out}");
        }
        assert!(err.contains("duplicate line 4: repeats line 2 (ana@example.com); skipped"), "{err}");
        assert!(!err.contains("checking") && !err.contains("importing"), "no progress bar when standard error is not a terminal:\n{err}");

        let o = leadpool(&["import", &f, "--org", "acme", "--source", "Website", "--map", "Created=created_at", "--database-url", &url]);
        let (_, err) = text(&o);
        assert!(!o.status.success());
        assert!(err.contains("--map: the file has no column `Created`; its columns are: First Name,"), "{err}");
        let o = leadpool(&["import", &f, "--org", "acme", "--source", "Website", "--map", "Stage=stage_name", "--database-url", &url]);
        let (_, err) = text(&o);
        assert!(err.contains("--map: Stage: `stage_name` is not a field"), "{err}");
    }
}

#[test]
fn import_help_explains_the_mapping_and_duplicates() {
    let o = leadpool(&["import", "--help"]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    for expected in [
        "--map <COLUMN=FIELD,...>",
        "Example: --map \"Created=created_at,Stage=status,Source=source\"",
        "--duplicates <DUPLICATES>",
        "skip: leave it out",
        "merge: add its emails, phones, tags and custom fields",
        "[default: skip]",
    ] {
        assert!(out.contains(expected), "missing `{expected}` in:\n{out}");
    }
    // Every header the import knows by default is named in the help.
    let flat = out
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    for (header, _) in leadpool_app::import::DEFAULTS {
        let spoken = header.replace('_', " ");
        let known = flat.contains(&spoken) || flat.contains(&header.replace("e_mail", "e-mail"));
        assert!(known, "`{spoken}` is not in the help:\n{out}");
    }
}

both_backends! {
    async fn intake_claim_and_route_benches_run_on_the_database_they_are_given(db) {
        let runs: [(&[&str], &[&str]); 3] = [
            (&["intake", "--clients", "2"], &["intake over HTTP:", "ratio HTTP intake / bare INSERT:"]),
            (&["claim", "--clients", "2", "--leads", "2000", "--pool-leads", "400"], &["claims over HTTP:", "ratio HTTP claims / bare UPDATE:"]),
            (&["route", "--clients", "2", "--rules", "2", "--group-size", "2"], &["routed intake over HTTP:", "bare lead INSERT + round-robin position UPDATE"]),
        ];
        for (args, expected) in runs {
            let mut all = vec!["bench"];
            all.extend_from_slice(args);
            all.extend_from_slice(&["--duration", "1s", "--database-url", &db.url]);
            let o = leadpool(&all);
            let (out, err) = text(&o);
            assert!(o.status.success(), "{out}{err}");
            for e in expected {
                assert!(out.contains(e), "`{e}` missing:\n{out}");
            }
        }
        // Each phase made its organization on the database named, none on a file of its own.
        let mut tx = db.store.read().await.expect("a read transaction begins");
        let benches = tx.orgs().await.expect("the organizations are read").iter().filter(|o| o.slug.starts_with("bench-")).count();
        tx.commit().await.expect("the read ends");
        assert_eq!(benches, 4, "intake's two phases, claim's and route's");
    }
}
