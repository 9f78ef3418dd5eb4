//! The vocabulary of leadpool (PRODUCT.md "Words") and the rules that must always hold.
//!
//! Nothing here does I/O or reads a clock: every function that depends on time takes `now`.
//! Storage and HTTP are thin layers around these types.

pub mod access;
pub mod calendar;
pub mod contact;
pub mod delivery;
pub mod ids;
pub mod lead;
pub mod owner;
pub mod pool;
pub mod routing;
pub mod status;
pub mod task;
pub mod time;
pub mod timeline;
pub mod timer;
pub mod validate;

pub use access::{Denied, Permission, Role, Scope, Viewer, Visibility, subtree, would_cycle};
pub use ids::{
    DeliveryId, GroupId, LeadId, OfferId, OrgId, PoolId, ReassignmentId, RuleId, SourceId,
    StatusId, TaskId, TeamId, UserId, WebhookId,
};
pub use lead::{Lead, LeadDraft, LeadPatch, Transition};
pub use owner::Owner;
pub use status::StatusCategory;
pub use time::Timestamp;
pub use timeline::{Actor, EventKind, TimelineEntry};
pub use validate::{Email, FieldError, Invalid, Phone};
