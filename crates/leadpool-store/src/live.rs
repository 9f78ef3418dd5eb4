//! The outbox read in commit order for live streams: every organization's events after a
//! position, each with its addressee, and where the outbox ends now.

use leadpool_domain::{OrgId, UserId};

use crate::offers::{AgentEvent, EventRow};
use crate::{Sql, StoreError, Tx};

/// An outbox event with the one person it is addressed to.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressedEvent {
    /// The addressee's organization.
    pub org: OrgId,
    /// The addressee.
    pub user: UserId,
    /// The event as the addressee reads it.
    pub event: AgentEvent,
}

#[derive(sqlx::FromRow)]
struct AddressedRow {
    org_id: i64,
    user_id: i64,
    #[sqlx(flatten)]
    event: EventRow,
}

impl Tx {
    /// Every organization's events after the one with id `after`, oldest first.
    pub async fn outbox_after(
        &mut self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<AddressedEvent>, StoreError> {
        let q = Sql::new(
            "SELECT id, org_id, user_id, lead_id, kind, payload, created_at FROM outbox \
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(i64::from(limit));
        self.fetch_all::<AddressedRow>(&q)
            .await?
            .into_iter()
            .map(|r| {
                Ok(AddressedEvent {
                    org: OrgId::new(r.org_id),
                    user: UserId::new(r.user_id),
                    event: r.event.try_into()?,
                })
            })
            .collect()
    }

    /// The id of the newest outbox event; 0 when there is none.
    pub async fn last_event_id(&mut self) -> Result<i64, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Last {
            id: i64,
        }
        let q = Sql::new("SELECT COALESCE(MAX(id), 0) AS id FROM outbox");
        Ok(self.fetch_one::<Last>(&q).await?.id)
    }
}
