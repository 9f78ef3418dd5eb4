//! Live updates over real HTTP (issue 17): `GET /live` read as a browser's EventSource reads
//! it. An offer reaches the offered agent within a second of intake and nobody else; a
//! stream resumed with `Last-Event-ID` gets what it missed; a person's streams are capped;
//! on PostgreSQL an event committed through one instance reaches a stream on another.

use std::sync::Arc;
use std::time::Duration;

use leadpool_app::bootstrap::{DEFAULT_STATUSES, NewOrg, UserSpec};
use leadpool_app::{App, Settings};
use leadpool_domain::delivery::EventType;
use leadpool_domain::routing::{Conditions, Fallback, Strategy};
use leadpool_domain::{Role, UserId};
use leadpool_store::offers::NewEvent;
use leadpool_testkit::app::PASSWORD;
use leadpool_testkit::distribution::plan;
use leadpool_testkit::{Backend, TestApp, app_test};
use leadpool_web::WebConfig;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// How long an event may take from commit to the stream.
const WITHIN: Duration = Duration::from_secs(1);

/// One event as the browser sees it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    id: i64,
    kind: String,
    data: Value,
}

/// An open `GET /live` response, parsed as it arrives.
struct Stream {
    res: reqwest::Response,
    buf: String,
}

impl Stream {
    /// The next event within `wait`; `None` when none came (keep-alive comments are skipped)
    /// or the stream ended.
    async fn next(&mut self, wait: Duration) -> Option<Seen> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        kind = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if let Some(id) = id {
                    let data = serde_json::from_str(&data).expect("event data is JSON");
                    return Some(Seen { id, kind, data });
                }
                continue;
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .ok()?;
            match chunk.expect("read the stream") {
                Some(bytes) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                None => return None,
            }
        }
    }

    /// Whether the server ended the stream within `wait`.
    async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Err(_) => return false,
                Ok(Ok(Some(_))) => {}
                Ok(Ok(None) | Err(_)) => return true,
            }
        }
    }
}

/// A signed-in browser's cookie jar on one server.
struct Person {
    http: reqwest::Client,
    base: String,
}

impl Person {
    async fn sign_in(base: &str, email: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("build the HTTP client");
        let res = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .expect("sign in");
        assert_eq!(res.status(), StatusCode::OK, "sign in as {email}");
        Self {
            http,
            base: base.to_owned(),
        }
    }

    /// The same person's session on another instance of the app.
    fn on(&self, base: &str) -> Self {
        Self {
            http: self.http.clone(),
            base: base.to_owned(),
        }
    }

    async fn request_live(&self, last_event_id: Option<i64>) -> reqwest::Response {
        let mut req = self
            .http
            .get(format!("{}/live", self.base))
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        req.send().await.expect("open the live stream")
    }

    async fn live(&self, last_event_id: Option<i64>) -> Stream {
        let res = self.request_live(last_event_id).await;
        assert_eq!(res.status(), StatusCode::OK);
        let kind = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Stream {
            res,
            buf: String::new(),
        }
    }
}

/// An agent with a password, in the test organization.
async fn agent(app: &TestApp, email: &str, name: &str) -> UserId {
    let spec = UserSpec {
        email,
        name,
        role: Role::Agent,
        password: Some(PASSWORD),
        teams: &[],
    };
    let (user, _) = app
        .app
        .add_user(&app.org, &spec)
        .await
        .expect("add an agent");
    user.id
}

/// A rule offering every lead to `agents` at once; returns the source's intake key.
async fn offers_to(app: &TestApp, agents: &[UserId]) -> String {
    let g = app.group("live", agents).await;
    app.rule(
        "live",
        Conditions::default(),
        plan(Strategy::Broadcast, Some(g), Some(600), Fallback::Queue),
    )
    .await;
    app.source("Portal").await.1
}

/// Posts a lead to intake; returns its offer's id.
async fn intake(app: &TestApp, key: &str, name: &str) -> i64 {
    let a = app.intake(key, json!({ "name": name })).await;
    assert_eq!(a.body["lead"]["owner"]["kind"], "offer", "{}", a.body);
    a.body["lead"]["owner"]["offer_id"]
        .as_i64()
        .expect("the offer's id")
}

app_test! {
    async fn an_offer_reaches_the_offered_agent_within_a_second_and_no_other_organization(app) {
        let ana = agent(&app, "ana@acme.test", "Ana").await;
        let key = offers_to(&app, &[ana]).await;
        let other = app
            .app
            .create_org(&NewOrg { slug: "globex", name: "Globex Motors", statuses: DEFAULT_STATUSES })
            .await
            .expect("create another organization");
        let spec = UserSpec { email: "hank@globex.test", name: "Hank", role: Role::Agent, password: Some(PASSWORD), teams: &[] };
        app.app.add_user(&other, &spec).await.expect("add the other organization's agent");
        let mut ana_live = Person::sign_in(&app.base, "ana@acme.test").await.live(None).await;
        let mut hank_live = Person::sign_in(&app.base, "hank@globex.test").await.live(None).await;

        let offer = intake(&app, &key, "Live Lead").await;
        let seen = ana_live.next(WITHIN).await.expect("the offer arrives within a second");
        assert_eq!(seen.kind, "offer_made");
        assert_eq!(seen.data["payload"]["offer_id"], offer, "{seen:?}");
        assert_eq!(seen.data["payload"]["lead_name"], "Live Lead", "{seen:?}");
        assert!(seen.id > 0);
        assert_eq!(hank_live.next(WITHIN).await, None, "another organization hears nothing");
    }
}

app_test! {
    async fn the_nav_count_says_how_many_offers_are_open(app) {
        let ana = agent(&app, "ana@acme.test", "Ana").await;
        let key = offers_to(&app, &[ana]).await;
        let ana_web = Person::sign_in(&app.base, "ana@acme.test").await;
        let count = || async {
            let res = ana_web.http.get(format!("{}/offers/count", app.base)).send().await.expect("ask the count");
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.expect("the count is JSON")["open"].clone()
        };
        assert_eq!(count().await, 0);
        intake(&app, &key, "One").await;
        intake(&app, &key, "Two").await;
        assert_eq!(count().await, 2);
    }
}

app_test! {
    async fn a_stream_resumed_with_last_event_id_gets_what_it_missed_once(app) {
        let ana = agent(&app, "ana@acme.test", "Ana").await;
        let key = offers_to(&app, &[ana]).await;
        let ana_web = Person::sign_in(&app.base, "ana@acme.test").await;
        let mut live = ana_web.live(None).await;
        intake(&app, &key, "First").await;
        let first = live.next(WITHIN).await.expect("the first offer");
        drop(live);

        let missed = [intake(&app, &key, "Second").await, intake(&app, &key, "Third").await];
        let mut live = ana_web.live(Some(first.id)).await;
        let mut replayed = Vec::new();
        for _ in 0..2 {
            let e = live.next(WITHIN).await.expect("a missed offer is replayed");
            replayed.push(e.data["payload"]["offer_id"].as_i64().unwrap_or_default());
        }
        assert_eq!(replayed, missed, "what was missed comes first, in order");
        let fourth = intake(&app, &key, "Fourth").await;
        let e = live.next(WITHIN).await.expect("then it goes on live");
        assert_eq!(e.data["payload"]["offer_id"], fourth, "nothing replayed is sent twice: {e:?}");
        assert_eq!(live.next(Duration::from_millis(300)).await, None);
    }
}

app_test! {
    async fn a_resumed_stream_gets_an_event_that_committed_after_a_later_one_was_sent(app) {
        // SQLite commits one writer at a time, so its ids are in commit order: only on
        // PostgreSQL can a lower id commit after a higher one was sent.
        if app.store().backend() == Backend::Sqlite {
            return;
        }
        let ana = agent(&app, "ana@acme.test", "Ana").await;
        let ana_web = Person::sign_in(&app.base, "ana@acme.test").await;
        let event = |by: &str| NewEvent {
            user: ana,
            lead: None,
            kind: EventType::LeadAssigned,
            payload: json!({ "by": by }),
        };
        let mut live = ana_web.live(None).await;
        let now = app.app.now();
        let mut slow = app.store().write().await.expect("a write transaction");
        slow.push_events(app.org.id, &[event("slow")], now).await.expect("the slow one takes the lower id");
        let mut quick = app.store().write().await.expect("a second write transaction");
        quick.push_events(app.org.id, &[event("quick")], now).await.expect("the quick one takes the higher id");
        quick.commit().await.expect("commit the quick one");
        // The reader sends the quick one and waits for the lower id; the browser goes away
        // before that one commits, so only a replay can bring it.
        let quick_seen = live.next(WITHIN).await.expect("the quick one arrives");
        assert_eq!(quick_seen.data["payload"]["by"], "quick", "{quick_seen:?}");
        drop(live);

        slow.commit().await.expect("the slow one commits after");
        let mut resumed = ana_web.live(Some(quick_seen.id)).await;
        let late = resumed.next(WITHIN).await.expect("the late one is replayed though its id is lower");
        assert_eq!((late.data["payload"]["by"].as_str(), late.id < quick_seen.id), (Some("slow"), true), "{late:?}");
        assert_eq!(resumed.next(Duration::from_millis(300)).await, None, "the one it had is not sent again");
    }
}

app_test! {
    async fn a_ninth_stream_of_one_person_is_refused_until_one_closes(app) {
        let ana = agent(&app, "ana@acme.test", "Ana").await;
        let key = offers_to(&app, &[ana]).await;
        let ana_web = Person::sign_in(&app.base, "ana@acme.test").await;
        let mut open = Vec::new();
        for _ in 0..8 {
            open.push(ana_web.live(None).await);
        }
        let ninth = ana_web.request_live(None).await;
        assert_eq!(ninth.status(), StatusCode::CONFLICT);
        let body: Value = ninth.json().await.expect("the refusal is JSON");
        assert_eq!(body["error"]["code"], "too_many_streams", "{body}");

        drop(open.pop());
        // The server learns a connection closed when it next writes to it: an event for Ana
        // (or, on a quiet stream, the next keep-alive) frees the place.
        let mut freed = false;
        for i in 0..20 {
            intake(&app, &key, &format!("Nudge {i}")).await;
            if ana_web.request_live(None).await.status() == StatusCode::OK {
                freed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(freed, "a closed stream frees its place");
    }
}

app_test! {
    async fn shutting_down_ends_every_live_stream(app) {
        agent(&app, "ana@acme.test", "Ana").await;
        let mut live = Person::sign_in(&app.base, "ana@acme.test").await.live(None).await;
        app.app.close_live();
        assert!(live.ends_within(WITHIN).await, "the stream ends at shutdown");
    }
}

app_test! {
    async fn a_stream_ends_soon_after_its_person_is_deactivated_or_signs_out(app) {
        // The same app behind a router that looks at sessions every 200 ms, not every minute.
        let config = WebConfig {
            live_session_check: Duration::from_millis(200),
            ..WebConfig::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let router = leadpool_web::router(app.app.clone(), config);
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });

        let ana = agent(&app, "ana@acme.test", "Ana").await;
        let mut live = Person::sign_in(&base, "ana@acme.test").await.live(None).await;
        assert!(!live.ends_within(Duration::from_millis(600)).await, "a live session keeps its stream through several checks");
        let off = app.request(reqwest::Method::PATCH, &format!("/api/v1/users/{ana}"), Some(&app.admin.token), Some(json!({ "active": false }))).await;
        assert_eq!(off.status, StatusCode::OK, "{}", off.body);
        assert!(live.ends_within(WITHIN).await, "the stream of a deactivated person ends at the next check");

        agent(&app, "bo@acme.test", "Bo").await;
        let http = reqwest::Client::builder().cookie_store(true).build().expect("an HTTP client");
        let session: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "email": "bo@acme.test", "password": PASSWORD }))
            .send()
            .await
            .expect("sign in")
            .json()
            .await
            .expect("the session");
        let csrf = session["csrf_token"].as_str().unwrap_or_default().to_owned();
        let bo = Person { http, base: base.clone() };
        let mut live = bo.live(None).await;
        let out = bo.http.post(format!("{base}/api/v1/auth/logout")).header("x-csrf-token", csrf).send().await.expect("sign out");
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        assert!(live.ends_within(WITHIN).await, "signing out ends the stream at the next check");
    }
}

app_test! {
    async fn an_event_committed_on_one_instance_reaches_a_stream_on_another(app) {
        // One server owns a SQLite file; only PostgreSQL runs several instances.
        if app.store().backend() == Backend::Sqlite {
            return;
        }
        // Its own store, so nothing in this process wakes it: only PostgreSQL's NOTIFY.
        let store = app.db.reopen().await;
        let other = App::new(store, Arc::new(app.clock.clone()), Settings::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the second instance");
        let b = format!("http://{}", listener.local_addr().expect("its address"));
        let router = leadpool_web::router(other, WebConfig::default());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });

        let ana = agent(&app, "ana@acme.test", "Ana").await;
        let key = offers_to(&app, &[ana]).await;
        let mut on_b = Person::sign_in(&app.base, "ana@acme.test").await.on(&b).live(None).await;
        let offer = intake(&app, &key, "Across").await;
        // Well inside the reader's 1 s backstop read: the NOTIFY woke it.
        let seen = on_b.next(Duration::from_millis(500)).await.expect("the offer reaches instance B at once");
        assert_eq!(seen.data["payload"]["offer_id"], offer, "{seen:?}");
    }
}
