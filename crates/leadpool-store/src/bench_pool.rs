//! Seeding for `leadpool bench pool-view`: an organization's leads as a real office has them,
//! with varied names, emails, phones, tags, statuses, sources and owners, a share of them in
//! a pool. Written set-based, a million rows in seconds; never used by the product itself.
//!
//! Every value is drawn from the vocabulary below by the row's number, so the benchmark can
//! pick search terms and filters that really occur, from the same lists.

use leadpool_domain::{OrgId, PoolId, SourceId, StatusId, TeamId, Timestamp, UserId};

use crate::dialect::maintains_itself;
use crate::{Sql, Store, StoreError, Tx};

/// First names of the seeded people: as shown, lower-cased, and as an email spells them.
pub const FIRST_NAMES: &[(&str, &str, &str)] = &[
    ("Ana", "ana", "ana"),
    ("Bruno", "bruno", "bruno"),
    ("Carla", "carla", "carla"),
    ("Daniel", "daniel", "daniel"),
    ("Elena", "elena", "elena"),
    ("Fábio", "fábio", "fabio"),
    ("Gabriela", "gabriela", "gabriela"),
    ("Hugo", "hugo", "hugo"),
    ("Isabel", "isabel", "isabel"),
    ("João", "joão", "joao"),
    ("Karen", "karen", "karen"),
    ("Lucas", "lucas", "lucas"),
    ("Marta", "marta", "marta"),
    ("Nicolás", "nicolás", "nicolas"),
    ("Olivia", "olivia", "olivia"),
    ("Pedro", "pedro", "pedro"),
    ("Quentin", "quentin", "quentin"),
    ("Rita", "rita", "rita"),
    ("Samuel", "samuel", "samuel"),
    ("Teresa", "teresa", "teresa"),
    ("Ulises", "ulises", "ulises"),
    ("Valeria", "valeria", "valeria"),
    ("William", "william", "william"),
    ("Ximena", "ximena", "ximena"),
    ("Yusuf", "yusuf", "yusuf"),
    ("Zoë", "zoë", "zoe"),
    ("Aisha", "aisha", "aisha"),
    ("Benjamin", "benjamin", "benjamin"),
    ("Chloé", "chloé", "chloe"),
    ("Dmitri", "dmitri", "dmitri"),
    ("Emma", "emma", "emma"),
    ("Farah", "farah", "farah"),
    ("George", "george", "george"),
    ("Hana", "hana", "hana"),
    ("Ivan", "ivan", "ivan"),
    ("Jasmine", "jasmine", "jasmine"),
    ("Kenji", "kenji", "kenji"),
    ("Laura", "laura", "laura"),
    ("Mohammed", "mohammed", "mohammed"),
    ("Nora", "nora", "nora"),
    ("Oscar", "oscar", "oscar"),
    ("Priya", "priya", "priya"),
    ("Rafael", "rafael", "rafael"),
    ("Sofia", "sofia", "sofia"),
    ("Thomas", "thomas", "thomas"),
    ("Uma", "uma", "uma"),
    ("Victor", "victor", "victor"),
    ("Wen", "wen", "wen"),
];

/// Last names of the seeded people: as shown, lower-cased, and as an email spells them.
pub const LAST_NAMES: &[(&str, &str, &str)] = &[
    ("Silva", "silva", "silva"),
    ("Santos", "santos", "santos"),
    ("Oliveira", "oliveira", "oliveira"),
    ("Pereira", "pereira", "pereira"),
    ("Costa", "costa", "costa"),
    ("Rodrigues", "rodrigues", "rodrigues"),
    ("Martins", "martins", "martins"),
    ("Fernández", "fernández", "fernandez"),
    ("García", "garcía", "garcia"),
    ("López", "lópez", "lopez"),
    ("Smith", "smith", "smith"),
    ("Johnson", "johnson", "johnson"),
    ("Williams", "williams", "williams"),
    ("Brown", "brown", "brown"),
    ("Jones", "jones", "jones"),
    ("Miller", "miller", "miller"),
    ("Davis", "davis", "davis"),
    ("Wilson", "wilson", "wilson"),
    ("Anderson", "anderson", "anderson"),
    ("Taylor", "taylor", "taylor"),
    ("Thomas", "thomas", "thomas"),
    ("Moore", "moore", "moore"),
    ("Jackson", "jackson", "jackson"),
    ("Martin", "martin", "martin"),
    ("Lee", "lee", "lee"),
    ("Thompson", "thompson", "thompson"),
    ("White", "white", "white"),
    ("Harris", "harris", "harris"),
    ("Müller", "müller", "mueller"),
    ("Schmidt", "schmidt", "schmidt"),
    ("Schneider", "schneider", "schneider"),
    ("Fischer", "fischer", "fischer"),
    ("Weber", "weber", "weber"),
    ("Dubois", "dubois", "dubois"),
    ("Lefèvre", "lefèvre", "lefevre"),
    ("Moreau", "moreau", "moreau"),
    ("Rossi", "rossi", "rossi"),
    ("Russo", "russo", "russo"),
    ("Ferrari", "ferrari", "ferrari"),
    ("Kowalski", "kowalski", "kowalski"),
    ("Nowak", "nowak", "nowak"),
    ("Novák", "novák", "novak"),
    ("Yamamoto", "yamamoto", "yamamoto"),
    ("Tanaka", "tanaka", "tanaka"),
    ("Kim", "kim", "kim"),
    ("Nguyen", "nguyen", "nguyen"),
    ("Patel", "patel", "patel"),
    ("O'Connor", "o'connor", "oconnor"),
    ("Andersson", "andersson", "andersson"),
];

/// Email domains of the seeded people.
pub const DOMAINS: &[&str] = &[
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "proton.me",
    "uol.com.br",
    "web.de",
    "orange.fr",
    "acme-corp.com",
];

/// US area codes of the seeded phone numbers.
pub const AREA_CODES: &[&str] = &[
    "212", "305", "312", "415", "503", "602", "617", "702", "713", "808", "917", "954",
];

/// Tags the seeded leads carry.
pub const TAGS: &[&str] = &[
    "buyer",
    "seller",
    "vip",
    "renter",
    "investor",
    "first-time",
    "relocating",
];

/// The tag sets a seeded lead may carry (sorted, as the domain keeps them); many carry none.
const TAG_SETS: &[&[&str]] = &[
    &[],
    &["buyer"],
    &[],
    &["seller"],
    &["buyer", "vip"],
    &[],
    &["renter"],
    &["first-time", "investor"],
    &["buyer", "first-time"],
    &[],
    &["relocating", "seller"],
    &["investor", "vip"],
    &["buyer", "relocating", "vip"],
];

/// What [`Tx::bench_seed_pool_view`] writes.
#[derive(Debug, Clone)]
pub struct PoolViewSeed<'a> {
    /// The organization.
    pub org: OrgId,
    /// Leads come from these sources in turn (at least one).
    pub sources: &'a [SourceId],
    /// Leads are in these statuses in turn (at least one).
    pub statuses: &'a [StatusId],
    /// Leads outside the pool are held by these agents in turn; a few sit in the queue.
    pub agents: &'a [UserId],
    /// Leads are in these teams' scope in turn; with none, in no team's.
    pub teams: &'a [TeamId],
    /// The pool.
    pub pool: PoolId,
    /// Leads to write.
    pub leads: i64,
    /// Of which in the pool, spread evenly among the rest.
    pub pool_leads: i64,
    /// The newest lead's creation time; older ones are 30 seconds apart.
    pub now: Timestamp,
}

/// Odd multipliers of the hashes that pick the parts of a seeded lead, one per part.
const MIXERS: [i64; 14] = [
    2_654_435_761,
    2_246_822_519,
    3_266_489_917,
    668_265_263,
    374_761_393,
    2_869_860_233,
    1_103_515_245,
    3_432_918_353,
    461_845_907,
    2_576_980_377,
    1_540_483_477,
    2_028_178_513,
    1_181_783_497,
    2_147_483_629,
];

/// Appends a pick among `n` for the row `seq.i`: the top 24 bits of a 32-bit multiplicative
/// hash with part `part`'s own multiplier, modulo `n`.
fn push_pick(q: &mut Sql, part: usize, n: i64) -> &mut Sql {
    q.push(&format!(
        "((seq.i * {}) % 4294967296 / 256 % ",
        MIXERS[part % MIXERS.len()]
    ))
    .push_bind(n)
    .push(")")
}

/// Appends `name(k, c1, …) AS (VALUES ($k, $c1, …), …)`, one row per item, numbered from 0.
fn push_values<const N: usize>(q: &mut Sql, name: &str, columns: &str, rows: &[[&str; N]]) {
    q.push(&format!("{name}(k, {columns}) AS (VALUES "));
    for (k, row) in (0_i64..).zip(rows) {
        q.push(if k == 0 { "(" } else { ", (" }).push_bind(k);
        for v in row {
            q.push(", ").push_bind(*v);
        }
        q.push(")");
    }
    q.push(")");
}

/// Appends `name(k, id) AS (VALUES ($k, $id), …)`, numbered from 0.
fn push_ids(q: &mut Sql, name: &str, ids: impl IntoIterator<Item = i64>) {
    q.push(&format!("{name}(k, id) AS (VALUES "));
    for (k, id) in (0_i64..).zip(ids) {
        q.push(if k == 0 { "(" } else { ", (" })
            .push_bind(k)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(")");
}

fn len(items: usize) -> i64 {
    i64::try_from(items).unwrap_or(i64::MAX)
}

/// The lowest and highest id of an organization's leads.
#[derive(sqlx::FromRow)]
struct Span {
    lo: Option<i64>,
    hi: Option<i64>,
}

/// A tag set as the `leads.tags` column holds it.
fn tags_json(set: &[&str]) -> String {
    crate::to_json(&set)
}

impl Tx {
    /// Writes `s.leads` leads of `s.org` with their tags, `s.pool_leads` of them in `s.pool`.
    /// Call [`Store::bench_settle`] once it is committed.
    pub async fn bench_seed_pool_view(&mut self, s: &PoolViewSeed<'_>) -> Result<(), StoreError> {
        if s.sources.is_empty() || s.statuses.is_empty() {
            return Err(StoreError::Config(
                "seeding leads needs at least one source and one status".into(),
            ));
        }
        let every = (s.leads / s.pool_leads.max(1)).max(1);
        // Leads an earlier seeding wrote already have their tags.
        let before = self
            .fetch_one::<crate::bench::IdRow>(&Sql::new(
                "SELECT COALESCE(MAX(id), 0) AS id FROM leads",
            ))
            .await?
            .id;
        let mut q = Sql::new(
            "INSERT INTO leads (org_id, source_id, name, emails, phones, tags, search_text, status_id, owner_kind, \
             owner_user_id, owner_pool_id, from_pool_id, team_id, queued_at, created_at, updated_at, version) \
             WITH RECURSIVE seq(i) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ",
        );
        q.push_bind(s.leads).push("), ");
        let names = |list: &[(&'static str, &'static str, &'static str)]| {
            list.iter()
                .map(|(n, l, a)| [*n, *l, *a])
                .collect::<Vec<_>>()
        };
        push_values(
            &mut q,
            "firsts",
            "name, lower_name, ascii",
            &names(FIRST_NAMES),
        );
        q.push(", ");
        push_values(
            &mut q,
            "lasts",
            "name, lower_name, ascii",
            &names(LAST_NAMES),
        );
        q.push(", ");
        let domains: Vec<[&str; 1]> = DOMAINS.iter().map(|d| [*d]).collect();
        push_values(&mut q, "domains", "name", &domains);
        q.push(", ");
        let areas: Vec<[&str; 1]> = AREA_CODES.iter().map(|a| [*a]).collect();
        push_values(&mut q, "areas", "code", &areas);
        q.push(", ");
        let sets: Vec<String> = TAG_SETS.iter().map(|t| tags_json(t)).collect();
        let sets: Vec<[&str; 1]> = sets.iter().map(|t| [t.as_str()]).collect();
        push_values(&mut q, "tag_sets", "tags", &sets);
        q.push(", ");
        push_ids(&mut q, "sources", s.sources.iter().map(|x| x.get()));
        q.push(", ");
        push_ids(&mut q, "statuses", s.statuses.iter().map(|x| x.get()));
        q.push(", ");
        // An empty VALUES list is a syntax error; with no agents, every lead outside the pool
        // sits in the queue (the join below finds no agent row).
        push_ids(
            &mut q,
            "agents",
            if s.agents.is_empty() {
                vec![0]
            } else {
                s.agents.iter().map(|x| x.get()).collect()
            },
        );
        q.push(", ");
        push_ids(
            &mut q,
            "teams",
            if s.teams.is_empty() {
                vec![0]
            } else {
                s.teams.iter().map(|x| x.get()).collect()
            },
        );
        // Each part of a lead is picked by its own hash of the row number, so names, domains,
        // phones, tags, statuses and owners combine freely into many distinct leads (plain
        // `i % n` picks move in step and leave whole combinations empty). Every pick finds
        // its row; LEFT JOIN only keeps SQLite from putting the sequence inside the loops of
        // the small lists, which would re-read it for each combination.
        q.push(
            ", people AS (SELECT seq.i, f.name || ' ' || l.name AS name, \
             f.lower_name || ' ' || l.lower_name AS lower_name, CASE WHEN ",
        );
        push_pick(&mut q, 0, 20).push(" = 0 THEN NULL ELSE f.ascii || '.' || l.ascii || ");
        push_pick(&mut q, 1, 97).push(" || '@' || d.name END AS email, CASE WHEN ");
        push_pick(&mut q, 2, 10).push(" = 0 THEN NULL ELSE '1' || a.code || (1000000 + ");
        push_pick(&mut q, 3, 9_000_000)
            .push(") END AS phone, t.tags, src.id AS source_id, st.id AS status_id, CASE WHEN seq.i % ")
            .push_bind(every)
            .push(" = 0 THEN ")
            .push_bind(s.pool)
            .push(" END AS pool_id, CASE WHEN ");
        push_pick(&mut q, 4, 10)
            .push(" < 8 AND ag.id <> 0 THEN ag.id END AS agent_id, CASE WHEN tm.id <> 0 THEN tm.id END AS team_id, ")
            .push_bind(s.now)
            .push(" - (")
            .push_bind(s.leads)
            .push(" - seq.i) * 30000 AS created_at FROM seq");
        let lists = [
            ("firsts f ON f.k", len(FIRST_NAMES.len())),
            ("lasts l ON l.k", len(LAST_NAMES.len())),
            ("domains d ON d.k", len(DOMAINS.len())),
            ("areas a ON a.k", len(AREA_CODES.len())),
            ("tag_sets t ON t.k", len(TAG_SETS.len())),
            ("sources src ON src.k", len(s.sources.len())),
            ("statuses st ON st.k", len(s.statuses.len())),
            ("agents ag ON ag.k", len(s.agents.len().max(1))),
            ("teams tm ON tm.k", len(s.teams.len().max(1))),
        ];
        for (part, (join, n)) in (5..).zip(lists) {
            q.push(&format!(" LEFT JOIN {join} = "));
            push_pick(&mut q, part, n);
        }
        q            .push(") SELECT ")
            .push_bind(s.org)
            .push(", p.source_id, p.name, \
             CASE WHEN p.email IS NULL THEN '[]' ELSE '[\"' || p.email || '\"]' END, \
             CASE WHEN p.phone IS NULL THEN '[]' ELSE '[\"+' || p.phone || '\"]' END, \
             p.tags, p.lower_name || COALESCE(' ' || p.email, '') || COALESCE(' ' || p.phone, ''), p.status_id, \
             CASE WHEN p.pool_id IS NOT NULL THEN 'pool' WHEN p.agent_id IS NOT NULL THEN 'agent' ELSE 'queue' END, \
             CASE WHEN p.pool_id IS NULL THEN p.agent_id END, p.pool_id, p.pool_id, p.team_id, \
             CASE WHEN p.pool_id IS NULL AND p.agent_id IS NULL THEN p.created_at END, p.created_at, p.created_at, 1 \
             FROM people p");
        self.execute(&q).await?;

        let mut tags = Sql::new("INSERT INTO lead_tags (lead_id, tag) WITH ");
        let pairs: Vec<(String, &str)> = TAG_SETS
            .iter()
            .flat_map(|set| set.iter().map(|t| (tags_json(set), *t)))
            .collect();
        let pairs: Vec<[&str; 2]> = pairs.iter().map(|(s, t)| [s.as_str(), *t]).collect();
        push_values(&mut tags, "set_tags", "tags, tag", &pairs);
        tags.push(" SELECT l.id, st.tag FROM leads l JOIN set_tags st ON st.tags = l.tags WHERE l.org_id = ")
            .push_bind(s.org)
            .push(" AND l.id > ")
            .push_bind(before);
        self.execute(&tags).await?;

        Ok(())
    }

    /// Tags `n` of `org`'s leads that carry no tag, spread over the whole organization, with
    /// `tag`: a tag few leads have.
    pub async fn bench_tag_spread(
        &mut self,
        org: OrgId,
        tag: &str,
        n: i64,
    ) -> Result<(), StoreError> {
        let (first, last): (i64, i64) = {
            let mut q = Sql::new("SELECT MIN(id) AS lo, MAX(id) AS hi FROM leads WHERE org_id = ");
            q.push_bind(org);
            let r = self.fetch_one::<Span>(&q).await?;
            (r.lo.unwrap_or(0), r.hi.unwrap_or(0))
        };
        let step = ((last - first) / n.max(1)).max(1);
        let mut ids = Vec::new();
        // The first untagged lead at or after each of `n` evenly spaced ids.
        for k in 0..n {
            let mut pick = Sql::new("SELECT id FROM leads WHERE org_id = ");
            pick.push_bind(org)
                .push(" AND tags = '[]' AND id >= ")
                .push_bind(first + k * step)
                .push(" ORDER BY id LIMIT 1");
            if let Some(r) = self.fetch_optional::<crate::bench::IdRow>(&pick).await?
                && !ids.contains(&r.id)
            {
                ids.push(r.id);
            }
        }
        for id in ids {
            self.execute(
                &Sql::new("UPDATE leads SET tags = $1 WHERE id = $2")
                    .bind(tags_json(&[tag]))
                    .bind(id),
            )
            .await?;
            self.execute(
                &Sql::new("INSERT INTO lead_tags (lead_id, tag) VALUES ($1, $2)")
                    .bind(id)
                    .bind(tag),
            )
            .await?;
        }
        Ok(())
    }
}

impl Store {
    /// Brings the tables a bulk load wrote to the state a running database reaches soon
    /// after one, so that a benchmark measures that and not the aftermath of the load:
    /// PostgreSQL's autovacuum would vacuum them (hint bits, visibility map, the GIN index's
    /// pending list) and analyze them (the planner's statistics); on SQLite, the hourly
    /// statistics run would.
    pub async fn bench_settle(&self) -> Result<(), StoreError> {
        if maintains_itself(self.backend()) {
            self.execute_bare("VACUUM ANALYZE leads").await?;
            self.execute_bare("VACUUM ANALYZE lead_tags").await?;
        }
        self.refresh_statistics().await
    }
}
