//! Importing files larger than one chunk: the check reads the whole file before anything
//! is written, and the write keeps all of the file or none of it.

use std::sync::Mutex;

use leadpool_app::AppError;
use leadpool_app::import::{ImportOptions, ImportReport, RowProblems, Unowned};
use leadpool_domain::SourceId;
use leadpool_store::sources::Source;
use leadpool_testkit::{TestApp, app_test};

/// More rows than two chunks (500 each), so the write goes through three.
const ROWS: usize = 1_203;

/// A file of `ROWS` good rows with external ids `x-0`…; `bad` replaces the rows at those
/// 0-based indexes (on line index + 2) with one whose email is not an email.
fn file(bad: &[usize]) -> String {
    let mut csv = "name,email,external_id\n".to_owned();
    for i in 0..ROWS {
        let email = if bad.contains(&i) {
            "not-an-email".to_owned()
        } else {
            format!("lead{i}@example.com")
        };
        csv.push_str(&format!("Lead {i},{email},x-{i}\n"));
    }
    csv
}

/// The line a row at a 0-based index is on, below the header.
fn line(index: usize) -> u64 {
    u64::try_from(index).expect("a line number") + 2
}

async fn website(app: &TestApp) -> Source {
    crate::import_files::source(app, "Website").await
}

/// The external ids of the `ROWS` rows that are stored for `source`, sorted, and how many
/// leads the organization has in all.
async fn stored(app: &TestApp, source: &Source) -> (Vec<String>, i64) {
    let ids: Vec<String> = (0..ROWS).map(|i| format!("x-{i}")).collect();
    let keys: Vec<(SourceId, &str)> = ids.iter().map(|x| (source.id, x.as_str())).collect();
    let mut tx = app.store().read().await.expect("open a read transaction");
    let leads = tx
        .leads_by_external_ids(app.org.id, &keys)
        .await
        .expect("look the leads up");
    let count = tx.count_leads(app.org.id).await.expect("count the leads");
    tx.commit().await.expect("end the read transaction");
    let mut out: Vec<String> = leads.into_iter().filter_map(|l| l.external_id).collect();
    out.sort();
    (out, count)
}

/// The external ids `x-i` of the rows at these indexes, sorted as `stored` sorts them.
fn ids(indexes: impl Iterator<Item = usize>) -> Vec<String> {
    let mut out: Vec<String> = indexes.map(|i| format!("x-{i}")).collect();
    out.sort();
    out
}

/// Checks `checked`, then stores `stored` as the file it was made from, recording the
/// progress reported after each chunk.
async fn import(
    app: &TestApp,
    source: &Source,
    (checked, stored): (&str, &str),
    skip_invalid: bool,
) -> (Result<ImportReport, AppError>, Vec<u64>) {
    let plan = app
        .app
        .prepare_import(
            &app.org,
            source,
            &ImportOptions::default(),
            checked.as_bytes(),
        )
        .await
        .expect("check the file");
    let progress = Mutex::new(Vec::new());
    let report = app
        .app
        .commit_import(
            &app.org,
            plan,
            stored.as_bytes(),
            skip_invalid,
            Unowned::Queue,
            "list",
            &|done| {
                progress.lock().expect("the progress list").push(done);
            },
        )
        .await;
    (report, progress.into_inner().expect("the progress list"))
}

app_test! {
    async fn imported_files_of_several_chunks_store_every_row_once(app) {
        let source = website(&app).await;
        let csv = file(&[]);
        let (report, progress) = import(&app, &source, (&csv, &csv), false).await;
        let report = report.expect("import the file");
        assert_eq!((report.imported, report.skipped.count, report.already_imported), (ROWS, 0, 0), "{report:?}");
        assert_eq!(progress, [500, 1000, 1203], "one report per chunk");
        assert_eq!(stored(&app, &source).await, (ids(0..ROWS), i64::try_from(ROWS).expect("a count")));
    }
}

app_test! {
    async fn imported_files_with_a_bad_row_near_the_end_are_refused_with_nothing_written(app) {
        let source = website(&app).await;
        let last = ROWS - 1;
        let bad = file(&[last]);
        let plan = app.app.prepare_import(&app.org, &source, &ImportOptions::default(), bad.as_bytes()).await.expect("check the file");
        assert_eq!((plan.rows, plan.problems.count), (ROWS - 1, 1), "the check read to the end: {plan:?}");
        assert_eq!(plan.problems.first[0].line, line(last));
        let refused = app.app.commit_import(&app.org, plan, bad.as_bytes(), false, Unowned::Queue, "bad list", &|_| {}).await;
        let message = refused.map(|r| format!("{r:?}")).unwrap_or_else(|e| e.to_string());
        assert!(message.contains(&format!("line {}: emails[0]", line(last))), "{message}");
        assert_eq!(stored(&app, &source).await, (vec![], 0), "nothing was written");

        // A file that turns bad near its end after its check (edited in between) is found
        // out by the write's own check after two chunks went in: they go too.
        let good = file(&[]);
        let (refused, progress) = import(&app, &source, (&good, &bad), false).await;
        let message = refused.map(|r| format!("{r:?}")).unwrap_or_else(|e| e.to_string());
        assert!(message.contains(&format!("line {}: emails[0]", line(last))), "{message}");
        assert_eq!(progress, [500, 1000], "two chunks were written before the bad row");
        assert_eq!(stored(&app, &source).await, (vec![], 0), "the chunks written before the bad row were rolled back");
    }
}

app_test! {
    async fn imported_files_changed_after_their_check_are_refused_whole(app) {
        let source = website(&app).await;
        let checked = file(&[]);
        let edited = checked.replace("Lead 1202,", "Lea 1202,");
        let (refused, _) = import(&app, &source, (&checked, &edited), false).await;
        let message = refused.map(|r| format!("{r:?}")).unwrap_or_else(|e| e.to_string());
        assert!(message.contains("the file changed after it was checked; nothing was imported"), "{message}");
        assert_eq!(stored(&app, &source).await, (vec![], 0));
    }
}

app_test! {
    async fn imported_files_with_skip_invalid_keep_exactly_the_good_rows_across_chunks(app) {
        let source = website(&app).await;
        // The first and last rows of the first chunk, the first of the second, the file's last.
        let bad = [0, 499, 500, ROWS - 1];
        let csv = file(&bad);
        let (report, progress) = import(&app, &source, (&csv, &csv), true).await;
        let report = report.expect("import the good rows");
        let good = ROWS - bad.len();
        assert_eq!((report.imported, report.skipped.count, report.already_imported), (good, bad.len(), 0), "{report:?}");
        let skipped: Vec<u64> = report.skipped.first.iter().map(|p| p.line).collect();
        assert_eq!(skipped, bad.map(line), "the rows the check refused, in file order");
        assert_eq!(progress, [498, 997, 1199], "rows stored so far, after each chunk");
        let expected = (ids((0..ROWS).filter(|i| !bad.contains(i))), i64::try_from(good).expect("a count"));
        assert_eq!(stored(&app, &source).await, expected);

        // Again: every good row is found stored, across chunks, and nothing is written twice.
        let plan = app.app.prepare_import(&app.org, &source, &ImportOptions::default(), csv.as_bytes()).await.expect("check the file again");
        assert_eq!((plan.rows, plan.already_imported, plan.problems.count), (0, good, bad.len()), "{plan:?}");
        let report = app.app.commit_import(&app.org, plan, csv.as_bytes(), true, Unowned::Queue, "mixed list", &|_| {}).await.expect("import nothing");
        assert_eq!((report.imported, report.already_imported, report.skipped.count), (0, good, bad.len()), "{report:?}");
        assert_eq!(stored(&app, &source).await, expected);
    }
}

app_test! {
    async fn imported_files_list_the_first_thousand_bad_rows_and_count_the_rest(app) {
        let source = website(&app).await;
        let csv = file(&(0..ROWS).collect::<Vec<_>>());
        let plan = app.app.prepare_import(&app.org, &source, &ImportOptions::default(), csv.as_bytes()).await.expect("check the file");
        assert_eq!((plan.problems.first.len(), plan.problems.count, plan.problems.unlisted()), (RowProblems::KEPT, ROWS, ROWS - RowProblems::KEPT));
        assert_eq!(plan.problems.first.last().map(|p| p.line), Some(line(RowProblems::KEPT - 1)), "the first ones, in file order");
    }
}

app_test! {
    async fn imported_leads_wait_in_the_queue_from_their_import_not_from_when_they_came_in(app) {
        let (_, key) = app.source("Form").await;
        let early = app.intake(&key, serde_json::json!({ "name": "Early Bird" })).await;
        assert_eq!(early.status.as_u16(), 201, "{}", early.body);
        app.clock.advance(std::time::Duration::from_secs(3600));
        let source = website(&app).await;
        let csv = "name,created_at\nOld Lead,2020-01-01T00:00:00Z\n";
        let (report, _) = import(&app, &source, (csv, csv), false).await;
        assert!(report.is_ok(), "{report:?}");
        let queue = app.get("/api/v1/queue", &app.admin.token).await.body;
        let names: Vec<&str> = queue["leads"].as_array().map(|l| l.iter().filter_map(|q| q["lead"]["name"].as_str()).collect()).unwrap_or_default();
        assert_eq!(names, ["Early Bird", "Old Lead"], "{queue}");
        assert_eq!(queue["leads"][1]["since"], "2026-11-25T10:00:00Z", "{queue}");
        assert_eq!(queue["leads"][1]["lead"]["created_at"], "2020-01-01T00:00:00Z", "{queue}");
    }
}
