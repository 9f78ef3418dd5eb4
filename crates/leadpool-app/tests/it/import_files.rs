//! Files as other CRMs export them: CRLF line ends, quoted values over several lines, their
//! own headers mapped to a lead's fields, and columns used for nothing named.

use leadpool_app::AppError;
use leadpool_app::import::{ColumnMap, ImportOptions, ImportPlan, ImportReport, Unowned};
use leadpool_domain::{Lead, SourceId, Visibility};
use leadpool_store::leads::{LeadFilter, LeadSort};
use leadpool_store::sources::Source;
use leadpool_testkit::{TestApp, app_test};

pub(crate) async fn source(app: &TestApp, name: &str) -> Source {
    let (id, _) = app.source(name).await;
    let mut tx = app.store().read().await.expect("open a read transaction");
    let source = tx
        .source(app.org.id, SourceId::new(id))
        .await
        .expect("read the source");
    tx.commit().await.expect("end the read transaction");
    source
}

pub(crate) fn options(map: &str) -> ImportOptions {
    ImportOptions {
        columns: ColumnMap::parse(&[map]).expect("a mapping"),
        ..ImportOptions::default()
    }
}

pub(crate) async fn check(
    app: &TestApp,
    source: &Source,
    options: &ImportOptions,
    csv: &str,
) -> Result<ImportPlan, AppError> {
    app.app
        .prepare_import(&app.org, source, options, csv.as_bytes())
        .await
}

/// Checks and stores `csv`, skipping bad rows.
pub(crate) async fn import(
    app: &TestApp,
    source: &Source,
    options: &ImportOptions,
    csv: &str,
) -> ImportReport {
    let plan = check(app, source, options, csv)
        .await
        .expect("check the file");
    app.app
        .commit_import(
            &app.org,
            plan,
            csv.as_bytes(),
            true,
            Unowned::Queue,
            "test list",
            &|_| {},
        )
        .await
        .expect("import the file")
}

/// Every lead of the organization, oldest first.
pub(crate) async fn leads(app: &TestApp) -> Vec<Lead> {
    let mut tx = app.store().read().await.expect("open a read transaction");
    let leads = tx
        .leads(
            app.org.id,
            &Visibility::Organization,
            &LeadFilter::default(),
            LeadSort::CreatedAsc,
            None,
            1000,
        )
        .await
        .expect("list the leads");
    tx.commit().await.expect("end the read transaction");
    leads
}

fn lines(plan: &ImportPlan) -> Vec<(u64, String)> {
    plan.problems
        .first
        .iter()
        .flat_map(|p| p.problems.iter().map(move |f| (p.line, f.field.clone())))
        .collect()
}

app_test! {
    async fn bad_rows_of_crlf_files_are_named_by_their_real_lines(app) {
        let source = source(&app, "Website").await;
        // Line 3 spans lines 3 and 4; line 6 follows a blank line.
        let lf = "name,email,notes\n\
                  Ana,ana@example.com,\n\
                  Bo,not-an-email,\"called twice\nno answer\"\n\
                  Cy,cy@example.com,\n\
                  \n\
                  Dee,dee@,\n";
        let crlf = lf.replace('\n', "\r\n");
        for file in [lf.to_owned(), crlf] {
            let plan = check(&app, &source, &ImportOptions::default(), &file).await.expect("check the file");
            assert_eq!(
                lines(&plan),
                [(3, "emails[0]".to_owned()), (7, "emails[0]".to_owned())],
                "{file:?}"
            );
        }
    }
}

app_test! {
    async fn a_quoted_value_over_several_lines_is_one_field_of_its_row(app) {
        let source = source(&app, "Website").await;
        let csv = "name,email,notes,tags\r\n\
                   Ana Lima,ana@example.com,\"Called twice\r\nwants a callback\",buyer\r\n\
                   Bo Diaz,bo@example.com,,\"vip\r\nhot\"\r\n";
        let report = import(&app, &source, &ImportOptions::default(), csv).await;
        assert_eq!((report.imported, report.skipped.count), (2, 0), "{report:?}");
        let leads = leads(&app).await;
        assert_eq!(leads[0].fields.text("notes").as_deref(), Some("Called twice\r\nwants a callback"));
        let mut tags: Vec<&str> = leads[1].tags.iter().map(|t| t.as_str()).collect();
        tags.sort_unstable();
        assert_eq!(tags, ["hot", "vip"], "one tag per line of the quoted cell");
    }
}

app_test! {
    async fn another_crms_columns_set_the_leads_fields_and_unused_ones_are_named(app) {
        let website = source(&app, "Website").await;
        let zillow = source(&app, "Zillow").await;
        let csv = "First Name,Last Name,Email Address,Stage,Created,Source,Notes,id,Budget\n\
                   Ana,Lima,ana@example.com,Working,2026-01-05T10:00:00Z,zillow,called,17,450000\n\
                   Bo,Diaz,bo@example.com,,,,,18,\n\
                   Cy,Ray,cy@example.com,New,,Craigslist,,19,\n";
        let plan = check(&app, &website, &options("Notes=skip"), csv).await.expect("check the file");
        assert_eq!(plan.rows, 2, "{plan:?}");
        let problem = &plan.problems.first[0];
        assert_eq!((problem.line, problem.problems[0].field.as_str()), (4, "Source"));
        assert!(problem.problems[0].message.contains("`Craigslist` is not a source of"), "{problem:?}");
        assert_eq!(plan.columns.unused().collect::<Vec<_>>(), ["Notes", "id"]);
        assert_eq!(plan.columns.custom_fields().collect::<Vec<_>>(), [("Budget", "budget")]);

        let report = import(&app, &website, &options("Notes=skip"), csv).await;
        assert_eq!((report.imported, report.skipped.count), (2, 1), "{report:?}");
        assert_eq!(report.columns.unused().collect::<Vec<_>>(), ["Notes", "id"]);
        let leads = leads(&app).await;
        let ana = leads.iter().find(|l| l.emails[0].as_str() == "ana@example.com").expect("Ana");
        assert_eq!(ana.name.as_ref().map(|n| n.as_str()), Some("Ana Lima"));
        assert_eq!(ana.status.name, "Working");
        assert_eq!(ana.created_at.to_string(), "2026-01-05T10:00:00Z");
        assert_eq!(ana.source_id, zillow.id, "the row's source, not the import's");
        assert_eq!(ana.fields.as_map().keys().collect::<Vec<_>>(), ["budget"], "Stage, Created, Source, Notes and id are no custom fields");
        let bo = leads.iter().find(|l| l.emails[0].as_str() == "bo@example.com").expect("Bo");
        assert_eq!(bo.source_id, website.id, "an empty source cell keeps the import's source");
    }
}

app_test! {
    async fn a_mapping_of_a_missing_column_or_to_no_field_is_refused_before_any_row(app) {
        let source = source(&app, "Website").await;
        // The rows are not even CSV: the refusal comes from the header alone.
        let csv = "Name,Email,Stage\n\"unclosed,\"\"\n";
        let refused = check(&app, &source, &options("Created=created_at"), csv).await;
        let message = refused.map(|p| format!("{p:?}")).unwrap_or_else(|e| e.to_string());
        assert_eq!(message, "map: the file has no column `Created`; its columns are: Name, Email, Stage");
        let refused = ColumnMap::parse(&["Stage=stat"]).map(|m| format!("{m:?}")).unwrap_or_else(|e| e.to_string());
        assert!(refused.starts_with("map: Stage: `stat` is not a field; map a column to one of name,"), "{refused}");
    }
}

app_test! {
    async fn a_bad_date_in_a_mapped_date_column_is_a_row_error_naming_line_and_column(app) {
        let source = source(&app, "Website").await;
        let csv = "Name,Signed Up\nAna,2026-01-05T10:00:00Z\nBo,03/15/2026\n";
        let plan = check(&app, &source, &options("signed up=created_at"), csv).await.expect("check the file");
        assert_eq!(plan.rows, 1);
        let p = &plan.problems.first[0];
        assert_eq!((p.line, p.problems[0].field.as_str()), (3, "Signed Up"), "{p:?}");
        assert!(p.problems[0].message.contains("`03/15/2026` is not a date"), "{p:?}");
    }
}
