//! What agents hold now, read from the store in one place for every cap check and for load
//! balancing: claims, assignments, accepts and routing all count an agent's leads here.

use std::collections::HashMap;

use leadpool_domain::pool::{Caps, Load, Taker};
use leadpool_domain::{OrgId, UserId};
use leadpool_store::Tx;
use leadpool_store::users::User;

use crate::AppError;

/// A user's caps: their own where set, else the organization's.
pub(crate) fn caps_of(user: &User, org_caps: Caps) -> Caps {
    Caps::effective(org_caps, user.max_new_leads, user.min_new_leads)
}

/// The taker a user is, with their effective caps and what they hold now.
pub(crate) fn taker(user: &User, org_caps: Caps, load: Load) -> Taker {
    Taker {
        user: user.id,
        team: user.teams.first().copied(),
        caps: caps_of(user, org_caps),
        load,
    }
}

/// What a decision compares of agents' loads, and so what must be counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compared {
    /// The maximum only: claims, assignments and accepts.
    Cap,
    /// The maximum and the minimum: routing to whoever is next or to everyone at once.
    Minimum,
    /// The open leads and the time of the last lead too: load balancing.
    Load,
}

/// The loads of these agents (each with their effective caps), in the caller's transaction;
/// the caller locks the agents' rows first where other transactions may count them too.
/// Counting leads is the dear part, so only what a decision compares is read: new leads
/// only for agents with a maximum (or, when routing, a minimum), and open leads and the last
/// routed time only for load balancing. Every agent asked for gets a load.
pub(crate) async fn read_loads(
    tx: &mut Tx,
    org: OrgId,
    agents: &[(UserId, Caps)],
    compared: Compared,
) -> Result<HashMap<UserId, Load>, AppError> {
    let counted: Vec<UserId> = agents
        .iter()
        .filter(|(_, c)| c.max_new.is_some() || (compared != Compared::Cap && c.min_new > 0))
        .map(|(u, _)| *u)
        .collect();
    let open_new = tx.open_new_counts(org, &counted).await?;
    let stored = if compared == Compared::Load {
        let all: Vec<UserId> = agents.iter().map(|(u, _)| *u).collect();
        tx.loads(org, &all).await?
    } else {
        HashMap::new()
    };
    Ok(agents
        .iter()
        .map(|(u, _)| {
            let s = stored.get(u).copied().unwrap_or_default();
            let load = Load {
                open_new: open_new.get(u).copied().unwrap_or(0),
                open_leads: s.open_leads,
                last_lead_at: s.last_routed_at,
            };
            (*u, load)
        })
        .collect())
}
