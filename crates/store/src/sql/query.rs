//! SQL text and its arguments, built together in a backend's dialect.
use time::OffsetDateTime;
use uuid::Uuid;

/// An argument of a built query, before the backend converts it to its
/// driver's type (SQLite keeps times as microseconds, PostgreSQL as
/// `timestamptz`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Int(i64),
    Time(OffsetDateTime),
    /// An id, stored as its backend stores ids (text, `uuid`).
    Uuid(Uuid),
    /// Several texts bound as one argument, matched with `Dialect::in_set`.
    TextSet(Vec<String>),
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<Uuid> for Arg {
    fn from(value: Uuid) -> Self {
        Self::Uuid(value)
    }
}

impl From<OffsetDateTime> for Arg {
    fn from(value: OffsetDateTime) -> Self {
        Self::Time(value)
    }
}

/// What differs in the SQL text of the shared queries from one backend to
/// another.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// What precedes an argument's number in its placeholder (`?` makes
    /// `?1`, `$` makes `$1`).
    pub placeholder: &'static str,
    /// The operator matching a `LIKE` pattern whatever the case.
    pub like_any_case: &'static str,
    /// The condition that `column` is one of the texts of the set bound at
    /// the placeholder `set` (an `Arg::TextSet`).
    pub in_set: fn(column: &str, set: &str) -> String,
    /// `column` as an expression no index serves, to keep the planner off
    /// an index it would pick wrongly (SQLite, without statistics, prefers
    /// the one that spares it a sort even when it then walks every row;
    /// PostgreSQL, with stale statistics, an organization it thinks small).
    pub unindexed: fn(column: &str) -> String,
    /// What serves a search of `TRIGRAM` characters or more.
    pub text_index: TextIndex,
}

/// The index a search of the name and description can use.
#[derive(Debug, Clone, Copy)]
pub enum TextIndex {
    /// None: a search reads the organization's rows.
    None,
    /// An index serves the `LIKE` rule itself (PostgreSQL's pg_trgm).
    ServesLike,
    /// A trigram index of its own (SQLite's FTS5): the condition that
    /// integration `seq` may hold the FTS5 phrase bound at `phrase` in its
    /// name or description narrows a search to its candidates before the
    /// `LIKE` rule decides.
    Candidates(fn(phrase: &str) -> String),
}

/// SQL text and its numbered arguments. Only which filters are given
/// shapes the text, never their values, so a handful of cached statements
/// serve every query.
#[derive(Debug, Clone)]
pub struct Query {
    pub sql: String,
    pub args: Vec<Arg>,
    /// Whether the best plan depends on the values: a `LIKE` pattern an
    /// index serves only once it is known. PostgreSQL then plans this call
    /// with its values, where a cached statement would soon settle on one
    /// generic plan that reads every row.
    pub plan_with_values: bool,
    dialect: Dialect,
}

impl Query {
    pub fn new(dialect: Dialect) -> Self {
        Self { sql: String::new(), args: Vec::new(), plan_with_values: false, dialect }
    }

    /// Adds `value` as the next argument and returns its placeholder.
    pub fn bind(&mut self, value: impl Into<Arg>) -> String {
        self.args.push(value.into());
        format!("{}{}", self.dialect.placeholder, self.args.len())
    }

    pub fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_count_the_arguments() {
        let dialect = Dialect {
            placeholder: "$",
            like_any_case: "ILIKE",
            in_set: |c, s| format!("{c} = ANY({s})"),
            unindexed: str::to_owned,
            text_index: TextIndex::None,
        };
        let mut query = Query::new(dialect);
        assert_eq!((query.bind("a"), query.bind(7)), ("$1".to_owned(), "$2".to_owned()));
        assert_eq!(query.args, [Arg::Text("a".into()), Arg::Int(7)]);
    }
}
