//! Delivering outbox events outside the engine (issue 17): which events an endpoint wants,
//! when a delivery is due, how long to wait after a failed attempt, when a delivery is dead,
//! and when an endpoint that keeps failing is turned off. The store's queries and the
//! delivery worker follow these decisions; HTTP and signing live in the app.

use std::time::Duration;

use crate::ids::UserId;
use crate::owner::Owner;
use crate::time::Timestamp;
use crate::timeline::{Actor, EventKind};

/// What happened, as the outbox and a webhook's `type` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// A lead was offered to an agent.
    OfferMade,
    /// An offer was taken by someone else, or ended, for this agent.
    OfferWithdrawn,
    /// A lead was assigned to an agent (by routing, by hand or from the queue).
    LeadAssigned,
    /// An agent claimed a lead from a pool.
    LeadClaimed,
    /// A lead an agent held went back to a pool, by a timer or someone else's hand.
    LeadReturned,
    /// The reserve time an agent has on a claimed lead is about to end.
    ReserveExpiring,
    /// A person's morning summary of their leads, offers and tasks (to those who chose it).
    DailyDigest,
    /// The engine turned a webhook endpoint off after repeated failure (to the admins).
    WebhookDisabled,
}

impl EventType {
    /// Every type, in the order the API lists them.
    pub const ALL: [Self; 8] = [
        Self::OfferMade,
        Self::OfferWithdrawn,
        Self::LeadAssigned,
        Self::LeadClaimed,
        Self::LeadReturned,
        Self::ReserveExpiring,
        Self::DailyDigest,
        Self::WebhookDisabled,
    ];

    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OfferMade => "offer_made",
            Self::OfferWithdrawn => "offer_withdrawn",
            Self::LeadAssigned => "lead_assigned",
            Self::LeadClaimed => "lead_claimed",
            Self::LeadReturned => "lead_returned",
            Self::ReserveExpiring => "reserve_expiring",
            Self::DailyDigest => "daily_digest",
            Self::WebhookDisabled => "webhook_disabled",
        }
    }

    /// What a person chooses when they choose to be emailed about this type; `None` for
    /// the types never emailed (a withdrawn offer is told live; a claim was the agent's own).
    pub const fn mail_choice(self) -> Option<&'static str> {
        match self {
            Self::LeadAssigned => Some("A lead is assigned to me"),
            Self::OfferMade => Some("A lead is offered to me (with its deadline and PIN)"),
            Self::LeadReturned => Some("A lead of mine goes back to a pool"),
            Self::ReserveExpiring => Some("My reserve time on a claimed lead is about to run out"),
            Self::DailyDigest => Some("Every morning: a summary of my leads, offers and tasks"),
            Self::WebhookDisabled => Some("A webhook endpoint is turned off (admins)"),
            Self::OfferWithdrawn | Self::LeadClaimed => None,
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether a person who never chose is emailed about this type: every letter about their
    /// own leads, but not the daily digest, which they ask for.
    pub const fn mailed_by_default(self) -> bool {
        self.mail_choice().is_some() && !matches!(self, Self::DailyDigest)
    }
}

/// The events a lead's change writes by itself, whatever use case made it: a claim tells the
/// claimer's outbox (a CRM hears of it), and a lead an agent held that goes to a pool by a
/// timer or by someone else tells that agent. Offers and assignments are written by the use
/// cases that make them, which know their deadline, PIN or who assigned.
pub fn events_of_move(
    before: &Owner,
    after: &Owner,
    kind: EventKind,
    actor: Actor,
) -> Vec<(UserId, EventType)> {
    let mut events = Vec::new();
    if let (EventKind::Claimed, Owner::Agent { user_id }) = (kind, after) {
        events.push((*user_id, EventType::LeadClaimed));
    }
    if let (Owner::Agent { user_id }, Owner::Pool { .. }) = (before, after)
        && actor != (Actor::User { user_id: *user_id })
    {
        events.push((*user_id, EventType::LeadReturned));
    }
    events
}

/// Which events a person is emailed about: a subset of the types that have a
/// [`EventType::mail_choice`]. Nobody chose yet: those [`EventType::mailed_by_default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailChoices(Vec<EventType>);

impl Default for MailChoices {
    fn default() -> Self {
        Self(
            EventType::ALL
                .into_iter()
                .filter(|t| t.mailed_by_default())
                .collect(),
        )
    }
}

impl MailChoices {
    /// Parses chosen type names; a name that is not a mail choice is refused, naming those
    /// that are.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut types = Vec::with_capacity(names.len());
        for n in names {
            match EventType::parse(n.as_ref()).filter(|t| t.mail_choice().is_some()) {
                Some(t) => types.push(t),
                None => {
                    let known: Vec<&str> = EventType::ALL
                        .iter()
                        .filter(|t| t.mail_choice().is_some())
                        .map(|t| t.as_str())
                        .collect();
                    return Err(format!(
                        "`{}` is not an email choice; the choices are {}",
                        n.as_ref(),
                        known.join(", ")
                    ));
                }
            }
        }
        types.sort_unstable();
        types.dedup();
        Ok(Self(types))
    }

    /// Whether an event of this type is emailed.
    pub fn wants(&self, t: EventType) -> bool {
        self.0.contains(&t)
    }

    /// The types chosen.
    pub fn types(&self) -> &[EventType] {
        &self.0
    }
}

/// The hour of the day, on the person's own clocks, the daily digest goes out.
pub const DIGEST_HOUR: i8 = 7;

/// When the next daily digest after `now` is due for someone on the clocks of `zone`: the
/// next 07:00 there strictly after `now`. On a day whose 07:00 a clock change skips, it is
/// the instant the clocks would have read 07:00 (jiff's "compatible" reading).
pub fn next_digest(now: Timestamp, zone: &jiff::tz::TimeZone) -> Timestamp {
    const DAY: i64 = 86_400_000;
    let Ok(t) = jiff::Timestamp::from_millisecond(now.as_millis()) else {
        return now.plus_millis(DAY);
    };
    let today = t.to_zoned_datetime(zone.clone()).date();
    [Ok(today), today.tomorrow()]
        .into_iter()
        .flatten()
        .filter_map(|d| {
            d.at(DIGEST_HOUR, 0, 0, 0)
                .to_zoned_datetime(zone.clone())
                .ok()
        })
        .map(|at| at.timestamp())
        .find(|at| *at > t)
        .map_or_else(
            || now.plus_millis(DAY),
            |at| Timestamp::from_millis(at.as_millisecond()),
        )
}

/// The event types an endpoint receives; empty means every type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter(Vec<EventType>);

impl EventFilter {
    /// Parses a list of type names (duplicates collapse); an unknown name is refused with
    /// the names that exist.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, String> {
        let mut types = Vec::with_capacity(names.len());
        for n in names {
            let n = n.as_ref();
            let Some(t) = EventType::parse(n) else {
                let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
                return Err(format!(
                    "unknown event type `{n}`; known types: {}",
                    known.join(", ")
                ));
            };
            types.push(t);
        }
        types.sort_unstable();
        types.dedup();
        Ok(Self(types))
    }

    /// Whether an event of this stored type passes the filter.
    pub fn matches(&self, event_type: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|t| t.as_str() == event_type)
    }

    /// The types named; empty means every type.
    pub fn types(&self) -> &[EventType] {
        &self.0
    }
}

/// Where a webhook endpoint receives events: an absolute `http` or `https` URL with a host
/// and no credentials in it (the URL is listed to every admin; the signature authenticates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Parses and normalizes a URL, saying what is wrong with a bad one.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.len() > 2048 {
            return Err("must be at most 2048 characters".to_owned());
        }
        let url = url::Url::parse(s).map_err(|e| format!("is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "must start with http:// or https://, not {}://",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("must name a host".to_owned());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not hold a user name or password; requests are signed".to_owned());
        }
        if url.fragment().is_some() {
            return Err("must not have a #fragment".to_owned());
        }
        Ok(Self(url.into()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a delivery leaves: posted to a webhook endpoint, or emailed to the person whose
/// outbox holds the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A signed POST to an organization's endpoint.
    Webhook,
    /// A mail to the event's addressee.
    Email,
}

impl Channel {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Email => "email",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Webhook, Self::Email]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its next attempt (or being attempted now).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; only an admin's retry sends it again.
    Dead,
}

impl DeliveryState {
    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Dead]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// Whether a delivery should be attempted at `now`: it is pending and its next attempt time
/// has come. Taking a delivery moves its next attempt time to the end of the lease, so a
/// delivery whose worker died is due again once the lease runs out, and never before. The
/// store's query for due deliveries is this condition in SQL.
pub fn is_due(state: DeliveryState, next_attempt_at: Timestamp, now: Timestamp) -> bool {
    state == DeliveryState::Pending && next_attempt_at <= now
}

/// Waits after the 1st, 2nd, … failed attempt; later failures wait as long as the last.
const BACKOFF_SECS: [u64; 7] = [10, 60, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600];

/// How many attempts a delivery gets before it is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
}

impl Default for RetryPolicy {
    /// Eight attempts: the last about 18 hours after the first, so a receiver down for a
    /// night still gets its events.
    fn default() -> Self {
        Self { max_attempts: 8 }
    }
}

/// What an attempt's answer means for its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Done.
    Delivered,
    /// Try again at this instant.
    RetryAt(Timestamp),
    /// Out of attempts.
    Dead,
}

impl RetryPolicy {
    /// The most attempts a policy may give: past 50 the 10-hour waits span three weeks.
    pub const MOST_ATTEMPTS: u32 = 50;

    /// A policy of `max_attempts` attempts, from 1 to [`Self::MOST_ATTEMPTS`].
    pub fn new(max_attempts: u32) -> Result<Self, String> {
        if (1..=Self::MOST_ATTEMPTS).contains(&max_attempts) {
            Ok(Self { max_attempts })
        } else {
            Err(format!(
                "must be from 1 to {}, not {max_attempts}",
                Self::MOST_ATTEMPTS
            ))
        }
    }

    /// How many attempts a delivery gets.
    pub const fn max_attempts(self) -> u32 {
        self.max_attempts
    }

    /// How long to wait after the `attempt`th (1-based) attempt failed.
    pub fn backoff(attempt: u32) -> Duration {
        let i = usize::try_from(attempt.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .min(BACKOFF_SECS.len() - 1);
        Duration::from_secs(BACKOFF_SECS[i])
    }

    /// What follows the `attempt`th attempt, made at `now`, which `delivered` the event or
    /// not (see [`webhook_accepted`] for webhooks).
    pub fn after_attempt(self, attempt: u32, delivered: bool, now: Timestamp) -> Next {
        if delivered {
            Next::Delivered
        } else if attempt >= self.max_attempts {
            Next::Dead
        } else {
            let wait = i64::try_from(Self::backoff(attempt).as_millis()).unwrap_or(i64::MAX);
            Next::RetryAt(now.plus_millis(wait))
        }
    }
}

/// Whether a webhook receiver that answered `status` (`None`: no answer: refused, timed
/// out, broken) took the event: any 2xx, as Standard Webhooks says.
pub fn webhook_accepted(status: Option<u16>) -> bool {
    status.is_some_and(|s| (200..300).contains(&s))
}

/// Dead deliveries in a row that turn an endpoint off.
pub const DISABLE_AFTER_DEAD: u32 = 20;
/// How long deliveries to an endpoint may keep dying, with none delivered in between,
/// before it is turned off.
pub const DISABLE_AFTER_FAILING: Duration = Duration::from_secs(24 * 3600);

/// How an endpoint has fared since its last delivered event: the dead deliveries since then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    /// Dead deliveries since the last delivered one.
    pub dead_streak: u32,
    /// When the first of them died.
    pub dead_since: Option<Timestamp>,
}

impl EndpointHealth {
    /// After one of its deliveries died at `now`.
    pub fn after_dead(self, now: Timestamp) -> Self {
        Self {
            dead_streak: self.dead_streak.saturating_add(1),
            dead_since: self.dead_since.or(Some(now)),
        }
    }

    /// Why the endpoint must be turned off at `now`, if it must: 20 dead deliveries in a
    /// row, or deliveries dying for 24 hours with none delivered. Either alone would be
    /// wrong: a busy endpoint reaches 20 in minutes of an outage shorter than the retries
    /// cover, so it also needs the streak; a quiet one may take weeks to reach 20.
    pub fn disable_reason(self, now: Timestamp) -> Option<String> {
        let failing_ms = self
            .dead_since
            .map_or(0, |since| now.as_millis().saturating_sub(since.as_millis()));
        let day = i64::try_from(DISABLE_AFTER_FAILING.as_millis()).unwrap_or(i64::MAX);
        if self.dead_streak >= DISABLE_AFTER_DEAD {
            Some(format!(
                "turned off after {} dead deliveries in a row",
                self.dead_streak
            ))
        } else if self.dead_streak > 0 && failing_ms >= day {
            Some(format!(
                "turned off: every delivery since {} died ({} dead, none delivered)",
                self.dead_since
                    .map_or_else(String::new, Timestamp::to_minute_utc),
                self.dead_streak
            ))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const T0: Timestamp = Timestamp::from_millis(1_795_597_200_000);

    #[test]
    fn the_backoff_grows_from_ten_seconds_and_stays_at_ten_hours() {
        let waits: Vec<u64> = (1..=9).map(|a| RetryPolicy::backoff(a).as_secs()).collect();
        assert_eq!(waits, [10, 60, 300, 1800, 7200, 18000, 36000, 36000, 36000]);
    }

    #[test]
    fn a_filter_refuses_unknown_types_naming_the_known_ones() {
        let e = EventFilter::parse(&["lead_assigned", "lead_eaten"])
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("`lead_eaten`") && e.contains("offer_made"),
            "{e}"
        );
        let f = EventFilter::parse(&["lead_assigned", "lead_assigned"]).unwrap_or_default();
        assert_eq!(f.types(), [EventType::LeadAssigned]);
        assert!(f.matches("lead_assigned") && !f.matches("offer_made"));
        assert!(EventFilter::default().matches("offer_made"));
    }

    #[test]
    fn a_lead_taken_back_to_a_pool_tells_its_agent_unless_they_gave_it_back() {
        let ana = UserId::new(1);
        let held = Owner::Agent { user_id: ana };
        let pool = Owner::Pool {
            pool_id: crate::PoolId::new(3),
        };
        let admin = Actor::User {
            user_id: UserId::new(9),
        };
        for actor in [Actor::System, admin] {
            assert_eq!(
                events_of_move(&held, &pool, EventKind::ReserveExpired, actor),
                [(ana, EventType::LeadReturned)]
            );
        }
        let own = Actor::User { user_id: ana };
        assert!(events_of_move(&held, &pool, EventKind::Rejected, own).is_empty());
        assert_eq!(
            events_of_move(&pool, &held, EventKind::Claimed, own),
            [(ana, EventType::LeadClaimed)]
        );
        assert!(events_of_move(&Owner::Queue, &held, EventKind::OwnerChanged, admin).is_empty());
    }

    #[test]
    fn the_digest_is_due_at_the_next_seven_in_the_morning_on_the_persons_clocks() {
        let utc = jiff::tz::TimeZone::UTC;
        // T0 is 2026-11-25 09:00 UTC.
        assert_eq!(next_digest(T0, &utc).to_string(), "2026-11-26T07:00:00Z");
        let six = T0.plus_millis(-3 * 3_600_000);
        assert_eq!(next_digest(six, &utc).to_string(), "2026-11-25T07:00:00Z");
        let seven = next_digest(six, &utc);
        assert_eq!(
            next_digest(seven, &utc).to_string(),
            "2026-11-26T07:00:00Z",
            "strictly after"
        );
        // 09:00 UTC is 04:00 in New York (EST, UTC-5): 07:00 there is still to come today.
        let new_york = jiff::tz::TimeZone::get("America/New_York").expect("a zone");
        assert_eq!(
            next_digest(T0, &new_york).to_string(),
            "2026-11-25T12:00:00Z"
        );
        // And 18:00 in Tokyo (UTC+9): tomorrow's 07:00 there is 22:00 UTC today.
        let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").expect("a zone");
        assert_eq!(next_digest(T0, &tokyo).to_string(), "2026-11-25T22:00:00Z");
    }

    proptest! {
        #[test]
        fn the_digest_comes_within_a_day_and_at_seven_on_the_persons_clocks(
            ms in 1_700_000_000_000_i64..1_900_000_000_000,
            zone in proptest::sample::select(vec!["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns"]),
        ) {
            let tz = jiff::tz::TimeZone::get(zone).expect("a zone");
            let now = Timestamp::from_millis(ms);
            let next = next_digest(now, &tz);
            prop_assert!(next > now);
            // A day on the clocks may last 25 hours across a change.
            prop_assert!(next.as_millis() - now.as_millis() <= 25 * 3_600_000, "{next}");
            let local = jiff::Timestamp::from_millisecond(next.as_millis()).map(|t| t.to_zoned_datetime(tz.clone()));
            prop_assert!(local.is_ok_and(|l| l.hour() == DIGEST_HOUR && l.minute() == 0), "{next} in {zone}");
        }
    }

    #[test]
    fn mail_choices_default_to_every_mailable_type_and_refuse_others() {
        let all = MailChoices::default();
        assert!(
            !all.wants(EventType::DailyDigest),
            "the digest is asked for"
        );
        assert!(
            MailChoices::parse(&["daily_digest"]).is_ok_and(|c| c.wants(EventType::DailyDigest))
        );
        assert!(all.wants(EventType::LeadAssigned) && all.wants(EventType::OfferMade));
        assert!(!all.wants(EventType::OfferWithdrawn) && !all.wants(EventType::LeadClaimed));
        let some = MailChoices::parse(&["offer_made", "offer_made"]).unwrap_or_default();
        assert_eq!(some.types(), [EventType::OfferMade]);
        let e = MailChoices::parse(&["lead_claimed"])
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("`lead_claimed`") && e.contains("lead_returned"),
            "{e}"
        );
        assert_eq!(
            MailChoices::parse::<&str>(&[]).map(|c| c.types().len()),
            Ok(0)
        );
    }

    #[test]
    fn webhook_urls_are_http_or_https_with_a_host_and_no_credentials() {
        assert_eq!(
            WebhookUrl::parse(" https://crm.example/hooks?x=1 ").map(|u| u.0),
            Ok("https://crm.example/hooks?x=1".to_owned())
        );
        assert!(WebhookUrl::parse("http://127.0.0.1:8080/").is_ok());
        for bad in [
            "ftp://crm.example/",
            "crm.example/hooks",
            "https://user:pw@crm.example/",
            "https://crm.example/#x",
            "mailto:a@b.c",
            "",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_endpoint_is_turned_off_after_twenty_dead_or_a_day_of_dying() {
        let mut h = EndpointHealth::default();
        for i in 0..19 {
            h = h.after_dead(T0.plus_millis(i));
        }
        assert_eq!(h.disable_reason(T0.plus_millis(19)), None);
        let twenty = h.after_dead(T0.plus_millis(19));
        assert!(
            twenty
                .disable_reason(T0)
                .is_some_and(|r| r.contains("20 dead"))
        );
        let one = EndpointHealth::default().after_dead(T0);
        assert_eq!(one.disable_reason(T0.plus_millis(86_399_999)), None);
        let later = one.after_dead(T0.plus_millis(86_400_000));
        assert!(
            later
                .disable_reason(T0.plus_millis(86_400_000))
                .is_some_and(|r| r.contains("since 2026-11-25 09:00 UTC"))
        );
    }

    proptest! {
        #[test]
        fn a_delivery_is_tried_exactly_max_attempts_times_with_growing_waits(
            max in 1u32..=50,
            status in proptest::option::of(100u16..600),
        ) {
            let policy = RetryPolicy::new(max).unwrap_or_default();
            let failed = !webhook_accepted(status);
            let mut now = T0;
            let mut last_wait = 0;
            for attempt in 1..=max {
                match policy.after_attempt(attempt, !failed, now) {
                    Next::Delivered => { prop_assert!(!failed); return Ok(()); }
                    Next::RetryAt(at) => {
                        prop_assert!(failed && attempt < max);
                        let wait = at.as_millis() - now.as_millis();
                        prop_assert!(wait >= last_wait && wait >= 10_000);
                        prop_assert!(!is_due(DeliveryState::Pending, at, now));
                        prop_assert!(is_due(DeliveryState::Pending, at, at));
                        last_wait = wait;
                        now = at;
                    }
                    Next::Dead => prop_assert!(failed && attempt == max),
                }
            }
        }

        #[test]
        fn only_pending_deliveries_are_ever_due(
            next in 0i64..1_000,
            now in 0i64..1_000,
        ) {
            let (next, now) = (Timestamp::from_millis(next), Timestamp::from_millis(now));
            prop_assert_eq!(is_due(DeliveryState::Pending, next, now), next <= now);
            prop_assert!(!is_due(DeliveryState::Delivered, next, now));
            prop_assert!(!is_due(DeliveryState::Dead, next, now));
        }
    }
}
