//! Fuzzing the CSV import: files made of headers other CRMs use, cells holding quotes,
//! separators, line breaks, dates good and bad, and unquoted stray quotes, with LF or CRLF.
//! Whatever the file, the check answers (a plan or a refusal in words, never an internal
//! error), names only lines the file has, and the write then stores exactly the rows the
//! check said were ready. `PROPTEST_CASES` sets how many files (256 by default).

use leadpool_app::AppError;
use leadpool_app::import::{ImportOptions, Unowned};
use leadpool_testkit::app_test;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

use crate::import_files::{check, source};

const HEADERS: &[&str] = &[
    "name",
    "First Name",
    "Last Name",
    "email",
    "Email Address",
    "phone",
    "Mobile",
    "tags",
    "Stage",
    "status",
    "Created",
    "created_at",
    "external_id",
    "Notes",
    "Budget",
    "",
];

const CELLS: &[&str] = &[
    "",
    "Ana Lima",
    "ana@example.com",
    "ANA@EXAMPLE.COM",
    "not an email",
    "+1 303 555 0100",
    "555-0100",
    "vip, hot",
    "New",
    "Working",
    "No Such Status",
    "2026-03-15T10:00:00Z",
    "03/15/2026",
    "2026-13-45",
    "ext-1",
    "ext-1",
    "\"quoted\"",
    "two\nlines",
    "a,b",
    "\r\n",
    "é中😀",
    "  spaced  ",
    "450000",
    "-1",
    "\u{feff}bom",
];

/// One cell as a file would hold it: quoted when it must be (or sometimes anyway), and now
/// and then written raw even when it should have been quoted.
fn cell() -> impl Strategy<Value = String> {
    (prop::sample::select(CELLS), 0u8..10).prop_map(|(c, how)| match how {
        0 => c.to_owned(),
        1..=3 => format!("\"{}\"", c.replace('"', "\"\"")),
        _ if c.contains([',', '"', '\r', '\n']) => format!("\"{}\"", c.replace('"', "\"\"")),
        _ => c.to_owned(),
    })
}

/// A whole file: a header of 1-6 columns, 0-6 rows of 0-7 cells, LF or CRLF, maybe a
/// final line break.
fn file() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop::sample::select(HEADERS), 1..6),
        prop::collection::vec(prop::collection::vec(cell(), 0..7), 0..6),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(header, rows, crlf, last_break)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut lines = vec![header.join(",")];
            lines.extend(rows.iter().map(|r| r.join(",")));
            let mut f = lines.join(eol);
            if last_break {
                f.push_str(eol);
            }
            f
        })
}

app_test! {
    async fn fuzz_any_file_is_checked_in_words_and_the_write_stores_what_the_check_found_ready(app) {
        let src = source(&app, "Old CRM").await;
        let config = Config::default();
        let mut runner = TestRunner::new(config.clone());
        let strategy = file();
        let (mut refused, mut problems, mut stored) = (0, 0, 0);
        for _ in 0..config.cases {
            let csv = strategy.new_tree(&mut runner).expect("a file is drawn").current();
            let options = ImportOptions::default();
            let plan = match check(&app, &src, &options, &csv).await {
                Ok(plan) => plan,
                Err(AppError::Invalid(_)) => {
                    refused += 1;
                    continue;
                }
                Err(e) => panic!("{e:?} for the file {csv:?}"),
            };
            let lines = u64::try_from(csv.split_inclusive('\n').count()).unwrap_or(0);
            for p in &plan.problems.first {
                assert!((2..=lines).contains(&p.line), "line {} of {lines} for {csv:?}", p.line);
            }
            problems += plan.problems.count;
            let ready = plan.rows;
            let report = app
                .app
                .commit_import(&app.org, plan, csv.as_bytes(), true, Unowned::Queue, "fuzz", &|_| {})
                .await
                .unwrap_or_else(|e| panic!("{e:?} writing the file {csv:?}"));
            assert_eq!(report.imported, ready, "for the file {csv:?}");
            stored += report.imported;
        }
        assert!(
            refused > 0 && problems > 0 && stored > 0,
            "the files drawn tried every way: {refused} refused, {problems} bad rows, {stored} leads stored"
        );
    }
}
