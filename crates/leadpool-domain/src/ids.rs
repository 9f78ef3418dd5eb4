//! Typed identifiers: a `LeadId` can never be passed where an `OrgId` is expected.
//!
//! One generic `Id<K>` with a marker per kind, rather than a macro per type, so the
//! impls are written once and read once.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A database identifier of the kind `K`.
pub struct Id<K> {
    raw: i64,
    kind: PhantomData<fn() -> K>,
}

impl<K> Id<K> {
    /// Wraps a raw database id.
    pub const fn new(raw: i64) -> Self {
        Self {
            raw,
            kind: PhantomData,
        }
    }

    /// The raw value, for storage and URLs.
    pub const fn get(self) -> i64 {
        self.raw
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K> Copy for Id<K> {}
impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}
impl<K> Eq for Id<K> {}
impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.raw.cmp(&other.raw)
    }
}
impl<K> Hash for Id<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.raw.hash(state);
    }
}
impl<K> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}",
            std::any::type_name::<K>()
                .rsplit("::")
                .next()
                .unwrap_or("Id"),
            self.raw
        )
    }
}
impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.raw.fmt(f)
    }
}
impl<K> Serialize for Id<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.raw)
    }
}
impl<'de, K> Deserialize<'de> for Id<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(Self::new)
    }
}

/// Marker kinds; never constructed.
pub mod kind {
    /// An organization.
    #[derive(Debug)]
    pub enum Org {}
    /// A team.
    #[derive(Debug)]
    pub enum Team {}
    /// A user.
    #[derive(Debug)]
    pub enum User {}
    /// A lead.
    #[derive(Debug)]
    pub enum Lead {}
    /// A source.
    #[derive(Debug)]
    pub enum Source {}
    /// A status.
    #[derive(Debug)]
    pub enum Status {}
    /// A pool.
    #[derive(Debug)]
    pub enum Pool {}
    /// An offer in progress.
    #[derive(Debug)]
    pub enum Offer {}
    /// A distribution group.
    #[derive(Debug)]
    pub enum Group {}
    /// A routing rule.
    #[derive(Debug)]
    pub enum Rule {}
    /// A reassignment group.
    #[derive(Debug)]
    pub enum Reassignment {}
    /// A task on a lead.
    #[derive(Debug)]
    pub enum Task {}
    /// A webhook endpoint.
    #[derive(Debug)]
    pub enum Webhook {}
    /// A delivery of an event to an endpoint.
    #[derive(Debug)]
    pub enum Delivery {}
}

/// Identifies an organization.
pub type OrgId = Id<kind::Org>;
/// Identifies a team.
pub type TeamId = Id<kind::Team>;
/// Identifies a user.
pub type UserId = Id<kind::User>;
/// Identifies a lead.
pub type LeadId = Id<kind::Lead>;
/// Identifies a source.
pub type SourceId = Id<kind::Source>;
/// Identifies a status.
pub type StatusId = Id<kind::Status>;
/// Identifies a pool.
pub type PoolId = Id<kind::Pool>;
/// Identifies an offer.
pub type OfferId = Id<kind::Offer>;
/// Identifies a distribution group.
pub type GroupId = Id<kind::Group>;
/// Identifies a routing rule.
pub type RuleId = Id<kind::Rule>;
/// Identifies a reassignment group.
pub type ReassignmentId = Id<kind::Reassignment>;
/// Identifies a task.
pub type TaskId = Id<kind::Task>;
/// Identifies a webhook endpoint.
pub type WebhookId = Id<kind::Webhook>;
/// Identifies a delivery.
pub type DeliveryId = Id<kind::Delivery>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_kind() {
        assert_eq!(format!("{:?}", LeadId::new(7)), "Lead#7");
    }

    #[test]
    fn serializes_as_a_bare_integer() {
        assert_eq!(
            serde_json::to_string(&OrgId::new(42)).ok().as_deref(),
            Some("42")
        );
    }
}
