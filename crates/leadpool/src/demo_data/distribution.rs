//! The demo's distribution: agent groups (one by tag), routing rules (one turned off), a
//! reassignment group, and the leads that arrive through the rules once they are in place.

use fastrand::Rng;

use super::catalog::ARRIVALS;
use super::leads::{Taken, arrival};
use super::*;

/// The groups, rules and reassignment group, and the leads that then arrive through them.
pub(super) fn distribution(rng: &mut Rng, taken: &mut Taken) -> DemoDistribution {
    let route = |strategy, group: &str, minutes: u64, fallback| DemoRoute {
        strategy,
        group: group.to_owned(),
        window_secs: minutes * 60,
        fallback,
    };
    let rule = |name: &str, enabled, source: &str, route| DemoRule {
        name: name.to_owned(),
        enabled,
        source: source.to_owned(),
        route,
    };
    DemoDistribution {
        groups: vec![
            DemoGroup {
                name: "Zillow rotation".to_owned(),
                members: [1, 5, 7]
                    .into_iter()
                    .map(|n| DemoMember::Agent(agent_email(n)))
                    .collect(),
            },
            DemoGroup {
                name: "Buyer specialists".to_owned(),
                members: vec![DemoMember::Tag("buyers".to_owned())],
            },
            DemoGroup {
                name: "Listing specialists".to_owned(),
                members: vec![DemoMember::Tag("listings".to_owned())],
            },
        ],
        rules: vec![
            rule(
                "Zillow → round robin",
                true,
                "Zillow",
                route(
                    Strategy::RoundRobin,
                    "Zillow rotation",
                    15,
                    DemoFallback::DefaultPool,
                ),
            ),
            rule(
                "Website → broadcast",
                true,
                "Website",
                route(
                    Strategy::Broadcast,
                    "Buyer specialists",
                    5,
                    DemoFallback::Queue,
                ),
            ),
            rule(
                "Open House → listing specialists",
                false,
                "Open House",
                route(
                    Strategy::LoadBalanced,
                    "Listing specialists",
                    15,
                    DemoFallback::DefaultPool,
                ),
            ),
        ],
        reassignment: DemoReassignment {
            name: "Second look".to_owned(),
            route: route(
                Strategy::RoundRobin,
                "Buyer specialists",
                60,
                DemoFallback::Agent(agent_email(2)),
            ),
        },
        arrivals: ARRIVALS
            .iter()
            .map(|(source, reassign)| arrival(rng, taken, source, *reassign))
            .collect(),
    }
}
