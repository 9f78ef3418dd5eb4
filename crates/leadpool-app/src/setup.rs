//! An organization's routing setup (rules, groups, caps, default status, calendars), read
//! once and kept while it is current. Every change to those tables moves the organization's
//! `config_version` on in the same transaction (database triggers), so a copy is used only
//! after reading that version in the caller's own transaction: as current as reading the
//! setup itself, for one small statement, on every instance sharing the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use leadpool_domain::calendar::Calendar;
use leadpool_domain::pool::Caps;
use leadpool_domain::routing::{GroupEntry, Rule};
use leadpool_domain::timer::StatusExpiry;
use leadpool_domain::{GroupId, OrgId};
use leadpool_store::calendars::StoredCalendar;
use leadpool_store::statuses::Status;
use leadpool_store::{StoreError, Tx};

use crate::calendars::calendar_in_force;
use crate::{App, AppError};

/// One organization's routing setup as of one version.
#[derive(Debug, Clone)]
pub(crate) struct Setup {
    version: i64,
    /// The rules, in the order they are tried.
    pub(crate) rules: Vec<Rule>,
    /// Every group's entries.
    pub(crate) groups: HashMap<GroupId, Vec<GroupEntry>>,
    /// The organization's caps.
    pub(crate) caps: Caps,
    /// The status new leads get, with its expiry rule.
    pub(crate) default_status: Option<(Status, Option<StatusExpiry>)>,
    calendars: Vec<StoredCalendar>,
}

impl Setup {
    /// This setup with other rules, for a dry run of rules not saved: never held, so it
    /// cannot stand in for the stored setup of its version.
    pub(crate) fn with_rules(&self, rules: Vec<Rule>) -> Self {
        Self {
            rules,
            ..self.clone()
        }
    }

    /// The calendar a plan counts hours in: its own, or the default when it names none or
    /// one since deleted; `None` when the organization has no calendar.
    pub(crate) fn calendar(&self, id: Option<i64>) -> Result<Option<Calendar>, AppError> {
        calendar_in_force(id, &self.calendars)
            .map(StoredCalendar::to_calendar)
            .transpose()
            .map_err(AppError::from)
    }
}

/// The setups this process holds, by organization.
pub(crate) type Setups = Mutex<HashMap<OrgId, Arc<Setup>>>;

impl App {
    /// The organization's routing setup as the transaction sees it.
    pub(crate) async fn setup(&self, tx: &mut Tx, org: OrgId) -> Result<Arc<Setup>, AppError> {
        let version = tx.config_version(org).await?;
        let held = self
            .inner
            .setups
            .lock()
            .ok()
            .and_then(|s| s.get(&org).cloned());
        if let Some(s) = held.filter(|s| s.version == version) {
            return Ok(s);
        }
        let default_status = match tx.default_status(org).await {
            Ok(s) => {
                let expiry = tx.status_expiry(org, s.id).await?;
                Some((s, expiry))
            }
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let setup = Arc::new(Setup {
            version,
            rules: tx.rules(org).await?,
            groups: tx
                .groups(org)
                .await?
                .into_iter()
                .map(|g| (g.id, g.entries))
                .collect(),
            caps: tx.org_pool_settings(org).await?.caps,
            default_status,
            calendars: tx.calendars(org).await?,
        });
        if let Ok(mut held) = self.inner.setups.lock() {
            held.insert(org, Arc::clone(&setup));
        }
        Ok(setup)
    }
}
