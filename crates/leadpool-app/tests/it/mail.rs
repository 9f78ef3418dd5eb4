//! Email from the outbox: queued only for what each person chose and only while the server
//! mails; sent to a real SMTP server (Python's aiosmtpd, which tests/mail/run installs and
//! names in LEADPOOL_TEST_SMTPD_PYTHON); retried and shown as failing when the server is
//! unreachable.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use leadpool_app::deliver::{Deliverer, DeliveryReport};
use leadpool_app::mail::{MailConfig, MailTls, Mailer};
use leadpool_domain::Role;
use leadpool_domain::delivery::next_digest;
use leadpool_testkit::{TestApp, TestUser, app_test};
use reqwest::Method;
use serde_json::{Value, json};

/// A lead in the manual queue (no rule matches it) assigned by the admin to `agent`, with a
/// reason: one `lead_assigned` event. Returns the lead's id.
pub(crate) async fn assign(app: &TestApp, agent: &TestUser, name: &str) -> i64 {
    let (_, key) = app
        .source(&format!("Website for {} {name}", agent.user.email))
        .await;
    let lead = app
        .intake(&key, json!({ "name": name, "email": "lead@example.com" }))
        .await;
    assert_eq!(lead.status.as_u16(), 201, "{}", lead.body);
    let id = lead.body["lead"]["id"].as_i64().expect("a lead id");
    let assigned = app
        .post(
            "/api/v1/leads/assign",
            &app.admin.token,
            json!({ "lead_ids": [id], "agent_id": agent.user.id.get(), "from_queue": true, "reason": "speaks Portuguese" }),
        )
        .await;
    assert_eq!(
        assigned.body["results"][0]["result"], "moved",
        "{}",
        assigned.body
    );
    id
}

async fn deliveries(app: &TestApp, query: &str) -> Vec<Value> {
    let page = app
        .get(&format!("/api/v1/deliveries{query}"), &app.admin.token)
        .await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    page.body["items"].as_array().cloned().unwrap_or_default()
}

async fn choose(app: &TestApp, who: &TestUser, types: Value) -> reqwest::StatusCode {
    app.request(
        Method::PUT,
        "/api/v1/me/email",
        Some(&who.token),
        Some(json!({ "email_events": types })),
    )
    .await
    .status
}

fn mailer(port: u16) -> Mailer {
    Mailer::new(&MailConfig {
        host: "127.0.0.1".to_owned(),
        port,
        tls: MailTls::None,
        credentials: None,
        from: "Leadpool <leads@acme.test>".to_owned(),
        public_url: "https://leads.acme.test".to_owned(),
    })
    .expect("a mailer")
}

app_test! {
    async fn email_is_queued_only_for_what_each_person_chose_and_only_when_the_server_mails(app) {
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let bob = app.user("bob@acme.test", Role::Agent, &[]).await;
        let before = app.get("/api/v1/me/email", &ana.token).await;
        assert_eq!(before.body["email_on"], false, "{}", before.body);
        assert!(before.body["choices"].as_array().is_some_and(|c| c.iter().all(|c| c["chosen"] == (c["event_type"] != "daily_digest"))),
            "everything but the digest by default: {}", before.body);
        assign(&app, &ana, "Before Mail").await;
        assert!(deliveries(&app, "").await.is_empty(), "nothing is queued while email is off");

        app.db.store.set_mail(true);
        assert_eq!(choose(&app, &ana, json!(["offer_made"])).await, reqwest::StatusCode::OK);
        let bad = app.request(Method::PUT, "/api/v1/me/email", Some(&ana.token), Some(json!({ "email_events": ["lead_claimed"] }))).await;
        assert_eq!(bad.status.as_u16(), 422, "{}", bad.body);
        assert!(bad.body["error"]["message"].as_str().is_some_and(|m| m.contains("lead_returned")), "{}", bad.body);
        let kept = app.get("/api/v1/me/email", &ana.token).await;
        let chosen: Vec<&str> = kept.body["choices"].as_array().into_iter().flatten()
            .filter(|c| c["chosen"] == true).filter_map(|c| c["event_type"].as_str()).collect();
        assert_eq!(chosen, ["offer_made"], "a refused choice changes nothing: {}", kept.body);

        assign(&app, &ana, "Not For Ana").await;
        let lead = assign(&app, &bob, "For Bob").await;
        let queued = deliveries(&app, "").await;
        assert_eq!(queued.len(), 1, "only Bob chose assignment mails: {queued:?}");
        assert_eq!((&queued[0]["channel"], &queued[0]["to"]), (&json!("email"), &json!("bob@acme.test")));
        assert_eq!((&queued[0]["event_type"], &queued[0]["lead_id"]), (&json!("lead_assigned"), &json!(lead)));
        assert_eq!(queued[0]["webhook_id"], Value::Null);
    }
}

app_test! {
    async fn an_unreachable_smtp_server_leaves_the_mail_failing_and_retryable(app) {
        app.db.store.set_mail(true);
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        assign(&app, &ana, "Kim Lee").await;
        // A port nobody listens on: bound, read and released.
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let w = Deliverer::new(app.app.clone(), "instance-1").expect("a worker").with_mailer(mailer(port));
        assert_eq!(w.run_due().await.expect("send").retrying, 1);
        let failing = deliveries(&app, "?failed=true").await;
        assert_eq!(failing.len(), 1, "{failing:?}");
        assert_eq!((&failing[0]["state"], &failing[0]["attempts"]), (&json!("pending"), &json!(1)));
        assert!(failing[0]["last_error"].as_str().is_some_and(|e| !e.is_empty()), "{}", failing[0]);
        assert!(failing[0]["next_attempt_at"].is_string());

        let id = failing[0]["id"].as_i64().expect("an id");
        let agent_tries = app.post(&format!("/api/v1/deliveries/{id}/retry"), &ana.token, json!({})).await;
        assert_eq!(agent_tries.status.as_u16(), 403, "{}", agent_tries.body);
        let retried = app.post(&format!("/api/v1/deliveries/{id}/retry"), &app.admin.token, json!({})).await;
        assert_eq!(retried.status.as_u16(), 200, "{}", retried.body);
        assert_eq!((&retried.body["attempts"], &retried.body["state"]), (&json!(0), &json!("pending")));
        assert_eq!(w.run_due().await.expect("send").retrying, 1, "due at once after a retry");

        app.db.store.set_mail(false);
        let off = app.post(&format!("/api/v1/deliveries/{id}/retry"), &app.admin.token, json!({})).await;
        assert_eq!((off.status.as_u16(), &off.body["error"]["code"]), (409, &json!("email_off")), "{}", off.body);
        assert_eq!(Deliverer::new(app.app.clone(), "webhooks-only").expect("a worker").run_due().await.expect("send"),
            DeliveryReport::default(), "a worker without a mailer leaves email alone");
    }
}

/// aiosmtpd on a free port of 127.0.0.1, keeping each message it gets in a maildir.
struct Smtpd {
    child: Child,
    port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtpd {
    /// Starts the server, or `None` (said on the terminal) when no Python with aiosmtpd is
    /// named.
    async fn start() -> Option<Self> {
        let Ok(python) = std::env::var("LEADPOOL_TEST_SMTPD_PYTHON") else {
            let name = std::thread::current().name().unwrap_or_default().to_owned();
            let line = format!(
                "test {name} ... skipped: LEADPOOL_TEST_SMTPD_PYTHON is not set (tests/mail/run sets it)\n"
            );
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            return None;
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        let maildir = dir.path().join("mail");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).expect("make the maildir");
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let server = Self {
            child,
            port,
            maildir,
            _dir: dir,
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not listen on port {port} within 10 s");
    }

    /// The messages received, as their raw text.
    fn messages(&self) -> Vec<String> {
        read_all(&self.maildir.join("new"))
    }
}

fn read_all(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the maildir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("read a message"))
        .collect()
}

app_test! {
    async fn the_assignee_gets_an_email_naming_the_lead_from_a_real_smtp_server(app) {
        let Some(smtpd) = Smtpd::start().await else { return };
        app.db.store.set_mail(true);
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let lead = assign(&app, &ana, "Kim Lee").await;
        let w = Deliverer::new(app.app.clone(), "instance-1").expect("a worker").with_mailer(mailer(smtpd.port));
        assert_eq!(w.run_due().await.expect("send").delivered, 1);
        assert_eq!(w.run_due().await.expect("send"), DeliveryReport::default(), "sent once");

        let got = smtpd.messages();
        assert_eq!(got.len(), 1, "{got:?}");
        let mail = &got[0];
        assert!(mail.contains("ana@acme.test"), "to Ana: {mail}");
        assert!(mail.contains("Subject: Lead assigned to you: Kim Lee"), "{mail}");
        assert!(mail.contains("leads@acme.test"), "from the sender: {mail}");
        assert!(mail.contains("admin assigned Kim Lee to you"), "{mail}");
        assert!(mail.contains("speaks Portuguese"), "with the reason: {mail}");
        assert!(mail.contains(&format!("https://leads.acme.test/leads/{lead}")), "a link to the lead: {mail}");
        assert!(mail.contains("text/html"), "an HTML part too: {mail}");

        let log = deliveries(&app, "?state=delivered").await;
        assert_eq!((&log[0]["channel"], &log[0]["last_status"]), (&json!("email"), &json!(250)), "{log:?}");
    }
}

app_test! {
    async fn a_person_who_asked_for_the_digest_gets_it_each_morning_once(app) {
        app.db.store.set_mail(true);
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        assign(&app, &ana, "Kim Lee").await;
        assert_eq!(choose(&app, &ana, json!(["daily_digest"])).await, reqwest::StatusCode::OK);
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let w = Deliverer::new(app.app.clone(), "instance-1").expect("a worker").with_mailer(mailer(port));
        assert_eq!(w.write_digests().await.expect("digests"), 0, "not before seven in the morning");

        app.clock.set(next_digest(app.app.now(), &jiff::tz::TimeZone::UTC));
        assert_eq!(w.write_digests().await.expect("digests"), 1);
        assert_eq!(w.write_digests().await.expect("digests"), 0, "once a morning, on every instance");
        let events = app.get("/api/v1/events", &ana.token).await.body;
        let digest = events["events"].as_array().and_then(|e| e.last()).cloned().unwrap_or_default();
        assert_eq!(digest["kind"], "daily_digest", "{events}");
        assert_eq!((&digest["payload"]["open_leads"], &digest["payload"]["offers"]), (&json!(1), &json!(0)), "{digest}");
        let queued = deliveries(&app, "").await;
        assert!(queued.iter().any(|d| d["event_type"] == "daily_digest" && d["to"] == "ana@acme.test"), "{queued:?}");

        app.clock.advance(Duration::from_secs(24 * 3600));
        assert_eq!(w.write_digests().await.expect("digests"), 1, "the next morning");
        assert_eq!(choose(&app, &ana, json!([])).await, reqwest::StatusCode::OK);
        app.clock.advance(Duration::from_secs(24 * 3600));
        assert_eq!(w.write_digests().await.expect("digests"), 0, "no digest once unchosen");
    }
}

app_test! {
    async fn the_digest_comes_at_seven_on_the_persons_own_clocks_and_follows_a_new_zone(app) {
        app.db.store.set_mail(true);
        let ana = app.user("ana@acme.test", Role::Agent, &[]).await;
        let set_zone = |zone: &'static str| {
            app.request(Method::PUT, "/api/v1/me/time-zone", Some(&ana.token), Some(json!({ "time_zone": zone })))
        };
        assert_eq!(set_zone("America/New_York").await.status, reqwest::StatusCode::OK);
        assert_eq!(choose(&app, &ana, json!(["daily_digest"])).await, reqwest::StatusCode::OK);
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let w = Deliverer::new(app.app.clone(), "instance-1").expect("a worker").with_mailer(mailer(port));
        let zone = |name| jiff::tz::TimeZone::get(name).expect("a zone");

        // Whichever of 07:00 UTC and 07:00 in New York comes first, only the second is hers.
        let seven_in_new_york = next_digest(app.app.now(), &zone("America/New_York"));
        assert_ne!(seven_in_new_york, next_digest(app.app.now(), &jiff::tz::TimeZone::UTC));
        app.clock.set(seven_in_new_york.plus_millis(-1000));
        assert_eq!(w.write_digests().await.expect("digests"), 0, "not before seven on her clocks");
        app.clock.set(seven_in_new_york);
        assert_eq!(w.write_digests().await.expect("digests"), 1);

        // She moves to Tokyo: the next one comes at seven there.
        assert_eq!(set_zone("Asia/Tokyo").await.status, reqwest::StatusCode::OK);
        let seven_in_tokyo = next_digest(app.app.now(), &zone("Asia/Tokyo"));
        app.clock.set(seven_in_tokyo.plus_millis(-1000));
        assert_eq!(w.write_digests().await.expect("digests"), 0, "not before seven in Tokyo");
        app.clock.set(seven_in_tokyo);
        assert_eq!(w.write_digests().await.expect("digests"), 1);
    }
}
