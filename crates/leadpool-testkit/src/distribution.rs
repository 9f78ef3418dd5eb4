//! Distribution set up straight in the store, for tests of what routing does with it (the
//! settings API has tests of its own).

use leadpool_domain::routing::{Conditions, Fallback, GroupEntry, MemberRef, Plan, Strategy};
use leadpool_domain::{GroupId, ReassignmentId, TeamId, UserId};
use leadpool_store::routing::RuleSettings;

use crate::TestApp;

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
        let mut tx = self
            .app
            .store()
            .write()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let g = tx
            .insert_group(self.org.id, name, &entries, self.app.now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
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
        let mut tx = self
            .app
            .store()
            .write()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tx.insert_rule(self.org.id, &settings, self.app.now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
    }

    /// A reassignment group available to the whole organization.
    pub async fn reassignment(&self, name: &str, plan: &Plan) -> ReassignmentId {
        let mut tx = self
            .app
            .store()
            .write()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let rg = tx
            .insert_reassignment(self.org.id, name, plan, &[] as &[TeamId], self.app.now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("{e}"));
        rg.id
    }
}
