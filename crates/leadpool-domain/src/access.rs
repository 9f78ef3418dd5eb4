//! Roles, team scope and what a user may see (PRODUCT.md invariant 6).
//!
//! A lead belongs to at most one team (`Lead::team_id`); an admin, ISA or all-leads agent
//! scoped to a team sees the leads of that team's subtree, one scoped to the organization
//! sees them all, and an agent sees only the leads they own.

use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, PoolId, TeamId, UserId};
use crate::owner::Owner;

/// What a user is allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything within their scope.
    Admin,
    /// Inside sales: sees and reassigns leads in scope.
    Isa,
    /// Sees only their own leads (and pools they may see).
    Agent,
    /// Sees every lead in scope, works their own.
    AllLeadsAgent,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 4] = [Self::Admin, Self::Isa, Self::Agent, Self::AllLeadsAgent];

    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Isa => "isa",
            Self::Agent => "agent",
            Self::AllLeadsAgent => "all_leads_agent",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role works leads of its own (and so may own leads).
    pub const fn is_agent(self) -> bool {
        matches!(self, Self::Agent | Self::AllLeadsAgent)
    }
}

/// The part of an organization a user's rights reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole organization.
    Organization,
    /// These teams: a subtree, already expanded to every team in it.
    Teams(Vec<TeamId>),
}

impl Scope {
    /// Whether a team lies within this scope (`None` is the organization level).
    pub fn covers(&self, team: Option<TeamId>) -> bool {
        match (self, team) {
            (Self::Organization, _) => true,
            (Self::Teams(ts), Some(t)) => ts.contains(&t),
            (Self::Teams(_), None) => false,
        }
    }
}

/// Every team in the subtree rooted at `root` (itself included), given each team's parent.
pub fn subtree(teams: &[(TeamId, Option<TeamId>)], root: TeamId) -> Vec<TeamId> {
    let mut out = vec![root];
    let mut i = 0;
    while let Some(&t) = out.get(i) {
        for &(child, parent) in teams {
            if parent == Some(t) && !out.contains(&child) {
                out.push(child);
            }
        }
        i += 1;
    }
    out
}

/// Whether putting `team` under `new_parent` would make the hierarchy a cycle.
pub fn would_cycle(
    teams: &[(TeamId, Option<TeamId>)],
    team: TeamId,
    new_parent: Option<TeamId>,
) -> bool {
    new_parent.is_some_and(|p| subtree(teams, team).contains(&p))
}

/// Which leads a viewer's lists and reads are limited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Every lead of the organization.
    Organization,
    /// Leads whose team is one of these, and leads in these pools.
    Teams {
        /// The teams in scope.
        teams: Vec<TeamId>,
        /// The pools the viewer may see.
        pools: Vec<PoolId>,
    },
    /// Leads this agent owns, and leads in these pools.
    Own {
        /// The agent.
        user: UserId,
        /// The pools they may see.
        pools: Vec<PoolId>,
    },
}

impl Visibility {
    /// The pools whose leads are visible beyond the viewer's own or team leads (`None`: all).
    pub fn pools(&self) -> Option<&[PoolId]> {
        match self {
            Self::Organization => None,
            Self::Teams { pools, .. } | Self::Own { pools, .. } => Some(pools),
        }
    }
}

/// A signed-in user, as the rules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// Their organization; nothing outside it is ever visible.
    pub org: OrgId,
    /// Who they are.
    pub user: UserId,
    /// What they may do.
    pub role: Role,
    /// Where they may do it.
    pub scope: Scope,
    /// The pools whose leads they may see and claim.
    pub pools: Vec<PoolId>,
    /// Those of their pools that hide phone and email until a lead is claimed.
    pub blind_pools: Vec<PoolId>,
}

impl Viewer {
    /// The leads this viewer may list and read.
    pub fn lead_visibility(&self) -> Visibility {
        match (self.role, &self.scope) {
            (Role::Agent, _) => Visibility::Own {
                user: self.user,
                pools: self.pools.clone(),
            },
            (_, Scope::Organization) => Visibility::Organization,
            (_, Scope::Teams(ts)) => Visibility::Teams {
                teams: ts.clone(),
                pools: self.pools.clone(),
            },
        }
    }

    /// Whether this viewer sees a lead held by `owner` without its phone and email (a lead in
    /// a blind pool, to anyone but admins and ISAs).
    pub fn contact_hidden(&self, owner: Owner) -> bool {
        !matches!(self.role, Role::Admin | Role::Isa)
            && owner.pool().is_some_and(|p| self.blind_pools.contains(&p))
    }

    /// Whether this viewer may read a lead of `org`, in `team`, held by `owner`.
    pub fn can_see_lead(&self, org: OrgId, team: Option<TeamId>, owner: Owner) -> bool {
        org == self.org
            && match self.lead_visibility() {
                Visibility::Organization => true,
                Visibility::Teams { teams, pools } => {
                    team.is_some_and(|t| teams.contains(&t))
                        || owner.pool().is_some_and(|p| pools.contains(&p))
                }
                Visibility::Own { user, pools } => {
                    owner.agent() == Some(user) || owner.pool().is_some_and(|p| pools.contains(&p))
                }
            }
    }

    /// Whether this viewer may change a lead's fields and status.
    pub fn can_edit_lead(&self, org: OrgId, team: Option<TeamId>, owner: Owner) -> bool {
        match self.role {
            Role::Admin | Role::Isa => self.can_see_lead(org, team, owner),
            Role::Agent | Role::AllLeadsAgent => {
                org == self.org && owner.agent() == Some(self.user)
            }
        }
    }

    /// Whether this viewer administers `team` (`None`: the organization level).
    pub fn administers(&self, team: Option<TeamId>) -> bool {
        self.role == Role::Admin && self.scope.covers(team)
    }

    /// Whether this viewer administers the whole organization (sources, statuses, …).
    pub fn administers_organization(&self) -> bool {
        self.role == Role::Admin && self.scope == Scope::Organization
    }
}

/// Something only some users may do. [`Viewer::may`] is the one check every use case asks,
/// and the one place the refusal is worded; each variant names what is being done, as the
/// refusal says it ("change calendars", "assign leads").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission<'a> {
    /// Change a setting that belongs to the whole organization: admins scoped to it.
    OrgSetting(&'static str),
    /// Something any admin may do, whatever their scope.
    Admin(&'static str),
    /// Work leads and read settings as staff: admins and ISAs.
    Staff(&'static str),
    /// Work a lead (change it, log a contact with it): its agent, or admins and ISAs who may
    /// see it.
    WorkLead {
        /// What is done to it.
        what: &'static str,
        /// The lead's organization.
        org: OrgId,
        /// The lead's team.
        team: Option<TeamId>,
        /// Who holds it.
        owner: Owner,
    },
    /// Give tasks to a user or list theirs: anyone their own; admins and ISAs those of users
    /// whose first team (`None`: the organization level) is in their scope.
    UserTasks {
        /// What is done ("give tasks to other users").
        what: &'static str,
        /// Whether the user is the viewer.
        own: bool,
        /// The user's first team.
        team: Option<TeamId>,
    },
    /// Change something available to these teams (none: the whole organization): admins of
    /// the organization, or team admins whose scope covers every one of the teams named.
    Teams {
        /// What is changed.
        what: &'static str,
        /// The teams it is available to.
        teams: &'a [TeamId],
    },
    /// Add or change a user with this role, scope and teams, or act for them (issue their
    /// API tokens, pause them): admins of the organization, or team admins whose scope
    /// covers the user's teams (at least one) and, for a role the scope bounds, the scope.
    /// Acting for a user is holding their rights, so it asks what placing them asks.
    PlaceUser {
        /// What is done ("add users", "change users", "pause other users").
        what: &'static str,
        /// The user's role.
        role: Role,
        /// The user's scope (`None`: the whole organization).
        scope: Option<TeamId>,
        /// The teams the user is in.
        teams: &'a [TeamId],
    },
}

/// Why a viewer may not do something: the sentence the refusal shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

impl Viewer {
    /// Whether this viewer may do `p`; the refusal says who may.
    pub fn may(&self, p: Permission<'_>) -> Result<(), Denied> {
        let staff = matches!(self.role, Role::Admin | Role::Isa);
        let (allowed, refusal) = match p {
            Permission::OrgSetting(what) => (
                self.administers_organization(),
                if self.role == Role::Admin {
                    format!(
                        "{what} are organization-level settings; only an admin of the whole \
                         organization may change them"
                    )
                } else {
                    format!("only an admin of the whole organization may change {what}")
                },
            ),
            Permission::Admin(what) => {
                (self.role == Role::Admin, format!("only admins may {what}"))
            }
            Permission::Staff(what) => (staff, format!("only admins and ISAs may {what}")),
            Permission::WorkLead {
                what,
                org,
                team,
                owner,
            } => (
                self.can_edit_lead(org, team, owner),
                format!("only the lead's agent, or an admin or ISA who sees it, may {what}"),
            ),
            Permission::UserTasks { what, own, team } => (
                own || (staff && self.scope.covers(team)),
                format!("only admins and ISAs may {what}, and only for users in their scope"),
            ),
            Permission::Teams { what, teams } => {
                let team_admin = self.role == Role::Admin
                    && !teams.is_empty()
                    && teams.iter().all(|t| self.scope.covers(Some(*t)));
                (
                    self.administers_organization() || team_admin,
                    if self.role == Role::Admin {
                        format!(
                            "a team admin may only change {what} available to teams inside their \
                             scope (name at least one team, all inside it)"
                        )
                    } else {
                        format!("only admins may change {what}")
                    },
                )
            }
            Permission::PlaceUser {
                what,
                role,
                scope,
                teams,
            } => {
                // A plain agent's scope bounds nothing (they see their own leads and their
                // pools), so an empty one grants nothing a team admin could not grant.
                let scope_ok = role == Role::Agent || self.administers(scope);
                let outside = teams.iter().find(|t| !self.administers(Some(**t)));
                // A user in no team belongs to the organization level, which only its admins
                // hold.
                let placed = !teams.is_empty() || self.administers_organization();
                (
                    self.role == Role::Admin && scope_ok && outside.is_none() && placed,
                    match outside {
                        _ if self.role != Role::Admin => format!("only admins may {what}"),
                        Some(t) => {
                            format!(
                                "you may only {what} in your teams; team {t} is outside your scope"
                            )
                        }
                        None if !placed => {
                            format!("you may only {what} in your teams, and this user is in none")
                        }
                        None => format!("you may only {what} with a scope inside your own"),
                    },
                )
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(Denied(refusal))
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ids::PoolId;

    fn viewer(role: Role, scope: Scope) -> Viewer {
        Viewer {
            org: OrgId::new(1),
            user: UserId::new(10),
            role,
            scope,
            pools: vec![PoolId::new(1)],
            blind_pools: Vec::new(),
        }
    }

    #[test]
    fn a_team_admin_places_agents_of_their_teams_whatever_the_agents_empty_scope() {
        let east = TeamId::new(1);
        let west = TeamId::new(2);
        let admin = viewer(Role::Admin, Scope::Teams(vec![east]));
        let (east_only, west_only) = ([east], [west]);
        let place = |role, scope, teams| Permission::PlaceUser {
            what: "change users",
            role,
            scope,
            teams,
        };
        assert!(admin.may(place(Role::Agent, None, &east_only)).is_ok());
        assert!(admin.may(place(Role::Agent, None, &west_only)).is_err());
        assert!(
            admin
                .may(place(Role::AllLeadsAgent, None, &east_only))
                .is_err()
        );
        assert!(admin.may(place(Role::Isa, Some(east), &east_only)).is_ok());
        assert!(admin.may(place(Role::Admin, None, &east_only)).is_err());
        let nowhere = admin.may(place(Role::Agent, None, &[]));
        assert!(
            nowhere.is_err_and(|Denied(why)| why.contains("is in none")),
            "a user in no team is the organization's"
        );
        let org_admin = viewer(Role::Admin, Scope::Organization);
        assert!(org_admin.may(place(Role::Admin, None, &[])).is_ok());
        let isa = viewer(Role::Isa, Scope::Organization);
        assert!(isa.may(place(Role::Agent, None, &[])).is_err());
    }

    #[test]
    fn an_agent_sees_their_own_leads_and_their_pools_leads() {
        let v = viewer(Role::Agent, Scope::Organization);
        let mine = Owner::Agent {
            user_id: UserId::new(10),
        };
        let theirs = Owner::Agent {
            user_id: UserId::new(11),
        };
        assert!(v.can_see_lead(OrgId::new(1), None, mine));
        assert!(!v.can_see_lead(OrgId::new(1), None, theirs));
        assert!(v.can_see_lead(
            OrgId::new(1),
            None,
            Owner::Pool {
                pool_id: PoolId::new(1)
            }
        ));
        assert!(!v.can_see_lead(
            OrgId::new(1),
            None,
            Owner::Pool {
                pool_id: PoolId::new(2)
            }
        ));
    }

    #[test]
    fn blind_pools_hide_contacts_from_agents_only() {
        let mut agent = viewer(Role::Agent, Scope::Organization);
        agent.blind_pools = vec![PoolId::new(1)];
        let pooled = Owner::Pool {
            pool_id: PoolId::new(1),
        };
        assert!(agent.contact_hidden(pooled));
        assert!(!agent.contact_hidden(Owner::Agent {
            user_id: UserId::new(10)
        }));
        let mut admin = viewer(Role::Admin, Scope::Organization);
        admin.blind_pools = vec![PoolId::new(1)];
        assert!(!admin.contact_hidden(pooled));
    }

    #[test]
    fn a_team_admin_sees_their_subtree_only() {
        let v = viewer(
            Role::Admin,
            Scope::Teams(vec![TeamId::new(2), TeamId::new(3)]),
        );
        assert!(v.can_see_lead(OrgId::new(1), Some(TeamId::new(3)), Owner::Queue));
        assert!(!v.can_see_lead(OrgId::new(1), Some(TeamId::new(4)), Owner::Queue));
        assert!(!v.can_see_lead(OrgId::new(1), None, Owner::Queue));
        assert!(!v.administers_organization());
    }

    #[test]
    fn a_subtree_holds_every_descendant_and_nothing_else() {
        let t = TeamId::new;
        let teams = [
            (t(1), None),
            (t(2), Some(t(1))),
            (t(3), Some(t(2))),
            (t(4), None),
        ];
        assert_eq!(subtree(&teams, t(1)), vec![t(1), t(2), t(3)]);
        assert_eq!(subtree(&teams, t(4)), vec![t(4)]);
        assert!(would_cycle(&teams, t(1), Some(t(3))));
        assert!(would_cycle(&teams, t(2), Some(t(2))));
        assert!(!would_cycle(&teams, t(3), Some(t(4))));
    }

    fn any_role() -> impl Strategy<Value = Role> {
        prop_oneof![
            Just(Role::Admin),
            Just(Role::Isa),
            Just(Role::Agent),
            Just(Role::AllLeadsAgent)
        ]
    }

    fn any_scope() -> impl Strategy<Value = Scope> {
        prop_oneof![
            Just(Scope::Organization),
            proptest::collection::vec((1i64..6).prop_map(TeamId::new), 1..4).prop_map(Scope::Teams),
        ]
    }

    proptest! {
        #[test]
        fn permissions_follow_role_and_scope_and_every_refusal_names_the_act(
            role in any_role(),
            scope in any_scope(),
            teams in proptest::collection::vec((1i64..6).prop_map(TeamId::new), 0..3),
        ) {
            let v = viewer(role, scope.clone());
            let org_admin = role == Role::Admin && scope == Scope::Organization;
            let someone_elses = Owner::Agent { user_id: UserId::new(11) };
            let checks = [
                (
                    Permission::WorkLead { what: "log a contact", org: OrgId::new(1), team: None, owner: someone_elses },
                    matches!(role, Role::Admin | Role::Isa) && scope == Scope::Organization,
                ),
                (Permission::OrgSetting("calendars"), org_admin),
                (Permission::Admin("cancel an offer"), role == Role::Admin),
                (Permission::Staff("assign leads"), matches!(role, Role::Admin | Role::Isa)),
                (
                    Permission::UserTasks { what: "give tasks to other users", own: false, team: teams.first().copied() },
                    matches!(role, Role::Admin | Role::Isa) && scope.covers(teams.first().copied()),
                ),
                (
                    Permission::PlaceUser { what: "change users", role: Role::Agent, scope: None, teams: &teams },
                    org_admin
                        || (role == Role::Admin
                            && !teams.is_empty()
                            && teams.iter().all(|t| scope.covers(Some(*t)))),
                ),
                (
                    Permission::Teams { what: "reassignment groups", teams: &teams },
                    org_admin
                        || (role == Role::Admin
                            && !teams.is_empty()
                            && teams.iter().all(|t| scope.covers(Some(*t)))),
                ),
            ];
            for (p, expected) in checks {
                let answer = v.may(p);
                prop_assert_eq!(answer.is_ok(), expected, "{:?} as {:?} in {:?}", p, role, scope);
                if let Err(Denied(why)) = answer {
                    let what = match p {
                        Permission::OrgSetting(w) | Permission::Admin(w) | Permission::Staff(w) => w,
                        Permission::Teams { what, .. }
                        | Permission::WorkLead { what, .. }
                        | Permission::UserTasks { what, .. }
                        | Permission::PlaceUser { what, .. } => what,
                    };
                    prop_assert!(why.contains(what), "{why}");
                }
            }
            // Rights nest: whoever may change organization settings may do everything else,
            // and an agent may do none of it (not even work another agent's lead).
            if org_admin {
                prop_assert!(checks.iter().all(|(p, _)| v.may(*p).is_ok()));
            }
            if role.is_agent() {
                prop_assert!(checks.iter().all(|(p, _)| v.may(*p).is_err()));
            }
            // Their own lead, an agent may work.
            let mine = Owner::Agent { user_id: v.user };
            let own = Permission::WorkLead { what: "log a contact", org: v.org, team: None, owner: mine };
            prop_assert_eq!(v.may(own).is_ok(), role.is_agent() || org_admin || role == Role::Isa && scope == Scope::Organization);
        }

        #[test]
        fn nobody_sees_another_organization(
            role in prop_oneof![Just(Role::Admin), Just(Role::Isa), Just(Role::Agent), Just(Role::AllLeadsAgent)],
            other_org in 2i64..100,
            team in proptest::option::of(1i64..5),
        ) {
            let v = viewer(role, Scope::Organization);
            let owner = Owner::Agent { user_id: UserId::new(10) };
            prop_assert!(!v.can_see_lead(OrgId::new(other_org), team.map(TeamId::new), owner));
            prop_assert!(!v.can_edit_lead(OrgId::new(other_org), team.map(TeamId::new), owner));
        }
    }
}
