//! Writing every lead of an organization as CSV, in the columns an import reads plus
//! descriptive ones.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use leadpool_domain::{Owner, Visibility};
use leadpool_store::leads::{After, LeadFilter, LeadSort};
use leadpool_store::orgs::Organization;
use leadpool_store::users::UserFilter;

use crate::{App, AppError};

use super::columns::field_header;
use super::source_names;

impl App {
    /// Writes every lead of the organization as CSV (the columns `prepare_import` reads,
    /// plus descriptive ones); returns how many. `progress` gets the running count.
    #[tracing::instrument(name = "export_leads", skip_all, fields(org = %org.id), err(level = "debug"))]
    pub async fn export_leads(
        &self,
        org: &Organization,
        out: impl Write,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64, AppError> {
        let mut tx = self.store().read().await?;
        let sources = source_names(&mut tx, org).await?;
        let users: HashMap<_, String> = tx
            .users(org.id, &UserFilter::default())
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect();
        let pools: HashMap<_, String> = tx
            .pools(org.id)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let mut all = Vec::new();
        let mut after: Option<After> = None;
        loop {
            let page = tx
                .leads(
                    org.id,
                    &Visibility::Organization,
                    &LeadFilter::default(),
                    LeadSort::CreatedAsc,
                    after.as_ref(),
                    1000,
                )
                .await?;
            let Some(last) = page.last() else { break };
            after = Some(After::from_lead(last, LeadSort::CreatedAsc));
            all.extend(page);
        }
        tx.commit().await?;
        let field_names: BTreeSet<String> = all
            .iter()
            .flat_map(|l| l.fields.as_map().keys().cloned())
            .collect();
        let field_headers: Vec<String> = field_names.iter().map(|k| field_header(k)).collect();
        let io = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
        let mut w = csv::Writer::from_writer(out);
        let mut header = vec![
            "id",
            "name",
            "emails",
            "phones",
            "status",
            "source",
            "owner",
            "owner_email",
            "team_id",
            "tags",
            "external_id",
            "created_at",
            "updated_at",
        ];
        header.extend(field_headers.iter().map(String::as_str));
        w.write_record(&header).map_err(io)?;
        for (i, l) in all.iter().enumerate() {
            let join = |v: Vec<&str>| v.join(";");
            let (owner, owner_email) = match l.owner {
                Owner::Agent { user_id } => (
                    "agent".to_owned(),
                    users.get(&user_id).cloned().unwrap_or_default(),
                ),
                Owner::Pool { pool_id } => (
                    format!("pool:{}", pools.get(&pool_id).cloned().unwrap_or_default()),
                    String::new(),
                ),
                Owner::Queue => ("queue".to_owned(), String::new()),
                Owner::Offer { offer_id } => (format!("offer:{offer_id}"), String::new()),
            };
            let mut rec = vec![
                l.id.to_string(),
                l.name
                    .as_ref()
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_default(),
                join(l.emails.iter().map(|e| e.as_str()).collect()),
                join(l.phones.iter().map(|p| p.as_str()).collect()),
                l.status.name.clone(),
                sources.get(&l.source_id).cloned().unwrap_or_default(),
                owner,
                owner_email,
                l.team_id.map(|t| t.to_string()).unwrap_or_default(),
                join(l.tags.iter().map(|t| t.as_str()).collect()),
                l.external_id.clone().unwrap_or_default(),
                l.created_at.to_string(),
                l.updated_at.to_string(),
            ];
            rec.extend(
                field_names
                    .iter()
                    .map(|k| l.fields.text(k).unwrap_or_default()),
            );
            w.write_record(&rec).map_err(io)?;
            progress(u64::try_from(i).unwrap_or(0) + 1);
        }
        w.flush()
            .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
        Ok(u64::try_from(all.len()).unwrap_or(0))
    }
}
