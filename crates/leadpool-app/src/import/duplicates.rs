//! Rows that repeat a lead: a row holding an email or phone (as the domain normalizes
//! them: emails lower-cased, phones as dialled digits) that an earlier row of the file
//! holds, or that a lead stored before the import holds. Such a row is never stored as a
//! second lead: it is left out, or merged into the lead it repeats ([`Duplicates`]).
//!
//! A row is matched against earlier rows before stored leads, so both readings of a file
//! (the check, and the write that stores earlier rows as it goes) decide alike: every value
//! an earlier row brought, also into a merged lead, is in [`Seen`].

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use leadpool_domain::LeadId;
use leadpool_domain::lead::LeadDraft;

/// What an import does with a row that repeats a lead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Duplicates {
    /// Leave the row out and list it. The default: nothing already stored changes, and the
    /// list says which rows to look at (a merge edits leads agents may be working, which an
    /// import should do only when asked).
    #[default]
    Skip,
    /// Add the row's emails, phones, tags and custom fields that the lead it repeats lacks
    /// to that lead (see `Lead::absorb`), with a timeline entry; nothing else of the row
    /// (name, status, owner, external id) is used.
    Merge,
}

/// What a duplicate row repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeats {
    /// The row on this earlier line of the file.
    Line(u64),
    /// This lead, stored before the import.
    Lead(LeadId),
}

/// A row that repeats a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The row's line.
    pub line: u64,
    /// What it repeats.
    pub repeats: Repeats,
    /// The email or phone they share.
    pub by: String,
}

/// A row's emails and phones, as the domain normalized them.
pub(super) fn contacts(draft: &LeadDraft) -> Vec<&str> {
    draft
        .emails
        .iter()
        .map(|e| e.as_str())
        .chain(draft.phones.iter().map(|p| p.as_str()))
        .collect()
}

/// A value's 128-bit hash, which stands in for it in [`Seen`]. Two of a file's `n` values
/// share one with a chance of about n²/2¹²⁹: none, for any file there is.
fn hash(value: &str) -> [u64; 2] {
    let half = |salt: u8| {
        let mut h = DefaultHasher::new();
        (salt, value).hash(&mut h);
        h.finish()
    };
    [half(0), half(1)]
}

/// The emails and phones of the rows read so far: each one's first line and, while
/// writing, the lead that line went into. The one part of an import that grows with the
/// file: 40 bytes per distinct email or phone (a 128-bit hash instead of the text, the
/// line, the lead), 45 to 90 with the table's spare room, more for a moment while it
/// doubles. Measured with `leadpool import` (debug build, SQLite): 100,000 rows of an email
/// and a phone each peak at 57 MB resident, 400,000 rows at 120 MB, about 105 bytes per
/// further value; a million such rows would want some 250 MB.
#[derive(Debug, Default)]
pub(super) struct Seen(HashMap<[u64; 2], (u64, Option<LeadId>)>);

impl Seen {
    /// Of `values`, the one seen on the earliest line before, with that line.
    pub(super) fn earliest<'a>(&self, values: &[&'a str]) -> Option<(u64, &'a str)> {
        values
            .iter()
            .filter_map(|v| self.0.get(&hash(v)).map(|(line, _)| (*line, *v)))
            .min_by_key(|(line, _)| *line)
    }

    /// Notes the values not seen before as first held on `line`.
    pub(super) fn note(&mut self, values: &[&str], line: u64) {
        for v in values {
            self.0.entry(hash(v)).or_insert((line, None));
        }
    }

    /// Notes that the row on `line` went into `lead`: the values it held first lead there.
    pub(super) fn settle(&mut self, values: &[&str], line: u64, lead: LeadId) {
        for v in values {
            if let Some(entry) = self.0.get_mut(&hash(v))
                && entry.0 == line
            {
                entry.1 = Some(lead);
            }
        }
    }

    /// The lead that the row first holding `value` went into, once written.
    pub(super) fn lead_of(&self, value: &str) -> Option<LeadId> {
        self.0.get(&hash(value)).and_then(|(_, lead)| *lead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_found_on_the_first_line_that_held_it_and_leads_where_that_row_went() {
        let mut seen = Seen::default();
        seen.note(&["a@x.com", "+1303"], 2);
        seen.note(&["b@x.com", "+1303"], 3);
        assert_eq!(
            seen.earliest(&["c@x.com", "+1303", "b@x.com"]),
            Some((2, "+1303"))
        );
        assert_eq!(seen.earliest(&["c@x.com"]), None);
        seen.settle(&["b@x.com", "+1303"], 3, LeadId::new(9));
        assert_eq!(seen.lead_of("b@x.com"), Some(LeadId::new(9)));
        assert_eq!(
            seen.lead_of("+1303"),
            None,
            "line 2 brought it, and has no lead yet"
        );
    }

    #[test]
    fn a_seen_entry_costs_forty_bytes_before_the_tables_spare_room() {
        assert_eq!(
            size_of::<([u64; 2], (u64, Option<LeadId>))>(),
            40,
            "the cost the doc comment of Seen states"
        );
    }
}
