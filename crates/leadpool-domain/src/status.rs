//! Status categories: the fixed stages every organization's own statuses map onto.

use serde::{Deserialize, Serialize};

/// The stage a status belongs to; caps count leads in `New`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusCategory {
    /// Not yet worked.
    New,
    /// Reached at least once.
    Contacted,
    /// Being worked.
    Working,
    /// Won, lost or dead.
    Closed,
}

impl StatusCategory {
    /// Every category, in pipeline order.
    pub const ALL: [Self; 4] = [Self::New, Self::Contacted, Self::Working, Self::Closed];

    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Contacted => "contacted",
            Self::Working => "working",
            Self::Closed => "closed",
        }
    }

    /// Parses a stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}
