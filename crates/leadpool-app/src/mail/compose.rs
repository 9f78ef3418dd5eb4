//! The letters people get, composed from an event and what it is about. Pure: the
//! worker reads the facts, this decides the words, and one [`Letter`] renders as both the
//! plain-text and the HTML part, so the two never say different things.

use askama::Template;
use leadpool_domain::delivery::EventType;
use leadpool_domain::{LeadId, Timestamp};
use serde_json::Value;

/// What the lead of a letter is, as the letter shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadFacts {
    /// Its id, for the link.
    pub id: LeadId,
    /// Its name, or how it is called without one.
    pub name: String,
    /// Its first email address.
    pub email: Option<String>,
    /// Its first phone number.
    pub phone: Option<String>,
    /// Its source's name.
    pub source: String,
}

/// What a letter is about, read when it is sent.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The addressee's name.
    pub recipient: &'a str,
    /// What happened.
    pub event_type: EventType,
    /// The event's details, as the outbox holds them.
    pub payload: &'a Value,
    /// The lead, when the event is about one that still exists.
    pub lead: Option<LeadFacts>,
    /// The pool a returned lead went to.
    pub pool: Option<String>,
    /// Where people open leadpool, without a trailing slash.
    pub public_url: &'a str,
    /// The addressee's time zone: every time the letter gives is on their clocks.
    pub zone: &'a jiff::tz::TimeZone,
}

/// A composed letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// Its subject line.
    pub subject: String,
    /// Its first line.
    pub greeting: String,
    /// What happened, one paragraph each.
    pub lines: Vec<String>,
    /// The details, label and value.
    pub facts: Vec<(String, String)>,
    /// Where to act, label and URL.
    pub link: Option<(String, String)>,
    /// Why the person gets it and how to stop it.
    pub footer: String,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct Html<'a> {
    letter: &'a Letter,
}

impl Letter {
    /// The plain-text part.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n\n", self.greeting);
        for line in &self.lines {
            out.push_str(line);
            out.push_str("\n\n");
        }
        let width = self.facts.iter().map(|(l, _)| l.chars().count()).max();
        for (label, value) in &self.facts {
            let pad = width.unwrap_or(0) - label.chars().count();
            out.push_str(&format!("{label}:{} {value}\n", " ".repeat(pad)));
        }
        if !self.facts.is_empty() {
            out.push('\n');
        }
        if let Some((label, url)) = &self.link {
            out.push_str(&format!("{label}: {url}\n\n"));
        }
        out.push_str("-- \n");
        out.push_str(&self.footer);
        out.push('\n');
        out
    }

    /// The HTML part; every value is escaped by the template.
    pub fn html(&self) -> String {
        Html { letter: self }
            .render()
            .unwrap_or_else(|_| self.text())
    }
}

/// The letter for an event, or `None` for a type nobody is emailed about.
pub fn compose(f: &Facts<'_>) -> Option<Letter> {
    let text = |key: &str| {
        f.payload
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let instant = |key: &str| {
        f.payload
            .get(key)
            .cloned()
            .and_then(|t| serde_json::from_value::<Timestamp>(t).ok())
            .map(|t| t.to_minute_in(f.zone))
    };
    let lead_name = f
        .lead
        .as_ref()
        .map(|l| l.name.clone())
        .or_else(|| text("lead_name"))
        .unwrap_or_else(|| "A lead".to_owned());
    let lead_link = |label: &str| {
        f.lead
            .as_ref()
            .map(|l| (label.to_owned(), format!("{}/leads/{}", f.public_url, l.id)))
    };
    let mut facts = lead_facts(f.lead.as_ref());
    let (subject, lines, link) = match f.event_type {
        EventType::LeadAssigned => {
            let how = match text("by") {
                Some(by) => format!("{by} assigned {lead_name} to you."),
                None => format!("{lead_name} was routed to you."),
            };
            let mut lines = vec![how];
            if let Some(reason) = text("reason").filter(|r| !r.is_empty()) {
                lines.push(format!("Why: {reason}"));
            }
            (
                format!("Lead assigned to you: {lead_name}"),
                lines,
                lead_link("Open the lead"),
            )
        }
        EventType::OfferMade => {
            let deadline = instant("deadline");
            let mut lines = vec![format!(
                "{lead_name} is offered to you. The first to accept gets the lead."
            )];
            if let Some(d) = &deadline {
                lines.push(format!("Accept it before {d}, when the offer moves on."));
            }
            if let Some(pin) = text("pin") {
                lines.push(format!(
                    "Accept it on the Offers page, or call in and enter the PIN {pin}."
                ));
                facts.push(("PIN".to_owned(), pin));
            }
            if let Some(d) = deadline {
                facts.push(("Answer by".to_owned(), d));
            }
            (
                format!("Lead offered to you: {lead_name}"),
                lines,
                Some((
                    "Open your offers".to_owned(),
                    format!("{}/offers", f.public_url),
                )),
            )
        }
        EventType::LeadReturned => {
            let pool = f.pool.clone().unwrap_or_else(|| "its pool".to_owned());
            let why = match text("why").as_deref() {
                Some("reserve_expired") => "your reserve time ran out before you worked it",
                Some("status_changed") => "its status expired",
                _ => "it was moved there",
            };
            let mut lines = vec![format!(
                "{lead_name} went back to {pool}: {why}. It is no longer yours; anyone with access to the pool may claim it."
            )];
            if let Some(reason) = text("reason").filter(|r| !r.is_empty()) {
                lines.push(format!("Reason given: {reason}"));
            }
            (
                format!("{lead_name} went back to {pool}"),
                lines,
                lead_link("See the lead"),
            )
        }
        EventType::ReserveExpiring => {
            let due = instant("due").map_or_else(|| "soon".to_owned(), |d| format!("at {d}"));
            (
                format!("Your reserve time on {lead_name} ends {due}"),
                vec![
                    format!("Your reserve time on {lead_name} ends {due}."),
                    "Log a call, email, text or meeting, or move it out of New, to keep the lead; otherwise it goes back to the pool for anyone to claim.".to_owned(),
                ],
                lead_link("Work the lead"),
            )
        }
        EventType::DailyDigest => {
            let n = |key: &str| f.payload.get(key).and_then(Value::as_u64).unwrap_or(0);
            let (offers, overdue, today) = (n("offers"), n("tasks_overdue"), n("tasks_due_today"));
            facts = vec![
                ("Leads you hold".to_owned(), n("open_leads").to_string()),
                ("Offers waiting for you".to_owned(), offers.to_string()),
                ("Tasks overdue".to_owned(), overdue.to_string()),
                ("Tasks due within a day".to_owned(), today.to_string()),
            ];
            let first = if offers + overdue == 0 {
                "Nothing is waiting on you this morning.".to_owned()
            } else {
                format!(
                    "{offers} {} waiting for you and {overdue} {} overdue.",
                    if offers == 1 {
                        "offer is"
                    } else {
                        "offers are"
                    },
                    if overdue == 1 { "task is" } else { "tasks are" }
                )
            };
            (
                "Your morning in leadpool".to_owned(),
                vec![first],
                Some((
                    "Open your leads".to_owned(),
                    format!("{}/leads", f.public_url),
                )),
            )
        }
        EventType::WebhookDisabled => {
            let url = text("url").unwrap_or_default();
            facts = vec![("Endpoint".to_owned(), url.clone())];
            let mut lines = vec![format!(
                "leadpool turned off the webhook endpoint {url}: its deliveries kept failing."
            )];
            if let Some(reason) = text("reason") {
                lines.push(format!("Why: {reason}."));
            }
            lines.push(
                "Events for it are kept. Fix the receiver, then turn the endpoint on again; failed deliveries can be retried from the deliveries page."
                    .to_owned(),
            );
            (
                format!("Webhook endpoint turned off: {url}"),
                lines,
                Some((
                    "See failed deliveries".to_owned(),
                    format!("{}/settings/deliveries", f.public_url),
                )),
            )
        }
        EventType::OfferWithdrawn | EventType::LeadClaimed => return None,
    };
    Some(Letter {
        subject,
        greeting: format!("Hello {},", f.recipient),
        lines,
        facts,
        link,
        footer: format!(
            "You get this email because you chose it; change what you are emailed about under My account: {}/account",
            f.public_url
        ),
    })
}

fn lead_facts(lead: Option<&LeadFacts>) -> Vec<(String, String)> {
    let Some(l) = lead else {
        return Vec::new();
    };
    let mut facts = vec![("Lead".to_owned(), l.name.clone())];
    if let Some(e) = &l.email {
        facts.push(("Email".to_owned(), e.clone()));
    }
    if let Some(p) = &l.phone {
        facts.push(("Phone".to_owned(), p.clone()));
    }
    facts.push(("Source".to_owned(), l.source.clone()));
    facts
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    static UTC: jiff::tz::TimeZone = jiff::tz::TimeZone::UTC;

    fn facts<'a>(event_type: EventType, payload: &'a Value) -> Facts<'a> {
        Facts {
            recipient: "Ana Lima",
            event_type,
            payload,
            lead: Some(LeadFacts {
                id: LeadId::new(42),
                name: "Kim <Lee>".to_owned(),
                email: Some("kim@example.com".to_owned()),
                phone: None,
                source: "Website".to_owned(),
            }),
            pool: Some("Austin pool".to_owned()),
            public_url: "https://leads.example",
            zone: &UTC,
        }
    }

    #[test]
    fn an_offer_letter_gives_the_deadline_and_the_pin() {
        let payload = json!({ "offer_id": 7, "deadline": "2026-12-06T10:05:00Z", "pin": "4821" });
        let letter = compose(&facts(EventType::OfferMade, &payload)).expect("a letter");
        let text = letter.text();
        assert!(
            text.contains("PIN 4821") && text.contains("2026-12-06 10:05 UTC"),
            "{text}"
        );
        assert!(text.contains("https://leads.example/offers"), "{text}");
        assert!(letter.subject.contains("Kim <Lee>"));
    }

    #[test]
    fn times_in_a_letter_are_on_the_addressees_clocks() {
        let payload = json!({ "offer_id": 7, "deadline": "2026-12-06T15:05:00Z" });
        let chicago = jiff::tz::TimeZone::get("America/Chicago").expect("a zone");
        let f = Facts {
            zone: &chicago,
            ..facts(EventType::OfferMade, &payload)
        };
        let text = compose(&f).expect("a letter").text();
        assert!(
            text.contains("Accept it before 2026-12-06 09:05 CST") && !text.contains("UTC"),
            "{text}"
        );
    }

    #[test]
    fn the_html_part_escapes_what_the_lead_sent() {
        let payload = json!({ "by": "Sam <script>", "reason": "VIP" });
        let letter = compose(&facts(EventType::LeadAssigned, &payload)).expect("a letter");
        let html = letter.html();
        assert!(
            !html.contains("<script>") && !html.contains("Kim <Lee>"),
            "{html}"
        );
        assert!(
            html.contains("Kim &#60;Lee&#62;") || html.contains("Kim &lt;Lee&gt;"),
            "{html}"
        );
        assert!(html.contains("https://leads.example/leads/42"), "{html}");
        assert!(
            letter
                .text()
                .contains("Sam <script> assigned Kim <Lee> to you.")
        );
    }

    #[test]
    fn a_returned_lead_names_its_pool_and_why() {
        let payload = json!({ "pool_id": 3, "why": "reserve_expired" });
        let text = compose(&facts(EventType::LeadReturned, &payload))
            .expect("a letter")
            .text();
        assert!(
            text.contains("went back to Austin pool: your reserve time ran out"),
            "{text}"
        );
    }

    #[test]
    fn a_reserve_warning_says_when_and_how_to_keep_the_lead() {
        let payload = json!({ "due": "2026-12-06T11:00:00Z" });
        let letter = compose(&facts(EventType::ReserveExpiring, &payload)).expect("a letter");
        assert_eq!(
            letter.subject,
            "Your reserve time on Kim <Lee> ends at 2026-12-06 11:00 UTC"
        );
        assert!(letter.text().contains("Log a call"), "{}", letter.text());
    }

    #[test]
    fn the_digest_counts_what_waits() {
        let payload =
            json!({ "open_leads": 12, "offers": 1, "tasks_overdue": 2, "tasks_due_today": 3 });
        let letter = compose(&facts(EventType::DailyDigest, &payload)).expect("a letter");
        assert_eq!(letter.subject, "Your morning in leadpool");
        let text = letter.text();
        assert!(
            text.contains("1 offer is waiting for you and 2 tasks are overdue."),
            "{text}"
        );
        assert!(
            text.contains("Leads you hold:") && text.contains("12"),
            "{text}"
        );
    }

    #[test]
    fn withdrawn_offers_and_claims_are_never_mailed() {
        let payload = json!({});
        for t in EventType::ALL {
            let mailed = compose(&facts(t, &payload)).is_some();
            assert_eq!(mailed, t.mail_choice().is_some(), "{t:?}");
        }
    }
}
