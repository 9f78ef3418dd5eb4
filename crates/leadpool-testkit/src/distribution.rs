//! Distribution set up straight in the store, for tests of what routing does with it (the
//! settings API has tests of its own).

use leadpool_domain::routing::{Conditions, Fallback, GroupEntry, MemberRef, Plan, Strategy};
use leadpool_domain::{GroupId, ReassignmentId, TeamId, UserId};
use leadpool_store::Tx;
use leadpool_store::routing::RuleSettings;

use crate::{TestApp, TestUser};

/// A plan over `group` with this response window and fallback: one pass, hours respected.
pub fn plan(
    strategy: Strategy,
    group: Option<GroupId>,
    window_secs: Option<u64>,
    fallback: Fallback,
) -> Plan {
    Plan {
        strategy,
        group_id: group,
        window_secs,
        calendar_id: None,
        ignore_hours: false,
        passes: 1,
        fallback,
    }
}

impl TestApp {
    /// A group of these agents in this order, each with weight 1.
    pub async fn group(&self, name: &str, members: &[UserId]) -> GroupId {
        let entries: Vec<GroupEntry> = members
            .iter()
            .map(|u| GroupEntry {
                member: MemberRef::User { user_id: *u },
                weight: 1,
            })
            .collect();
        let mut tx = self.write_tx().await;
        let g = tx
            .insert_group(self.org.id, name, &entries, self.app.now())
            .await
            .expect("insert the group");
        commit(tx).await;
        g.id
    }

    /// An enabled rule, tried after those added before it.
    pub async fn rule(&self, name: &str, conditions: Conditions, plan: Plan) {
        let settings = RuleSettings {
            name: name.into(),
            enabled: true,
            conditions,
            plan,
        };
        let mut tx = self.write_tx().await;
        tx.insert_rule(self.org.id, &settings, self.app.now())
            .await
            .expect("insert the rule");
        commit(tx).await;
    }

    /// A reassignment group available to the whole organization.
    pub async fn reassignment(&self, name: &str, plan: &Plan) -> ReassignmentId {
        let mut tx = self.write_tx().await;
        let rg = tx
            .insert_reassignment(self.org.id, name, plan, &[] as &[TeamId], self.app.now())
            .await
            .expect("insert the reassignment group");
        commit(tx).await;
        rg.id
    }

    /// The agent's open offers as the API lists them: `(offer id, lead id, PIN)`.
    pub async fn offers_of(&self, who: &TestUser) -> Vec<(i64, i64, String)> {
        self.get("/api/v1/offers", &who.token).await.body["offers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|o| {
                (
                    o["offer_id"].as_i64().unwrap_or_default(),
                    o["lead"]["id"].as_i64().unwrap_or_default(),
                    o["pin"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// A write transaction for setting up state straight in the store.
    pub async fn write_tx(&self) -> Tx {
        self.store()
            .write()
            .await
            .expect("open a write transaction")
    }
}

async fn commit(tx: Tx) {
    tx.commit().await.expect("commit");
}
