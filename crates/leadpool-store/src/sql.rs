//! Query text and its arguments, written once for both backends with `$N` placeholders.

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// An integer (ids, epoch milliseconds, counts) or NULL.
    Int(Option<i64>),
    /// Text (names, JSON) or NULL.
    Text(Option<String>),
    /// A boolean.
    Bool(bool),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Self::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Text(Some(v))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Self::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Self::Text(v.map(str::to_owned))
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}
impl<K> From<leadpool_domain::ids::Id<K>> for Arg {
    fn from(v: leadpool_domain::ids::Id<K>) -> Self {
        Self::Int(Some(v.get()))
    }
}
impl<K> From<Option<leadpool_domain::ids::Id<K>>> for Arg {
    fn from(v: Option<leadpool_domain::ids::Id<K>>) -> Self {
        Self::Int(v.map(leadpool_domain::ids::Id::get))
    }
}
impl From<leadpool_domain::Timestamp> for Arg {
    fn from(v: leadpool_domain::Timestamp) -> Self {
        Self::Int(Some(v.as_millis()))
    }
}

impl From<Option<leadpool_domain::Timestamp>> for Arg {
    fn from(v: Option<leadpool_domain::Timestamp>) -> Self {
        Self::Int(v.map(leadpool_domain::Timestamp::as_millis))
    }
}

/// SQL text with its arguments; placeholders are numbered in binding order.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
    planned_with_values: bool,
}

impl Sql {
    /// Text whose `$N` placeholders are bound, in order, with [`Sql::bind`].
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            args: Vec::new(),
            planned_with_values: false,
        }
    }

    /// Has the database plan this statement anew each time, knowing its values, instead of
    /// reusing a plan made for any values: for a query whose best plan depends on them,
    /// such as a search for a term ten leads hold or a hundred thousand. (PostgreSQL plans
    /// it with the values; SQLite, whose plans never look at them, merely prepares it again.)
    pub fn plan_with_values(&mut self) -> &mut Self {
        self.planned_with_values = true;
        self
    }

    /// Whether [`Sql::plan_with_values`] was asked for.
    pub fn planned_with_values(&self) -> bool {
        self.planned_with_values
    }

    /// Binds the next placeholder.
    pub fn bind(mut self, a: impl Into<Arg>) -> Self {
        self.args.push(a.into());
        self
    }

    /// Appends text (never a value: values go through [`Sql::push_bind`]).
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a placeholder for `a`.
    pub fn push_bind(&mut self, a: impl Into<Arg>) -> &mut Self {
        self.args.push(a.into());
        let n = self.args.len();
        self.text.push('$');
        self.text.push_str(&n.to_string());
        self
    }

    /// Appends `(p1, p2, …)` binding each item; an empty list becomes `(NULL)`, which
    /// `IN` matches against nothing (an empty `()` is a syntax error on both backends).
    pub fn push_list<A: Into<Arg>>(&mut self, items: impl IntoIterator<Item = A>) -> &mut Self {
        self.push("(");
        let mut empty = true;
        for a in items {
            if !empty {
                self.push(", ");
            }
            self.push_bind(a);
            empty = false;
        }
        if empty {
            self.push("NULL");
        }
        self.push(")")
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The bound arguments.
    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// Appends `inner` (as a subquery, say), its placeholders numbered after this
    /// statement's own.
    pub fn push_sql(&mut self, inner: &Sql) -> &mut Self {
        let offset = self.args.len();
        let text = replace_placeholders(&inner.text, |n| {
            (n < inner.args.len()).then(|| format!("${}", n + offset + 1))
        });
        self.text.push_str(&text);
        self.args.extend(inner.args.iter().cloned());
        self.planned_with_values |= inner.planned_with_values;
        self
    }

    /// The text with every `$N` outside quotes turned into an anonymous `?`, and the
    /// arguments in the order those appear (repeated where a placeholder is).
    ///
    /// For SQLite: binding a numbered placeholder looks its name up in a list as long as the
    /// statement's placeholders, so a batch statement with thousands of them spent most of
    /// its time binding; anonymous ones bind in constant time.
    pub fn positional(&self) -> (String, Vec<&Arg>) {
        let mut args = Vec::with_capacity(self.args.len());
        let text = replace_placeholders(&self.text, |n| {
            self.args.get(n).map(|arg| {
                args.push(arg);
                "?".to_owned()
            })
        });
        (text, args)
    }
}

/// `text` with each `$N` outside quotes replaced by what `to` makes of `N - 1`; a placeholder
/// `to` answers `None` for is left as it is, for the database to judge.
fn replace_placeholders(text: &str, mut to: impl FnMut(usize) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '$') => {
                let digits: String = std::iter::from_fn(|| {
                    chars.next_if(|(_, d)| d.is_ascii_digit()).map(|(_, d)| d)
                })
                .collect();
                let replaced = digits
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| n.checked_sub(1))
                    .and_then(&mut to);
                match replaced {
                    Some(r) => out.push_str(&r),
                    None => out.push_str(&text[i..i + 1 + digits.len()]),
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Arg, Sql};

    #[test]
    fn positional_text_binds_each_occurrence_in_order_and_leaves_quotes_alone() {
        let q = Sql::new("SELECT '$1', \"$2\" FROM t WHERE a = $2 AND b = $1 OR c = $2 AND d = $9")
            .bind(10_i64)
            .bind("x");
        let (text, args) = q.positional();
        assert_eq!(
            text,
            "SELECT '$1', \"$2\" FROM t WHERE a = ? AND b = ? OR c = ? AND d = $9"
        );
        assert_eq!(args, [&Arg::from("x"), &Arg::from(10_i64), &Arg::from("x")]);
    }

    #[test]
    fn a_nested_statement_keeps_its_values_numbered_after_the_outer_ones() {
        let inner = Sql::new("SELECT id FROM t WHERE a = $1 AND b = '$2' AND c = $2")
            .bind(1_i64)
            .bind("in");
        let mut q = Sql::new("SELECT * FROM u WHERE x = $1 AND id IN (").bind("out");
        q.push_sql(&inner).push(") AND y = ").push_bind(2_i64);
        assert_eq!(
            q.text(),
            "SELECT * FROM u WHERE x = $1 AND id IN (SELECT id FROM t WHERE a = $2 AND b = '$2' AND c = $3) AND y = $4"
        );
        assert_eq!(
            q.args(),
            [
                Arg::from("out"),
                Arg::from(1_i64),
                Arg::from("in"),
                Arg::from(2_i64)
            ]
        );
    }
}
