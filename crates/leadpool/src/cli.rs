//! The command line. Every configuration flag can also come from a `LEADPOOL_*` variable or
//! the TOML file named by `--config`; flags win over variables, variables over the file.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{COOKIE_SECURE, DATA_DIR, DATABASE_URL, LISTEN, RawConfig};
use crate::duration;

/// Self-hosted lead distribution and lead pool engine.
///
/// Configuration comes from defaults < a TOML file (--config or LEADPOOL_CONFIG) <
/// LEADPOOL_* environment variables < flags. `leadpool config print-default` shows every key.
#[derive(Debug, Parser)]
#[command(name = "leadpool", version, about, long_about)]
pub struct Cli {
    /// A TOML configuration file.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// What an import does with a row that repeats a lead (`--duplicates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DuplicateRows {
    /// Leave it out.
    Skip,
    /// Add what it holds that the lead lacks to the lead.
    Merge,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// The `data_dir` key.
    #[arg(long, value_name = "DIR", help = DATA_DIR.key.flag_help())]
    pub data_dir: Option<PathBuf>,
    /// The `database_url` key.
    #[arg(long, value_name = "URL", help = DATABASE_URL.key.flag_help())]
    pub database_url: Option<String>,
}

impl DbArgs {
    /// These flags as a configuration layer.
    pub fn to_raw(&self) -> RawConfig {
        RawConfig::default()
            .with(DATA_DIR.key, self.data_dir.clone())
            .with(DATABASE_URL.key, self.database_url.clone())
    }
}

/// A subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrates the database first).
    Serve {
        /// Load the demo organization into an empty database and print its logins.
        #[arg(long)]
        demo: bool,
        /// The `listen` key.
        #[arg(long, value_name = "ADDR", help = LISTEN.key.flag_help())]
        listen: Option<String>,
        /// The `cookie_secure` key.
        #[arg(long, value_name = "WHEN", help = COOKIE_SECURE.key.flag_help())]
        cookie_secure: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Copy the SQLite database to a file while the server keeps running.
    ///
    /// The copy is the database at one instant, taken in one read transaction (SQLite's
    /// VACUUM INTO) while the server goes on writing: every change committed before the
    /// backup began is in it. It is written beside FILE under a temporary name, checked
    /// (SQLite's integrity check, leadpool's migrations) and only then renamed to FILE, so
    /// FILE is never half-written. Prints its size, its leads and the time it took.
    ///
    /// The copy is one ordinary SQLite file, readable by its owner only; `leadpool restore
    /// --from FILE` puts it back.
    ///
    /// On PostgreSQL, prints the pg_dump and pg_restore commands to use instead.
    Backup {
        /// Where to write the copy.
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
        /// Replace FILE if it exists (refused otherwise).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Replace the SQLite database with a backup. The server must be stopped.
    ///
    /// FILE is checked first: SQLite's integrity check, leadpool's migrations table, and no
    /// migration newer than this leadpool's. A database that exists is replaced only with
    /// --force; a database a running server uses is never replaced (stop the server; restore
    /// takes the server's lock file while it works, so no server starts meanwhile; other
    /// leadpool commands take no such lock and must not run on it meanwhile). The copy
    /// replaces the database in one rename, its old -wal and -shm files removed, and then
    /// migrations this leadpool has and FILE lacks are applied. Prints what it restored.
    ///
    /// On PostgreSQL, prints the pg_dump and pg_restore commands to use instead.
    Restore {
        /// The backup to restore (a file written by `leadpool backup`).
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Replace the database if it exists (refused otherwise).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage lead sources.
    Source {
        #[command(subcommand)]
        command: SourceCommand,
    },
    /// Import leads from a CSV file, all or nothing.
    ///
    /// The file is UTF-8 with a header row first, LF or CRLF line ends; a quoted value may
    /// span lines. Line numbers in messages are the file's own. Headers are matched ignoring
    /// case, spaces and punctuation; each sets (FIELD | other headers that set it):
    ///   name                | full name, contact name, lead name
    ///   first_name          | firstname, given name
    ///   last_name           | lastname, surname, family name
    ///   email               | email address, e-mail, primary email   (several: `;`)
    ///   phone               | phone number, mobile, mobile phone, cell, cell phone,
    ///                         telephone                              (several: `;`)
    ///   tags                | tag, labels                (`;`-separated or one per line)
    ///   status              | stage, lead status, lead stage     (a status's name)
    ///   external_id         | lead id
    ///   owner_email         | assigned to, assigned to email, agent email (an agent's email)
    ///   created_at          | created, created on, created date, date created
    ///                         (RFC 3339, e.g. 2026-03-01T09:30:00Z; a bad date is a row error)
    ///   source              | lead source
    ///                         (a source's name: the lead gets that source instead of --source;
    ///                         a name that is not a source of the organization is a row error)
    ///   fields.NAME         | the custom field NAME
    /// Read past: id, owner, team_id, updated_at (`leadpool export` writes them to describe
    /// a lead). Any other column becomes a custom field named after its header. --map
    /// changes any of this. The summary names every column used for nothing and every column
    /// that became a custom field.
    ///
    /// A file with bad rows is refused whole, listing its bad rows (the first 1000, then how
    /// many more), unless --skip-invalid. A row that repeats a lead is never imported twice
    /// (see --duplicates). The file is read twice, to check it and to store it, and never
    /// held in memory.
    #[command(verbatim_doc_comment)]
    Import {
        /// The CSV file (UTF-8, header row first).
        file: PathBuf,
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The source the leads come from (its name).
        #[arg(long)]
        source: String,
        /// Import the good rows and report each bad one, instead of refusing the file.
        #[arg(long)]
        skip_invalid: bool,
        /// Leave rows without an owner_email in the manual assignment queue instead of
        /// routing them through the rules (for a backlog of old leads).
        #[arg(long)]
        no_routing: bool,
        /// Map the file's columns to fields: COLUMN=FIELD pairs, separated by commas.
        ///
        /// Example: --map "Created=created_at,Stage=status,Source=source"
        ///
        /// Also: --map "Budget=fields.budget,Notes=skip". FIELD is one of name, first_name, last_name, email, phone, tags, status,
        /// external_id, owner_email, created_at, source, fields.NAME (the custom field NAME)
        /// or skip (read past the column). COLUMN matches a header ignoring case. A mapping
        /// wins over the headers known above. A COLUMN the file does not have, or a FIELD
        /// that is none of these, refuses the import before any row is read. May be given
        /// more than once.
        #[arg(long, value_name = "COLUMN=FIELD,...")]
        map: Vec<String>,
        /// What to do with a row that repeats a lead: skip (the default) or merge.
        ///
        /// A row repeats a lead when one of its emails or phones (compared as leadpool
        /// stores them: emails lower-cased, phones as digits) is on an earlier row of the
        /// file or on a lead already stored in the organization. It is never imported as a
        /// second lead; the summary lists it with the line or lead id it repeats.
        ///
        /// skip: leave it out; nothing stored changes. The default, because a merge edits
        /// leads agents may already be working, which should happen only when asked for.
        ///
        /// merge: add its emails, phones, tags and custom fields that the lead lacks to that
        /// lead (an earlier row's lead, or the stored one), with a timeline entry; up to 10
        /// emails, 10 phones, 50 tags and 100 custom fields a lead. Its name, status, owner,
        /// external id and creation time are not used.
        #[arg(long, value_enum, default_value_t = DuplicateRows::Skip)]
        duplicates: DuplicateRows,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Export an organization's leads as CSV.
    Export {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Write here instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Working-hours calendars.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the API's OpenAPI document: the JSON the server serves at /api/v1/openapi.json.
    ///
    /// Needs no configuration or database, so API clients can be generated and the document
    /// checked without a running server.
    Openapi,
    /// Whole-system benchmarks.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

/// `leadpool org …`
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization with default statuses, the "Lead Pool" and its first admin.
    Create {
        /// Short unique name, e.g. acme-realty.
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// The first admin's email.
        #[arg(long)]
        admin_email: String,
        /// The first admin's name.
        #[arg(long)]
        admin_name: String,
        /// The first admin's password (generated and printed when omitted) [env: LEADPOOL_ADMIN_PASSWORD].
        #[arg(long, env = "LEADPOOL_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List organizations.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `leadpool user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user with a password and an API token.
    Add {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Sign-in email.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// admin, isa, agent or all_leads_agent.
        #[arg(long, default_value = "agent")]
        role: String,
        /// A team to join (repeatable).
        #[arg(long = "team", value_name = "TEAM")]
        teams: Vec<String>,
        /// Password (generated and printed when omitted) [env: LEADPOOL_USER_PASSWORD].
        #[arg(long, env = "LEADPOOL_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `leadpool source …`
#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Add a source and print its intake key (shown this once).
    Add {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The source's name, e.g. Website.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// `leadpool config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a commented example configuration file with every key and its default.
    PrintDefault,
}

/// `leadpool bench …`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Live updates: SSE clients connected while leads arrive, next to a bare broadcast.
    ///
    /// Opens --clients `GET /live` streams over HTTP (eight per agent), sends leads through
    /// intake at --rate per second for --duration, each offered to every agent at once, and
    /// reports each event's latency from its write to its client, and events per second;
    /// then times a bare tokio broadcast channel fanning out as many messages alike.
    Live {
        /// Connected SSE clients.
        #[arg(long, default_value_t = 1_000)]
        clients: usize,
        /// Leads per second through intake.
        #[arg(long, default_value_t = 10)]
        rate: u32,
        /// How long leads arrive, e.g. 10s.
        #[arg(long, default_value = "10s", value_parser = duration::flag)]
        duration: Duration,
        /// Run two instances on this PostgreSQL database (leads arrive at one, half the
        /// clients listen on the other) instead of one on a fresh SQLite file.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Lead intake over HTTP on a fresh SQLite database (or --database-url), next to the bare INSERT rate.
    Intake {
        /// How long to drive load, e.g. 10s.
        #[arg(long, default_value = "10s", value_parser = duration::flag)]
        duration: Duration,
        /// Concurrent HTTP clients.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// A scratch PostgreSQL database to run on instead of a fresh SQLite file (its data is kept).
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Durable timers: lag and throughput with many pending, next to the bare claim statement.
    ///
    /// Seeds --pending timers due at --rate per second, runs the real scheduler for
    /// --duration and reports firing lag (due instant to effect committed); then fires a
    /// backlog as fast as it can, writes as large a backlog's rows with set-based SQL alone
    /// (the store's floor for a firing), and runs the bare claim-due-timers statement alone.
    Timers {
        /// Timers pending at the start.
        #[arg(long, default_value_t = 1_000_000)]
        pending: i64,
        /// Timers falling due per second.
        #[arg(long, default_value_t = 1_000)]
        rate: i64,
        /// How long to measure lag at that rate, e.g. 20s.
        #[arg(long, default_value = "20s", value_parser = duration::flag)]
        duration: Duration,
        /// Timers in the backlog fired as fast as possible.
        #[arg(long, default_value_t = 20_000)]
        backlog: i64,
        /// A scratch PostgreSQL database to run on instead of a fresh SQLite file (its data is kept).
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Pool claims over HTTP on a fresh SQLite database (or --database-url), next to the bare conditional UPDATE.
    ///
    /// Seeds --leads leads with --pool-leads of them in the pool; --clients agents then claim
    /// random pool leads, one per request, for --duration; then the bare UPDATE a claim
    /// stands on runs one per transaction, as many at once, on the other half of the pool.
    Claim {
        /// How long each phase runs, e.g. 10s.
        #[arg(long, default_value = "10s", value_parser = duration::flag)]
        duration: Duration,
        /// Concurrent clients, each a distinct agent.
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// Leads in the database.
        #[arg(long, default_value_t = 1_000_000)]
        leads: i64,
        /// Of which in the pool.
        #[arg(long, default_value_t = 200_000)]
        pool_leads: i64,
        /// A scratch PostgreSQL database to run on instead of a fresh SQLite file (its data is kept).
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Routed intake over HTTP on a fresh SQLite database (or --database-url), next to the bare INSERT + UPDATE.
    ///
    /// Sets up --rules routing rules, one source each, each handing its leads round robin to
    /// a group of --group-size agents; --clients clients then send leads to random sources
    /// for --duration. Then the bare lead INSERT plus one round-robin position UPDATE runs,
    /// one pair per transaction, as many at once, on the same database.
    Route {
        /// How long each phase runs, e.g. 10s.
        #[arg(long, default_value = "10s", value_parser = duration::flag)]
        duration: Duration,
        /// Concurrent clients.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Routing rules (and sources).
        #[arg(long, default_value_t = 50)]
        rules: usize,
        /// Agents in each rule's round-robin group.
        #[arg(long, default_value_t = 20)]
        group_size: usize,
        /// A scratch PostgreSQL database to run on instead of a fresh SQLite file (its data is kept).
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// The pool list over HTTP (filters and text search) under load, next to GET /healthz.
    ///
    /// Seeds --leads leads with --pool-leads of them in the default pool; --clients agents
    /// then alternate a pool view (a search, sometimes a status or tag filter) with a health
    /// check for --duration. Prints p50/p95/p99 of both and the ratio of their p95.
    PoolView {
        /// How long to drive load, e.g. 20s.
        #[arg(long, default_value = "20s", value_parser = duration::flag)]
        duration: Duration,
        /// Concurrent clients, each a distinct agent.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Leads in the database.
        #[arg(long, default_value_t = 1_000_000)]
        leads: i64,
        /// Of which in the default pool.
        #[arg(long, default_value_t = 200_000)]
        pool_leads: i64,
        /// A scratch PostgreSQL database to run on instead of a fresh SQLite file (its data is kept).
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Every lead list people open (filters, sorts, pools, queue, offers, events, timeline) at
    /// a large organization's size, next to reading each page's rows by id.
    ///
    /// Seeds --leads leads with skew: a fifth old and all in one pool, a pool with a
    /// ten-thousandth of them, a tag on ten leads, most held by agents, some in the queue.
    /// Then asks every shape as an admin, a team-scoped ISA and an agent, --samples times in
    /// rounds, and prints p50/p95 per shape beside the p95 of reading the same page by id.
    Lists {
        /// Leads in the organization.
        #[arg(long, default_value_t = 1_000_000)]
        leads: i64,
        /// Times each shape is asked.
        #[arg(long, default_value_t = 20)]
        samples: usize,
        /// A scratch PostgreSQL database to run on instead of a fresh SQLite file (its data is kept).
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Time only the shapes whose name holds TEXT (repeat for several), e.g. "admin: all".
        #[arg(long, value_name = "TEXT")]
        only: Vec<String>,
    },
}

/// `leadpool calendar …`
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Print when a deadline falls on a calendar, without creating anything.
    ///
    /// The calendar is given by flags (--tz, --hours, --holiday) or is one an organization
    /// stored (--calendar NAME --org ORG). Only open time counts: a start outside the hours counts from the next opening, and
    /// weekends, holidays and DST changes are taken into account. Prints the due instant in
    /// the calendar's zone and in UTC (RFC 3339).
    Deadline {
        /// IANA time zone of the hours and holidays, e.g. America/New_York.
        #[arg(
            long,
            value_name = "ZONE",
            required_unless_present = "calendar",
            conflicts_with = "calendar"
        )]
        tz: Option<String>,
        /// Open hours: `;`-separated `DAYS HH:MM-HH:MM[,HH:MM-HH:MM]`, e.g. "mon-fri 09:00-17:00; sat 10:00-14:00". Days not listed are closed; 24:00 ends a day.
        #[arg(
            long,
            required_unless_present = "calendar",
            conflicts_with = "calendar"
        )]
        hours: Option<String>,
        /// A closed date (2026-12-25) or a date with its own hours ("2026-12-24 09:00-12:00"); repeatable.
        #[arg(long = "holiday", value_name = "DATE", conflicts_with = "calendar")]
        holidays: Vec<String>,
        /// A calendar stored for --org, by name, instead of --tz/--hours/--holiday.
        #[arg(long, value_name = "NAME", requires = "org")]
        calendar: Option<String>,
        /// The organization (slug) whose calendar --calendar names.
        #[arg(long, value_name = "SLUG", requires = "calendar")]
        org: Option<String>,
        /// The start: a local date-time in the calendar's zone (2026-12-24T16:30:00) or an instant (2026-12-24T21:30:00Z).
        #[arg(long, value_name = "WHEN")]
        from: String,
        /// Open time to count, e.g. 2h, 90m, 1h30m, 1.5h, 3d (a day is 24 hours of open time).
        // Hyphen values reach the parser, so `--duration -2h` is told it is negative.
        #[arg(long, value_parser = crate::calendar_cmd::open_time, allow_hyphen_values = true)]
        duration: Duration,
        #[command(flatten)]
        db: DbArgs,
    },
}
