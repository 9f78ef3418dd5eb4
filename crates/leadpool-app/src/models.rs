//! The read models the use cases hand out. Where a stored row already has the shape a
//! caller needs it is re-exported as it is; callers (the web layer, the binary) name these
//! paths and never the store's, so the store can change behind the app.

pub use leadpool_store::calendars::StoredCalendar;
pub use leadpool_store::claims::{OrgPoolSettings, RejectReason};
pub use leadpool_store::credentials::ApiToken;
pub use leadpool_store::deliveries::Delivery;
pub use leadpool_store::leads::{
    LeadFilter, LeadSort, QueueFilter, QueuePlace, QueueSort, Tally, TimelineRecord,
};
pub use leadpool_store::offers::{OfferState, StoredOffer};
pub use leadpool_store::orgs::Organization;
pub use leadpool_store::pools::Pool;
pub use leadpool_store::routing::{Group, Reassignment, RuleSettings};
pub use leadpool_store::sources::Source;
pub use leadpool_store::statuses::Status;
pub use leadpool_store::teams::Team;
pub use leadpool_store::users::User;
pub use leadpool_store::webhooks::Webhook;
