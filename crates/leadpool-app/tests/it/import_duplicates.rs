//! Rows that repeat a lead, an earlier row's or a stored one's, by email or phone as the
//! domain normalizes them: never imported twice, skipped or merged.

use leadpool_app::import::{Duplicate, Duplicates, ImportOptions, Repeats};
use leadpool_domain::LeadId;
use leadpool_testkit::{TestApp, app_test};
use serde_json::json;

use crate::import_files::{check, import, leads, source};

/// A lead stored through the intake API before the import; returns its id.
async fn stored(app: &TestApp, lead: serde_json::Value) -> LeadId {
    let (_, key) = app.source("Form").await;
    let a = app.intake(&key, lead).await;
    assert_eq!(a.status.as_u16(), 201, "{}", a.body);
    LeadId::new(a.body["lead"]["id"].as_i64().expect("a lead id"))
}

fn merge() -> ImportOptions {
    ImportOptions {
        duplicates: Duplicates::Merge,
        ..ImportOptions::default()
    }
}

/// Each duplicate as (line, what it repeats, the value they share).
fn listed(d: &[Duplicate]) -> Vec<(u64, Repeats, &str)> {
    d.iter()
        .map(|d| (d.line, d.repeats, d.by.as_str()))
        .collect()
}

/// Line 2 repeats a stored lead by email in another case, line 4 line 3 by phone written
/// another way.
const FILE: &str = "name,email,phone,tags,budget\n\
                    Ana Lima,ANA@example.com,,vip,\n\
                    Bo Diaz,bo@example.com,+1 303 555 0101,,\n\
                    Bo D.,,+1-303-555-0101,buyer,450000\n\
                    Cy Ray,cy@example.com,,,\n";

app_test! {
    async fn rows_repeating_an_earlier_row_or_a_stored_lead_are_skipped_and_listed(app) {
        let ana = stored(&app, json!({ "name": "Ana", "emails": ["ana@example.com"] })).await;
        let website = source(&app, "Website").await;
        let csv = FILE;
        let plan = check(&app, &website, &ImportOptions::default(), csv).await.expect("check the file");
        let expected = vec![(2, Repeats::Lead(ana), "ana@example.com"), (4, Repeats::Line(3), "+13035550101")];
        assert_eq!(listed(&plan.duplicates.first), expected, "{plan:?}");
        assert_eq!(plan.rows, 2);

        let report = import(&app, &website, &ImportOptions::default(), csv).await;
        assert_eq!((report.imported, report.duplicates.count, report.merged_into), (2, 2, 0), "{report:?}");
        assert_eq!(listed(&report.duplicates.first), expected);
        let names: Vec<String> = leads(&app).await.iter().map(|l| l.display_name()).collect();
        assert_eq!(names, ["Ana", "Bo Diaz", "Cy Ray"], "nothing imported twice, the stored lead unchanged");
    }
}

app_test! {
    async fn merged_rows_add_what_the_lead_lacks_to_it_with_a_timeline_entry(app) {
        let ana = stored(&app, json!({ "name": "Ana", "emails": ["ana@example.com"], "tags": ["old"] })).await;
        let website = source(&app, "Website").await;
        // Line 6 repeats line 3 through the email line 3 brought into the stored lead.
        let csv = "name,email,phone,tags,budget\n\
                   Ana Lima,ANA@example.com,,vip,\n\
                   Ana L.,\"ana@example.com;ana@work.example\",+1 303 555 0101,,450000\n\
                   Bo Diaz,bo@example.com,+1 303 555 0202,,\n\
                   Bo D.,,+1 (303) 555-0202,buyer,\n\
                   A. Lima,ana@work.example,,,\n";
        let report = import(&app, &website, &merge(), csv).await;
        assert_eq!(
            listed(&report.duplicates.first),
            [
                (2, Repeats::Lead(ana), "ana@example.com"),
                (3, Repeats::Line(2), "ana@example.com"),
                (5, Repeats::Line(4), "+13035550202"),
                (6, Repeats::Line(3), "ana@work.example"),
            ]
        );
        assert_eq!((report.imported, report.merged_into), (1, 2), "{report:?}");
        let leads = leads(&app).await;
        assert_eq!(leads.len(), 2, "{leads:?}");
        let (a, bo) = (&leads[0], &leads[1]);
        assert_eq!(a.id, ana);
        assert_eq!(a.display_name(), "Ana", "a merge does not rename");
        let emails: Vec<&str> = a.emails.iter().map(|e| e.as_str()).collect();
        assert_eq!(emails, ["ana@example.com", "ana@work.example"]);
        let phones: Vec<&str> = a.phones.iter().map(|p| p.as_str()).collect();
        assert_eq!(phones, ["+13035550101"]);
        let tags: Vec<&str> = a.tags.iter().map(|t| t.as_str()).collect();
        assert_eq!(tags, ["old", "vip"]);
        assert_eq!(a.fields.text("budget").as_deref(), Some("450000"));
        let tags: Vec<&str> = bo.tags.iter().map(|t| t.as_str()).collect();
        assert_eq!(tags, ["buyer"], "the earlier row's lead took the repeat's tag");
        let timeline = app.timeline(ana.get()).await;
        let entry = timeline.last().expect("an entry");
        assert_eq!(entry["reason"], "test list: merged from line 2, 3, 6", "{timeline:?}");

        // Again: every row now repeats a lead, and merging adds nothing more.
        let again = import(&app, &website, &merge(), csv).await;
        assert_eq!((again.imported, again.duplicates.count, again.merged_into), (0, 5, 0), "{again:?}");
        assert_eq!(app.timeline(ana.get()).await.len(), timeline.len(), "no entry for a merge that adds nothing");
    }
}

app_test! {
    async fn repeats_are_found_across_chunks_and_merged_into_the_earlier_rows_lead(app) {
        let website = source(&app, "Website").await;
        // 600 rows: the second chunk's rows 501.. repeat the first chunk's by phone.
        let mut csv = "name,phone,tags\n".to_owned();
        for i in 0..500 {
            csv.push_str(&format!("Lead {i},+1303555{i:04},\n"));
        }
        for i in 0..100 {
            csv.push_str(&format!("Again {i},+1 303 555-{i:04},again\n"));
        }
        let plan = check(&app, &website, &merge(), &csv).await.expect("check the file");
        assert_eq!((plan.rows, plan.duplicates.count), (500, 100));
        assert_eq!(plan.duplicates.first[0].repeats, Repeats::Line(2));
        let report = import(&app, &website, &merge(), &csv).await;
        assert_eq!((report.imported, report.duplicates.count, report.merged_into), (500, 100, 100), "{report:?}");
        let leads = leads(&app).await;
        assert_eq!(leads.len(), 500);
        assert!(leads.iter().take(100).all(|l| l.tags.len() == 1), "the first 100 took the tag");
        assert!(leads.iter().skip(100).all(|l| l.tags.is_empty()));
    }
}
