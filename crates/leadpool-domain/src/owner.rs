//! The owner of a lead: exactly one of an agent, a pool, the manual assignment queue or
//! an offer in progress (PRODUCT.md invariant 1). The enum makes "two owners" or "no
//! owner" unrepresentable; the columns it maps to carry a CHECK that says the same.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{OfferId, PoolId, UserId};

/// Who holds a lead right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    /// A personal owner.
    Agent {
        /// The agent.
        user_id: UserId,
    },
    /// A shared pool anyone with access may claim from.
    Pool {
        /// The pool.
        pool_id: PoolId,
    },
    /// The manual assignment queue, worked by admins and ISAs.
    Queue,
    /// Distribution has not finished: the lead is being offered.
    Offer {
        /// The offer.
        offer_id: OfferId,
    },
}

/// How an owner is stored: a kind and at most one reference column filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerColumns {
    /// `agent`, `pool`, `queue` or `offer`.
    pub kind: &'static str,
    /// Set when the kind is `agent`.
    pub user_id: Option<i64>,
    /// Set when the kind is `pool`.
    pub pool_id: Option<i64>,
    /// Set when the kind is `offer`.
    pub offer_id: Option<i64>,
}

/// Stored owner columns that do not describe exactly one owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "stored owner is not exactly one owner: kind {kind:?}, user {user_id:?}, pool {pool_id:?}, offer {offer_id:?}"
)]
pub struct CorruptOwner {
    /// The stored kind.
    pub kind: String,
    /// The stored user column.
    pub user_id: Option<i64>,
    /// The stored pool column.
    pub pool_id: Option<i64>,
    /// The stored offer column.
    pub offer_id: Option<i64>,
}

impl Owner {
    /// The columns this owner is stored as.
    pub fn to_columns(self) -> OwnerColumns {
        let none = OwnerColumns {
            kind: "",
            user_id: None,
            pool_id: None,
            offer_id: None,
        };
        match self {
            Self::Agent { user_id } => OwnerColumns {
                kind: "agent",
                user_id: Some(user_id.get()),
                ..none
            },
            Self::Pool { pool_id } => OwnerColumns {
                kind: "pool",
                pool_id: Some(pool_id.get()),
                ..none
            },
            Self::Queue => OwnerColumns {
                kind: "queue",
                ..none
            },
            Self::Offer { offer_id } => OwnerColumns {
                kind: "offer",
                offer_id: Some(offer_id.get()),
                ..none
            },
        }
    }

    /// Reads stored columns back, refusing any row that is not exactly one owner.
    pub fn from_columns(
        kind: &str,
        user_id: Option<i64>,
        pool_id: Option<i64>,
        offer_id: Option<i64>,
    ) -> Result<Self, CorruptOwner> {
        let owner = match (kind, user_id, pool_id, offer_id) {
            ("agent", Some(u), None, None) => Some(Self::Agent {
                user_id: UserId::new(u),
            }),
            ("pool", None, Some(p), None) => Some(Self::Pool {
                pool_id: PoolId::new(p),
            }),
            ("queue", None, None, None) => Some(Self::Queue),
            ("offer", None, None, Some(o)) => Some(Self::Offer {
                offer_id: OfferId::new(o),
            }),
            _ => None,
        };
        owner.ok_or_else(|| CorruptOwner {
            kind: kind.to_owned(),
            user_id,
            pool_id,
            offer_id,
        })
    }

    /// The personal owner, if an agent holds the lead.
    pub fn agent(self) -> Option<UserId> {
        match self {
            Self::Agent { user_id } => Some(user_id),
            _ => None,
        }
    }

    /// The pool, if the lead sits in one.
    pub fn pool(self) -> Option<PoolId> {
        match self {
            Self::Pool { pool_id } => Some(pool_id),
            _ => None,
        }
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Agent { user_id } => write!(f, "agent {user_id}"),
            Self::Pool { pool_id } => write!(f, "pool {pool_id}"),
            Self::Queue => f.write_str("the assignment queue"),
            Self::Offer { offer_id } => write!(f, "offer {offer_id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn any_owner() -> impl Strategy<Value = Owner> {
        prop_oneof![
            any::<i64>().prop_map(|u| Owner::Agent {
                user_id: UserId::new(u)
            }),
            any::<i64>().prop_map(|p| Owner::Pool {
                pool_id: PoolId::new(p)
            }),
            Just(Owner::Queue),
            any::<i64>().prop_map(|o| Owner::Offer {
                offer_id: OfferId::new(o)
            }),
        ]
    }

    proptest! {
        #[test]
        fn every_owner_is_stored_as_exactly_one_reference(owner in any_owner()) {
            let c = owner.to_columns();
            let filled = [c.user_id, c.pool_id, c.offer_id].iter().filter(|v| v.is_some()).count();
            prop_assert_eq!(filled, usize::from(owner != Owner::Queue));
            prop_assert_eq!(Owner::from_columns(c.kind, c.user_id, c.pool_id, c.offer_id), Ok(owner));
        }

        #[test]
        fn columns_naming_two_owners_or_none_are_refused(
            kind in prop_oneof![Just("agent"), Just("pool"), Just("queue"), Just("offer"), Just("nobody")],
            u in proptest::option::of(1i64..9),
            p in proptest::option::of(1i64..9),
            o in proptest::option::of(1i64..9),
        ) {
            let filled = [u, p, o].iter().filter(|v| v.is_some()).count();
            match Owner::from_columns(kind, u, p, o) {
                // Whatever is accepted is stored back exactly as read: nothing was dropped.
                Ok(owner) => {
                    let c = owner.to_columns();
                    prop_assert_eq!((c.kind, c.user_id, c.pool_id, c.offer_id), (kind, u, p, o));
                }
                Err(_) => prop_assert!(filled != 1 || kind == "queue" || kind == "nobody" || !matches!((kind, u, p, o), ("agent", Some(_), _, _) | ("pool", _, Some(_), _) | ("offer", _, _, Some(_)))),
            }
            if filled > 1 || (kind == "queue" && filled > 0) {
                prop_assert!(Owner::from_columns(kind, u, p, o).is_err());
            }
        }
    }
}
