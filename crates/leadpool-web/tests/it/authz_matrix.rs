//! The authorization matrix (issue 15, PRODUCT.md invariant 6): every operation of the API,
//! as each role, on a resource of the viewer's own team, of another team of the same
//! organization and of another organization, against the answer written in [`TABLE`].
//!
//! One fixture serves the whole table: organization `acme` with teams East (the viewers'
//! team) and West, and organization `globex` whose every name carries [`MARKER`]. Rows that
//! change or remove their resource get a fresh one per cell, so no cell depends on another.
//! Beyond the table, every cell checks that no answer to an `acme` user mentions `globex`,
//! and every row naming ids checks that another organization's ids answer exactly as ids
//! that do not exist (status and body, ids aside). The test also reads the served OpenAPI
//! document and fails naming any operation the table does not hold.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use leadpool_testkit::TestApp;
use leadpool_testkit::app::{OPERATOR_TOKEN, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Part of every name in the second organization; an answer to a first-organization user
/// that contains it has leaked.
const MARKER: &str = "zorg";

/// An id no table ever holds: what "does not exist" looks like.
const MISSING: i64 = 987_654_321;

/// The viewers, all in team East of `acme`; the order of each row's expected answers.
const ROLES: [&str; 6] = [
    "org admin",
    "team admin",
    "ISA",
    "agent",
    "all-leads agent",
    "agent without pool access",
];

/// Where the resource of a cell lives, relative to the viewer; the order within a role's
/// expected answers.
const SCOPES: [&str; 3] = ["own team", "other team", "other org"];

/// What a row acts on, as the `{id}` of its path and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Team,
    User,
    Lead,
    /// A lead in the team's pool.
    PoolLead,
    Source,
    /// An organization-level status.
    Status,
    Pool,
    Reason,
    Webhook,
    Delivery,
    Task,
    /// An offer made to the team's agent.
    Offer,
    /// The lead of such an offer.
    OfferLead,
    Group,
    Rule,
    Reassignment,
    Calendar,
    /// An API token of the team's agent.
    Token,
}

/// Whether a row's resource is the fixture's (reads and changes that leave it as it was)
/// or made for each cell (changes that use it up: delete, accept, claim, rotate).
#[derive(Debug, Clone, Copy)]
enum On {
    /// No `{id}`: the row's scope is only in the ids its body names, if any.
    Nothing,
    Shared(Kind),
    Fresh(Kind),
    /// The fixture's resource in the viewer's own team whatever the scope: the scope is in
    /// the ids its body names (a status, a team, a calendar, an assignee).
    Home(Kind),
}

/// One operation and what each role gets from it in each scope.
#[derive(Debug)]
struct Row {
    method: &'static str,
    path: &'static str,
    on: On,
    /// JSON with placeholders (see [`Place`]).
    body: Option<&'static str>,
    /// Per role (in [`ROLES`] order, separated by `|`), the status for each scope (in
    /// [`SCOPES`] order, separated by spaces); one status stands for all three scopes.
    expect: &'static str,
}

const fn row(
    method: &'static str,
    path: &'static str,
    on: On,
    body: Option<&'static str>,
    expect: &'static str,
) -> Row {
    Row {
        method,
        path,
        on,
        body,
        expect,
    }
}

use Kind::*;
use On::{Fresh, Home, Nothing, Shared};

// Answers shared by many rows, in [`ROLES`] order.
/// Every user of the organization.
const EVERYONE: &str = "200|200|200|200|200|200";
/// Every user of the organization, on anything of it; another organization's is not found.
const ANYONE_IN_ORG: &str =
    "200 200 404|200 200 404|200 200 404|200 200 404|200 200 404|200 200 404";
/// Admins and ISAs, on anything of the organization.
const STAFF: &str = "200|200|200|403|403|403";
/// Admins and ISAs, on one thing of the organization.
const STAFF_ONE: &str = "200 200 404|200 200 404|200 200 404|403|403|403";
/// Only the operator (organizations).
const OPERATOR: &str = "403|403|403|403|403|403";
/// Organization settings: only an admin of the whole organization.
const ORG_ADMIN: &str = "200 200 404|403|403|403|403|403";
/// Organization settings made: only an admin of the whole organization.
const ORG_ADMIN_ADDS: &str = "201|403|403|403|403|403";
/// Organization settings naming a team: only an admin of the whole organization.
const ORG_ADMIN_ADDS_IN_TEAM: &str = "201 201 422|403|403|403|403|403";
/// Organization settings removed: only an admin of the whole organization.
const ORG_ADMIN_REMOVES: &str = "204 204 404|403|403|403|403|403";
/// A team or user: admins whose scope covers it.
const TEAM_ADMIN: &str = "200 200 404|200 403 404|403 403 404|403 403 404|403 403 404|403 403 404";
/// A lead read: whoever sees it (team scope, or an agent's own or pool leads).
const LEAD_READ: &str = "200 200 404|200 404 404|200 404 404|404|200 404 404|404";
/// Something of a lead only staff read: admins and ISAs who see the lead.
const LEAD_READ_STAFF: &str = "200 200 404|200 404 404|200 404 404|404|404|404";
/// A lead changed: its agent, or admins and ISAs who see it; an all-leads agent sees but may not.
const LEAD_CHANGED: &str = "200 200 404|200 404 404|200 404 404|404|403 404 404|404";
/// The same, adding something to the lead.
const LEAD_ADDED: &str = "201 201 404|201 404 404|201 404 404|404|403 404 404|404";

#[rustfmt::skip]
/// The whole API, reads first within each resource, then changes, then removals.
static TABLE: &[Row] = &[
    // Who am I.
    row("GET", "/api/v1/me", Nothing, None, EVERYONE),
    row("PUT", "/api/v1/me/time-zone", Nothing, Some(r#"{"time_zone":null}"#), EVERYONE),
    row("GET", "/api/v1/me/email", Nothing, None, EVERYONE),
    row("PUT", "/api/v1/me/email", Nothing, Some(r#"{"email_events":[]}"#), EVERYONE),
    row("PUT", "/api/v1/me/pause", Nothing, Some(r#"{"paused":false}"#), EVERYONE),
    row("GET", "/api/v1/events", Nothing, None, EVERYONE),
    // Organizations belong to the operator.
    row("GET", "/api/v1/organizations", Nothing, None, OPERATOR),
    row("POST", "/api/v1/organizations", Nothing,
        Some(r#"{"slug":"m{n}","name":"M","admin_email":"m{n}@m.test","admin_name":"M","admin_password":"a-long-enough-password"}"#),
        OPERATOR),
    // Teams.
    row("GET", "/api/v1/teams", Nothing, None, EVERYONE),
    row("GET", "/api/v1/teams/{id}", Shared(Team), None, ANYONE_IN_ORG),
    row("POST", "/api/v1/teams", Nothing, Some(r#"{"name":"T{n}","parent_id":{team}}"#), "201 201 422|201 403 403|403|403|403|403"),
    row("PATCH", "/api/v1/teams/{id}", Shared(Team), Some(r#"{"name":"{name}"}"#), TEAM_ADMIN),
    row("GET", "/api/v1/teams/{id}/calendar", Shared(Team), None, ANYONE_IN_ORG),
    row("PUT", "/api/v1/teams/{id}/calendar", Shared(Team), Some(r#"{"calendar_id":null}"#), TEAM_ADMIN),
    row("PUT", "/api/v1/teams/{id}/calendar", Home(Team), Some(r#"{"calendar_id":{calendar}}"#), "200 200 422|200 200 422|403|403|403|403"),
    // Users and their tokens.
    row("GET", "/api/v1/users", Nothing, None, EVERYONE),
    row("GET", "/api/v1/users/{id}", Shared(User), None, ANYONE_IN_ORG),
    row("POST", "/api/v1/users", Nothing, Some(r#"{"email":"m{n}@m.test","name":"M","role":"agent","team_ids":[{team}]}"#),
        "201 201 422|201 403 422|403 403 422|403 403 422|403 403 422|403 403 422"),
    row("POST", "/api/v1/users", Nothing, Some(r#"{"email":"m{n}@m.test","name":"M","role":"isa","team_ids":[{team}],"scope_team_id":{team}}"#),
        "201 201 422|201 403 422|403 403 422|403 403 422|403 403 422|403 403 422"),
    row("PATCH", "/api/v1/users/{id}", Shared(User), Some(r#"{"tags":["matrix"]}"#), TEAM_ADMIN),
    row("PATCH", "/api/v1/users/{id}", Shared(User), Some(r#"{"scope_team_id":{team}}"#), TEAM_ADMIN),
    row("PATCH", "/api/v1/users/{id}", Home(User), Some(r#"{"scope_team_id":{team}}"#),
        // A plain agent's scope bounds nothing, so a team admin may name any team in it.
        "200 200 422|200 200 422|403|403|403|403"),
    row("PUT", "/api/v1/users/{id}/pause", Shared(User), Some(r#"{"paused":false}"#), TEAM_ADMIN),
    row("GET", "/api/v1/users/{id}/tokens", Shared(User), None, TEAM_ADMIN),
    row("POST", "/api/v1/users/{id}/tokens", Shared(User), Some(r#"{"name":"matrix"}"#),
        "201 201 404|201 403 404|403 403 404|403 403 404|403 403 404|403 403 404"),
    row("DELETE", "/api/v1/users/{agent}/tokens/{id}", Fresh(Token), None,
        "204 204 404|204 403 404|403 403 404|403 403 404|403 403 404|403 403 404"),
    // Sources and statuses.
    row("GET", "/api/v1/sources", Nothing, None, STAFF),
    row("GET", "/api/v1/sources/{id}", Shared(Source), None, STAFF_ONE),
    row("POST", "/api/v1/sources", Nothing, Some(r#"{"name":"S{n}","team_id":{team}}"#), ORG_ADMIN_ADDS_IN_TEAM),
    row("PATCH", "/api/v1/sources/{id}", Shared(Source), Some(r#"{"active":true}"#), ORG_ADMIN),
    row("POST", "/api/v1/sources/{id}/rotate-key", Fresh(Source), None, ORG_ADMIN),
    row("GET", "/api/v1/statuses", Nothing, None, EVERYONE),
    row("POST", "/api/v1/statuses", Nothing, Some(r#"{"name":"S{n}","category":"working"}"#), ORG_ADMIN_ADDS),
    row("PATCH", "/api/v1/statuses/{id}", Shared(Status), Some(r#"{"shark_tank":false}"#), ORG_ADMIN),
    // Leads.
    row("GET", "/api/v1/leads", Nothing, None, EVERYONE),
    row("GET", "/api/v1/leads/{id}", Shared(Lead), None, LEAD_READ),
    row("GET", "/api/v1/leads/{id}", Shared(PoolLead), None, "200 200 404|200 404 404|200 404 404|200 404 404|200 404 404|404"),
    row("GET", "/api/v1/leads/{id}/timeline", Shared(Lead), None, LEAD_READ),
    row("GET", "/api/v1/leads/{id}/routing", Shared(OfferLead), None, LEAD_READ),
    row("GET", "/api/v1/leads/{id}/tasks", Shared(Lead), None, LEAD_READ),
    row("POST", "/api/v1/leads", Nothing, Some(r#"{"source_id":{source},"assignee_id":{agent},"name":"M"}"#),
        "201 201 422|201 403 422|201 403 422|403 403 422|403 403 422|403 403 422"),
    row("PATCH", "/api/v1/leads/{id}", Shared(Lead), Some(r#"{"tags":["matrix"]}"#), LEAD_CHANGED),
    row("PATCH", "/api/v1/leads/{id}", Shared(Lead), Some(r#"{"status_id":{status}}"#), LEAD_CHANGED),
    row("PATCH", "/api/v1/leads/{id}", Home(Lead), Some(r#"{"status_id":{status}}"#), "200 200 422|200 200 422|200 200 422|404|403|404"),
    row("POST", "/api/v1/leads/{id}/notes", Shared(Lead), Some(r#"{"text":"matrix"}"#), LEAD_ADDED),
    row("POST", "/api/v1/leads/{id}/contacts", Shared(Lead), Some(r#"{"kind":"email"}"#), LEAD_ADDED),
    row("POST", "/api/v1/leads/{id}/tasks", Shared(Lead), Some(r#"{"title":"M","due_at":"2030-01-01T10:00:00Z"}"#), LEAD_ADDED),
    row("POST", "/api/v1/leads/{id}/tasks", Home(Lead), Some(r#"{"title":"M","due_at":"2030-01-01T10:00:00Z","assignee_id":{agent}}"#),
        "201 422 422|201 403 422|201 403 422|403 403 422|403 403 422|403 403 422"),
    row("POST", "/api/v1/calls", Fresh(Lead), Some(r#"{"lead_id":{id},"agent_id":{agent},"direction":"outbound"}"#),
        "200 200 422|200 403 422|200 403 422|403|403|403"),
    row("POST", "/api/v1/leads/claim", Fresh(PoolLead), Some(r#"{"lead_ids":[{id}]}"#),
        "403|403|403|claimed not_visible not_visible|claimed not_visible not_visible|not_visible"),
    row("POST", "/api/v1/leads/{id}/reject", Fresh(Lead), Some(r#"{"reason_id":{reason}}"#),
        "403 403 422|403 404 422|403 404 422|404 404 422|403 404 422|404 404 422"),
    row("POST", "/api/v1/leads/move-to-pool", Fresh(Lead), Some(r#"{"lead_ids":[{id}],"pool_id":{pool}}"#),
        "moved moved 422|moved not_visible 422|moved not_visible 422|403|403|403"),
    row("POST", "/api/v1/leads/assign", Fresh(Lead), Some(r#"{"lead_ids":[{id}],"agent_id":{agent}}"#),
        "unchanged unchanged 422|unchanged 403 422|unchanged 403 422|403|403|403"),
    row("POST", "/api/v1/leads/{id}/reassign", Fresh(Lead), Some(r#"{"reassignment_group_id":{reassignment}}"#),
        "200 200 422|200 422 422|200 422 422|403|403|403"),
    row("POST", "/api/v1/routing/dry-run", Shared(Lead), Some(r#"{"lead_id":{id}}"#), "200 200 404|200 404 404|200 404 404|403|403|403"),
    // Offers and the queue; the fixture's offers are made to the team's agent, none of the viewers.
    row("GET", "/api/v1/offers", Nothing, None, EVERYONE),
    row("GET", "/api/v1/offers/{id}", Shared(Offer), None, LEAD_READ_STAFF),
    row("POST", "/api/v1/offers/{id}/accept", Fresh(Offer), None, "404|404|404|404|404|404"),
    row("POST", "/api/v1/offers/{id}/decline", Fresh(Offer), None, "404|404|404|404|404|404"),
    row("POST", "/api/v1/leads/{id}/offer/cancel", Fresh(OfferLead), None, "200 200 404|200 404 404|403|403|403|403"),
    row("GET", "/api/v1/queue", Nothing, None, STAFF),
    // Tasks; the fixture's are the team agent's.
    row("GET", "/api/v1/tasks", Nothing, None, EVERYONE),
    row("POST", "/api/v1/tasks/{id}/complete", Fresh(Task), None, LEAD_CHANGED),
    row("POST", "/api/v1/tasks/{id}/reassign", Fresh(Task), Some(r#"{"assignee_id":{agent}}"#),
        "200 200 404|200 403 404|200 403 404|403 403 404|403 403 404|403 403 404"),
    row("DELETE", "/api/v1/tasks/{id}", Fresh(Task), None, "204 204 404|204 404 404|204 404 404|404|403 404 404|404"),
    // Pools and their settings.
    row("GET", "/api/v1/pools", Nothing, None, EVERYONE),
    row("POST", "/api/v1/pools", Nothing, Some(r#"{"name":"P{n}","team_id":{team}}"#), ORG_ADMIN_ADDS_IN_TEAM),
    row("PATCH", "/api/v1/pools/{id}", Shared(Pool), Some(r#"{"blind":false}"#), ORG_ADMIN),
    row("PATCH", "/api/v1/pools/{id}", Home(Pool), Some(r#"{"calendar_id":{calendar}}"#), "200 200 422|403|403|403|403|403"),
    row("GET", "/api/v1/pool-settings", Nothing, None, EVERYONE),
    row("PUT", "/api/v1/pool-settings", Nothing,
        Some(r#"{"min_new_leads":0,"reject_pool_id":{pool},"call_ownership":{"outbound":false,"inbound":false,"transfer":false}}"#),
        "200 200 422|403|403|403|403|403"),
    row("GET", "/api/v1/reject-reasons", Nothing, None, EVERYONE),
    row("POST", "/api/v1/reject-reasons", Nothing, Some(r#"{"label":"R{n}"}"#), ORG_ADMIN_ADDS),
    row("DELETE", "/api/v1/reject-reasons/{id}", Fresh(Reason), None, ORG_ADMIN_REMOVES),
    // Distribution settings.
    row("GET", "/api/v1/groups", Nothing, None, STAFF),
    row("GET", "/api/v1/groups/{id}", Shared(Group), None, STAFF_ONE),
    row("POST", "/api/v1/groups", Nothing, Some(r#"{"name":"G{n}","entries":[{"kind":"user","user_id":{agent}}]}"#), ORG_ADMIN_ADDS_IN_TEAM),
    row("PUT", "/api/v1/groups/{id}", Shared(Group), Some(r#"{"name":"{name}","entries":[{"kind":"user","user_id":{agent}}]}"#), ORG_ADMIN),
    row("DELETE", "/api/v1/groups/{id}", Fresh(Group), None, ORG_ADMIN_REMOVES),
    row("GET", "/api/v1/rules", Nothing, None, STAFF),
    row("POST", "/api/v1/rules", Nothing, Some(RULE), ORG_ADMIN_ADDS_IN_TEAM),
    row("PUT", "/api/v1/rules/{id}", Shared(Rule),
        Some(r#"{"name":"{name}","conditions":{"sources":[{offer_source}]},"plan":{"strategy":{"kind":"round_robin"},"group_id":{group},"window_secs":600,"fallback":{"kind":"queue"}}}"#),
        ORG_ADMIN),
    row("PUT", "/api/v1/rules/order", Nothing, Some(r#"{"ids":{rules}}"#), "200 200 422|403|403|403|403|403"),
    row("DELETE", "/api/v1/rules/{id}", Fresh(Rule), None, ORG_ADMIN_REMOVES),
    row("GET", "/api/v1/reassignment-groups", Nothing, None, STAFF),
    row("GET", "/api/v1/reassignment-groups/{id}", Shared(Reassignment), None, "200 200 404|200 404 404|200 404 404|403|403|403"),
    row("POST", "/api/v1/reassignment-groups", Nothing, Some(REASSIGNMENT), "201 201 422|201 403 403|403|403|403|403"),
    row("PUT", "/api/v1/reassignment-groups/{id}", Shared(Reassignment),
        Some(r#"{"name":"{name}","plan":{"strategy":{"kind":"broadcast"},"group_id":{group},"window_secs":600,"fallback":{"kind":"agent","user_id":{agent}}},"teams":[{team}]}"#),
        "200 200 404|200 404 404|403|403|403|403"),
    row("DELETE", "/api/v1/reassignment-groups/{id}", Fresh(Reassignment), None, "204 204 404|204 404 404|403|403|403|403"),
    // Calendars.
    row("GET", "/api/v1/calendars", Nothing, None, EVERYONE),
    row("GET", "/api/v1/calendars/{id}", Shared(Calendar), None, ANYONE_IN_ORG),
    row("POST", "/api/v1/calendars", Nothing,
        Some(r#"{"name":"C{n}","time_zone":"UTC","hours":"mon-fri 09:00-17:00","holidays":[],"is_default":false}"#), ORG_ADMIN_ADDS),
    row("PATCH", "/api/v1/calendars/{id}", Shared(Calendar), Some(r#"{"name":"{name}"}"#), ORG_ADMIN),
    row("POST", "/api/v1/calendars/{id}/deadline", Shared(Calendar), Some(r#"{"from":"2030-01-07T10:00:00Z","duration_seconds":3600}"#), ANYONE_IN_ORG),
    row("DELETE", "/api/v1/calendars/{id}", Fresh(Calendar), None, ORG_ADMIN_REMOVES),
    // Webhooks and deliveries.
    row("GET", "/api/v1/webhooks", Nothing, None, "200|403|403|403|403|403"),
    row("GET", "/api/v1/webhooks/{id}", Shared(Webhook), None, ORG_ADMIN),
    row("GET", "/api/v1/webhooks/{id}/deliveries", Shared(Webhook), None, ORG_ADMIN),
    row("POST", "/api/v1/webhooks", Nothing, Some(r#"{"url":"http://127.0.0.1:9/m{n}","enabled":false}"#), ORG_ADMIN_ADDS),
    row("PATCH", "/api/v1/webhooks/{id}", Shared(Webhook), Some(r#"{"description":"matrix"}"#), ORG_ADMIN),
    row("POST", "/api/v1/webhooks/{id}/rotate-secret", Fresh(Webhook), None, ORG_ADMIN),
    row("DELETE", "/api/v1/webhooks/{id}", Fresh(Webhook), None, ORG_ADMIN_REMOVES),
    row("GET", "/api/v1/deliveries", Nothing, None, "200|403|403|403|403|403"),
    row("POST", "/api/v1/deliveries/{id}/retry", Shared(Delivery), None, ORG_ADMIN),
    row("POST", "/api/v1/webhook-deliveries/{id}/retry", Shared(Delivery), None, ORG_ADMIN),
];

/// A rule body for creating: disabled, so it routes nothing of the fixture.
const RULE: &str = r#"{"name":"R{n}","enabled":false,"conditions":{"sources":[{source}]},"plan":{"strategy":{"kind":"round_robin"},"group_id":{group},"window_secs":600,"fallback":{"kind":"queue"}}}"#;
/// A reassignment group body for creating, available to the scope's team.
const REASSIGNMENT: &str = r#"{"name":"RG{n}","plan":{"strategy":{"kind":"broadcast"},"group_id":{group},"window_secs":600,"fallback":{"kind":"agent","user_id":{agent}}},"teams":[{team}]}"#;

/// Operations the table leaves out, each with the reason: none of them acts as a user of
/// an organization, so the roles and scopes of the matrix do not apply.
const EXCLUDED: &[(&str, &str)] = &[
    // Signing in takes an email and password, not a user's token; its refusals are tested
    // in account.rs and its throttling in its own tests.
    ("POST", "/api/v1/auth/login"),
    // Ends the caller's own session or token: it would sign the matrix's viewers out.
    ("POST", "/api/v1/auth/logout"),
    // Authenticated by a source's intake key, which names its organization and source:
    // there is no viewer, and the key cannot name another organization's anything.
    ("POST", "/api/v1/intake"),
];

/// One team of one organization in the fixture, with a resource of each kind.
#[derive(Debug, Clone, Default)]
struct Side {
    team: Made,
    agent: Made,
    lead: Made,
    pool_lead: Made,
    source: Made,
    offer_source: i64,
    offer_key: String,
    pool: Made,
    task: Made,
    offer: Made,
    offer_lead: Made,
    group: Made,
    rule: Made,
    reassignment: Made,
    token: Made,
}

/// One organization of the fixture.
#[derive(Debug, Clone, Default)]
struct Org {
    /// Its organization-wide admin's token, which builds its resources.
    admin: String,
    /// `""` for `acme`, `"Zorg "` for `globex`.
    prefix: &'static str,
    sides: [Side; 2],
    status: Made,
    reason: Made,
    webhook: Made,
    delivery: Made,
    calendar: Made,
}

/// A resource made for the fixture: its id and name.
#[derive(Debug, Clone, Default)]
struct Made {
    id: i64,
    name: String,
}

/// The fixture and a counter for unique names.
struct World<'a> {
    app: &'a TestApp,
    acme: Org,
    globex: Org,
    viewers: Vec<String>,
    n: AtomicU64,
}

/// The id in a creation answer, wherever its DTO keeps it.
fn new_id(body: &Value) -> i64 {
    [&body["id"], &body["source"]["id"], &body["webhook"]["id"]]
        .into_iter()
        .find_map(Value::as_i64)
        .unwrap_or_else(|| panic!("no id in {body}"))
}

impl World<'_> {
    fn next(&self) -> u64 {
        self.n.fetch_add(1, Ordering::Relaxed)
    }

    /// Sends a setup request as `token` and insists it succeeds.
    async fn setup(&self, method: Method, path: &str, token: &str, body: Value) -> Value {
        let a = self
            .app
            .request(method.clone(), path, Some(token), Some(body))
            .await;
        assert!(
            a.status.is_success(),
            "setting up the matrix: {method} {path}: {} {}",
            a.status,
            a.body
        );
        a.body
    }

    async fn create(&self, org: &Org, path: &str, name: &str, body: Value) -> Made {
        let b = self.setup(Method::POST, path, &org.admin, body).await;
        Made {
            id: new_id(&b),
            name: name.to_owned(),
        }
    }

    /// A user of `org` in `team`, with a password.
    async fn user(&self, org: &Org, role: &str, team: i64, scope: Option<i64>) -> Made {
        let n = self.next();
        let name = format!("{}User {n}", org.prefix);
        let email = format!("{}u{n}@matrix.test", org.prefix.trim().to_lowercase());
        let body = json!({ "email": email, "name": name, "role": role, "password": PASSWORD,
            "team_ids": [team], "scope_team_id": scope });
        self.create(org, "/api/v1/users", &name, body).await
    }

    /// A token for `user`, made by `org`'s admin: (id, token).
    async fn token(&self, org: &Org, user: i64) -> (i64, String) {
        let b = self
            .setup(
                Method::POST,
                &format!("/api/v1/users/{user}/tokens"),
                &org.admin,
                json!({ "name": "matrix" }),
            )
            .await;
        (
            new_id(&b),
            b["token"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// A fresh resource of `kind` in side `t` of `org`.
    async fn make(&self, kind: Kind, org: &Org, t: usize) -> Made {
        let s = &org.sides[t];
        let n = self.next();
        let name = format!("{}{kind:?} {n}", org.prefix);
        match kind {
            Team | User | Status | Delivery => {
                unreachable!("{kind:?} rows use the fixture's")
            }
            Lead => {
                let body =
                    json!({ "source_id": s.source.id, "assignee_id": s.agent.id, "name": name });
                self.create(org, "/api/v1/leads", &name, body).await
            }
            PoolLead => {
                let lead = Box::pin(self.make(Lead, org, t)).await;
                let body = json!({ "lead_ids": [lead.id], "pool_id": s.pool.id });
                self.setup(Method::POST, "/api/v1/leads/move-to-pool", &org.admin, body)
                    .await;
                lead
            }
            Source => {
                let body = json!({ "name": name, "team_id": s.team.id });
                self.create(org, "/api/v1/sources", &name, body).await
            }
            Pool => {
                let body = json!({ "name": name, "team_id": s.team.id });
                self.create(org, "/api/v1/pools", &name, body).await
            }
            Reason => {
                self.create(
                    org,
                    "/api/v1/reject-reasons",
                    &name,
                    json!({ "label": name }),
                )
                .await
            }
            Webhook => {
                let body = json!({ "url": format!("http://127.0.0.1:9/{n}"), "description": name, "enabled": false });
                self.create(org, "/api/v1/webhooks", &name, body).await
            }
            Task => {
                let body = json!({ "title": name, "due_at": "2030-01-01T10:00:00Z", "assignee_id": s.agent.id });
                let path = format!("/api/v1/leads/{}/tasks", s.lead.id);
                self.create(org, &path, &name, body).await
            }
            Offer | OfferLead => {
                let a = self.app.intake(&s.offer_key, json!({ "name": name })).await;
                let lead = &a.body["lead"];
                assert_eq!(
                    lead["owner"]["kind"], "offer",
                    "an offered lead: {}",
                    a.body
                );
                let id = if kind == Offer {
                    lead["owner"]["offer_id"].as_i64()
                } else {
                    lead["id"].as_i64()
                };
                Made {
                    id: id.unwrap_or_default(),
                    name,
                }
            }
            Group => {
                let body =
                    json!({ "name": name, "entries": [{ "kind": "user", "user_id": s.agent.id }] });
                self.create(org, "/api/v1/groups", &name, body).await
            }
            Rule => {
                let body = json!({ "name": name, "enabled": false,
                    "conditions": { "sources": [s.source.id] }, "plan": plan(s.group.id) });
                self.create(org, "/api/v1/rules", &name, body).await
            }
            Reassignment => {
                let mut plan = plan(s.group.id);
                plan["fallback"] = json!({ "kind": "agent", "user_id": s.agent.id });
                let body = json!({ "name": name, "plan": plan, "teams": [s.team.id] });
                self.create(org, "/api/v1/reassignment-groups", &name, body)
                    .await
            }
            Calendar => {
                let body = json!({ "name": name, "time_zone": "UTC", "hours": "mon-fri 09:00-17:00",
                    "holidays": [], "is_default": false });
                self.create(org, "/api/v1/calendars", &name, body).await
            }
            Token => {
                let (id, _) = self.token(org, s.agent.id).await;
                Made { id, name }
            }
        }
    }

    /// Fills in one organization: two teams, each with an agent and a resource of each kind.
    async fn org(&self, admin: String, prefix: &'static str) -> Org {
        let mut org = Org {
            admin,
            prefix,
            ..Org::default()
        };
        // Enabled before any lead exists, so the leads below leave deliveries to read.
        let webhook = json!({ "url": "http://127.0.0.1:9/hook", "description": format!("{prefix}Hook"), "enabled": true });
        org.webhook = self.create(&org, "/api/v1/webhooks", "hook", webhook).await;
        let status = format!("{prefix}Matrix");
        org.status = self
            .create(
                &org,
                "/api/v1/statuses",
                &status,
                json!({ "name": status, "category": "working" }),
            )
            .await;
        org.reason = self.make(Reason, &org, 0).await;
        org.calendar = self.make(Calendar, &org, 0).await;
        for (t, side) in ["East", "West"].into_iter().enumerate() {
            let name = format!("{prefix}{side}");
            org.sides[t].team = self
                .create(&org, "/api/v1/teams", &name, json!({ "name": name }))
                .await;
            let team = org.sides[t].team.id;
            org.sides[t].agent = self.user(&org, "agent", team, None).await;
            org.sides[t].source = self.make(Source, &org, t).await;
            org.sides[t].pool = self.make(Pool, &org, t).await;
            org.sides[t].group = self.make(Group, &org, t).await;
            let name = format!("{prefix}Offers {t}");
            let offers = self
                .setup(
                    Method::POST,
                    "/api/v1/sources",
                    &org.admin,
                    json!({ "name": name, "team_id": team }),
                )
                .await;
            let key = offers["intake_key"].as_str().unwrap_or_default().to_owned();
            let offers = Made {
                id: new_id(&offers),
                name,
            };
            org.sides[t].offer_source = offers.id;
            org.sides[t].offer_key = key;
            let name = format!("{prefix}Offers {t}");
            let rule = json!({ "name": name, "conditions": { "sources": [offers.id] },
                "plan": plan(org.sides[t].group.id) });
            org.sides[t].rule = self.create(&org, "/api/v1/rules", &name, rule).await;
            org.sides[t].reassignment = self.make(Reassignment, &org, t).await;
            org.sides[t].lead = self.make(Lead, &org, t).await;
            org.sides[t].pool_lead = self.make(PoolLead, &org, t).await;
            org.sides[t].task = self.make(Task, &org, t).await;
            org.sides[t].offer = self.make(Offer, &org, t).await;
            org.sides[t].offer_lead = self.make(OfferLead, &org, t).await;
            org.sides[t].token = self.make(Token, &org, t).await;
        }
        let deliveries = self
            .setup(Method::GET, "/api/v1/deliveries", &org.admin, Value::Null)
            .await;
        org.delivery = Made {
            id: deliveries["items"][0]["id"]
                .as_i64()
                .unwrap_or_else(|| panic!("a delivery to retry: {deliveries}")),
            name: String::new(),
        };
        org
    }

    /// The `acme` viewers, in [`ROLES`] order, each in team East; their tokens.
    async fn viewers(&mut self) {
        let east = self.acme.sides[0].team.id;
        let mut tokens = vec![self.app.admin.token.clone()];
        for (role, scope) in [
            ("admin", Some(east)),
            ("isa", Some(east)),
            ("agent", None),
            ("all_leads_agent", Some(east)),
        ] {
            let user = self.user(&self.acme, role, east, scope).await;
            tokens.push(self.token(&self.acme, user.id).await.1);
        }
        // The last agent is the one without pool access.
        let last = self.user(&self.acme, "agent", east, None).await;
        let path = format!("/api/v1/users/{}", last.id);
        let body = json!({ "pool_access": false });
        self.setup(Method::PATCH, &path, &self.acme.admin, body)
            .await;
        tokens.push(self.token(&self.acme, last.id).await.1);
        self.viewers = tokens;
    }
}

/// A round robin over `group` with a response window, falling back to the queue.
fn plan(group: i64) -> Value {
    json!({ "strategy": { "kind": "round_robin" }, "group_id": group, "window_secs": 600,
        "fallback": { "kind": "queue" } })
}

/// One answer as a cell sees it.
#[derive(Debug)]
struct Got {
    status: StatusCode,
    body: Value,
    text: String,
}

/// Sends a request with a raw JSON body; an event stream's body is not read (it never ends).
async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: Option<&str>) -> Got {
    let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
    let mut req = app
        .http
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = res.status();
    let stream = res
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let text = if stream {
        String::new()
    } else {
        res.text().await.unwrap_or_default()
    };
    Got {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// `template` with each `{key}` replaced by its value.
fn fill(template: &str, vars: &BTreeMap<&'static str, String>) -> String {
    vars.iter().fold(template.to_owned(), |s, (k, v)| {
        s.replace(&format!("{{{k}}}"), v)
    })
}

/// The placeholders that hold ids, which a made-up id replaces.
const ID_VARS: [&str; 12] = [
    "reason",
    "id",
    "agent",
    "team",
    "source",
    "offer_source",
    "pool",
    "group",
    "reassignment",
    "status",
    "calendar",
    "rules",
];

/// `text` with every number in `ids` masked, so two answers about different ids compare.
fn mask(text: &str, ids: &BTreeSet<String>) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            out.push_str(if ids.contains(&digits) { "#" } else { &digits });
            digits.clear();
        }
        out.push(c);
    }
    out.pop();
    out
}

/// An answer's body as two answers about different ids compare: ids masked, and without
/// the request id every error carries.
fn comparable(a: &Got, ids: &BTreeSet<String>) -> String {
    let mut body = a.body.clone();
    if let Some(details) = body["error"]["details"].as_object_mut() {
        details.remove("request_id");
    }
    mask(&body.to_string(), ids)
}

/// What a cell answered: its status, or for a bulk answer (`results` per lead) the one
/// lead's result (`claimed`, `not_visible`, …), which is where such an answer says no.
fn answer(a: &Got) -> String {
    match a.body["results"][0]["result"].as_str() {
        Some(result) if a.status.is_success() => result.to_owned(),
        _ => a.status.as_u16().to_string(),
    }
}

/// Each role's expected answers per scope, from a row's `expect`.
fn expected(expect: &str) -> Vec<[String; 3]> {
    let mut out: Vec<[String; 3]> = expect
        .split('|')
        .map(
            |group| match group.split_whitespace().collect::<Vec<_>>()[..] {
                [one] => [one, one, one].map(str::to_owned),
                [a, b, c] => [a, b, c].map(str::to_owned),
                _ => Default::default(),
            },
        )
        .collect();
    out.resize(ROLES.len(), Default::default());
    out
}

/// The answers as a row's `expect` writes them.
fn written(got: &[[String; 3]]) -> String {
    got.iter()
        .map(|s| {
            if s[0] == s[1] && s[1] == s[2] {
                s[0].clone()
            } else {
                s.join(" ")
            }
        })
        .collect::<Vec<_>>()
        .join("|")
}

impl World<'_> {
    /// The organization and side a scope's resources come from.
    fn place(&self, scope: usize) -> (&Org, usize) {
        match scope {
            0 => (&self.acme, 0),
            1 => (&self.acme, 1),
            _ => (&self.globex, 0),
        }
    }

    /// The fixture's resource of `kind` in side `t` of `org`.
    fn shared(kind: Kind, org: &Org, t: usize) -> Made {
        let s = &org.sides[t];
        match kind {
            Team => s.team.clone(),
            User => s.agent.clone(),
            Lead => s.lead.clone(),
            PoolLead => s.pool_lead.clone(),
            Source => s.source.clone(),
            Status => org.status.clone(),
            Pool => s.pool.clone(),
            Reason => org.reason.clone(),
            Webhook => org.webhook.clone(),
            Delivery => org.delivery.clone(),
            Task => s.task.clone(),
            Offer => s.offer.clone(),
            OfferLead => s.offer_lead.clone(),
            Group => s.group.clone(),
            Rule => s.rule.clone(),
            Reassignment => s.reassignment.clone(),
            Calendar => org.calendar.clone(),
            Token => s.token.clone(),
        }
    }

    /// The placeholder values of one cell of `row` in `scope`.
    async fn vars(&self, row: &Row, scope: usize) -> BTreeMap<&'static str, String> {
        let (org, t) = self.place(scope);
        let s = &org.sides[t];
        let target = match row.on {
            Nothing => Made::default(),
            Shared(kind) => Self::shared(kind, org, t),
            Fresh(kind) => self.make(kind, org, t).await,
            Home(kind) => Self::shared(kind, &self.acme, 0),
        };
        let mut vars = BTreeMap::from([
            ("id", target.id.to_string()),
            ("name", target.name),
            ("agent", s.agent.id.to_string()),
            ("team", s.team.id.to_string()),
            ("source", s.source.id.to_string()),
            ("offer_source", s.offer_source.to_string()),
            ("pool", s.pool.id.to_string()),
            ("group", s.group.id.to_string()),
            ("reassignment", s.reassignment.id.to_string()),
            ("status", org.status.id.to_string()),
            ("calendar", org.calendar.id.to_string()),
            ("reason", org.reason.id.to_string()),
            ("n", self.next().to_string()),
        ]);
        if row.body.is_some_and(|b| b.contains("{rules}")) {
            let rules = send(self.app, "GET", "/api/v1/rules", &org.admin, None).await;
            let ids: Vec<&Value> = rules.body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| &r["id"])
                .collect();
            vars.insert("rules", json!(ids).to_string());
        }
        vars
    }

    /// Checks every cell of `row`; says what disagrees in `problems`; returns the number of
    /// cells checked.
    async fn check(&self, row: &Row, problems: &mut Vec<String>) -> usize {
        let want = expected(row.expect);
        let mut got: Vec<[String; 3]> = vec![Default::default(); ROLES.len()];
        let mut cells = 0;
        let mut mismatched = false;
        let names_ids = ID_VARS.iter().any(|k| {
            let k = format!("{{{k}}}");
            row.path.contains(&k) || row.body.is_some_and(|b| b.contains(&k))
        });
        for scope in 0..SCOPES.len() {
            for (role, token) in self.viewers.iter().enumerate() {
                let vars = self.vars(row, scope).await;
                let path = fill(row.path, &vars);
                let body = row.body.map(|b| fill(b, &vars));
                let a = send(self.app, row.method, &path, token, body.as_deref()).await;
                cells += 1;
                got[role][scope] = answer(&a);
                let cell = format!(
                    "{} {} as {} on {}:",
                    row.method, row.path, ROLES[role], SCOPES[scope]
                );
                if got[role][scope] != want[role][scope] {
                    mismatched = true;
                    problems.push(format!(
                        "{cell} expected {} got {} {}",
                        want[role][scope], got[role][scope], a.text
                    ));
                }
                if a.text.to_lowercase().contains(MARKER) {
                    problems.push(format!("{cell} leaks the other organization: {}", a.text));
                }
                if !a.status.is_success() && !a.body["error"]["code"].is_string() {
                    problems.push(format!(
                        "{cell} answers {} outside the error shape: {:?}",
                        a.status, a.text
                    ));
                }
                if scope == 2 && names_ids {
                    cells += 1;
                    if let Some(p) = self.indistinguishable(row, token, &vars, &a).await {
                        problems.push(format!("{cell} {p}"));
                    }
                }
            }
        }
        if mismatched {
            problems.push(format!(
                "  so the row {} {} now reads: \"{}\"",
                row.method,
                row.path,
                written(&got)
            ));
        }
        cells
    }

    /// Whether `foreign`, the answer about another organization's ids, differs from the
    /// answer about ids that do not exist; the difference, if so.
    async fn indistinguishable(
        &self,
        row: &Row,
        token: &str,
        vars: &BTreeMap<&'static str, String>,
        foreign: &Got,
    ) -> Option<String> {
        let mut missing = vars.clone();
        missing.insert("n", self.next().to_string());
        let mut ids: BTreeSet<String> = (MISSING..MISSING + 100).map(|i| i.to_string()).collect();
        // A row on the viewer's own resource keeps it; only the ids its body names change.
        let keep = matches!(row.on, Home(_)).then_some("id");
        for k in ID_VARS.into_iter().filter(|k| Some(*k) != keep) {
            if let Some(v) = missing.get_mut(k) {
                ids.extend(
                    v.split(|c: char| !c.is_ascii_digit())
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                );
                // A list of ids (the rules' order) becomes as many made-up ones.
                *v = if k == "rules" {
                    let count = v.split(',').count();
                    json!((MISSING..).take(count).collect::<Vec<_>>()).to_string()
                } else {
                    MISSING.to_string()
                };
            }
        }
        let path = fill(row.path, &missing);
        let body = row.body.map(|b| fill(b, &missing));
        let m = send(self.app, row.method, &path, token, body.as_deref()).await;
        let (f, m_text) = (comparable(foreign, &ids), comparable(&m, &ids));
        (foreign.status != m.status || f != m_text).then(|| {
            format!(
                "answers another organization's ids unlike made-up ones: {} {f} against {} {m_text}",
                foreign.status, m.status
            )
        })
    }
}

/// `path` with its parameters' names left out (`/users/{}/tokens/{}`), as the table names
/// them after its placeholders and the document after the handler's.
fn unnamed(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => inside = true,
            '}' => {
                inside = false;
                out.push_str("{}");
            }
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// Every `(METHOD, path)` of the served OpenAPI document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in item.as_object().into_iter().flatten().map(|(m, _)| m) {
            if ["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), unnamed(path)));
            }
        }
    }
    ops
}

leadpool_testkit::app_test! {
    async fn every_operation_answers_each_role_in_each_scope_as_the_table_says(app) {
        let doc = app.request(Method::GET, "/api/v1/openapi.json", None, None).await.body;
        let documented = operations(&doc);
        assert!(documented.len() > 50, "the OpenAPI document lists the operations: {doc}");
        let tabled: BTreeSet<(String, String)> = TABLE
            .iter()
            .map(|r| (r.method.to_owned(), unnamed(r.path)))
            .chain(EXCLUDED.iter().map(|(m, p)| ((*m).to_owned(), unnamed(p))))
            .collect();
        let untabled: Vec<String> = documented.difference(&tabled).map(|(m, p)| format!("{m} {p}")).collect();
        assert!(untabled.is_empty(), "operations missing from the authorization matrix's TABLE (add a row, or an EXCLUDED entry saying why):\n{}", untabled.join("\n"));
        let stale: Vec<String> = tabled.difference(&documented).map(|(m, p)| format!("{m} {p}")).collect();
        assert!(stale.is_empty(), "TABLE rows for operations the API does not document:\n{}", stale.join("\n"));

        let globex = app.post("/api/v1/organizations", OPERATOR_TOKEN, json!({
            "slug": "globex", "name": "Zorg Globex", "admin_email": "zorg@globex.test",
            "admin_name": "Zorg Admin", "admin_password": "a-long-enough-password",
        })).await;
        assert_eq!(globex.status, StatusCode::CREATED, "{}", globex.body);
        let mut w = World { app: &app, acme: Org::default(), globex: Org::default(), viewers: Vec::new(), n: AtomicU64::new(0) };
        w.acme = w.org(app.admin.token.clone(), "").await;
        w.globex = w.org(globex.body["admin_token"].as_str().unwrap_or_default().to_owned(), "Zorg ").await;
        w.viewers().await;

        let mut problems = Vec::new();
        let mut cells = 0;
        for row in TABLE {
            cells += w.check(row, &mut problems).await;
        }
        assert!(problems.is_empty(), "{} problems in {cells} cells of the authorization matrix:\n{}", problems.len(), problems.join("\n"));
    }
}
