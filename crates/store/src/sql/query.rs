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
    /// Several texts bound as one argument (see `Sets`).
    TextSet(Vec<String>),
    /// Several ids bound as one argument (see `Sets`).
    UuidSet(Vec<Uuid>),
}

impl Arg {
    /// The value as an element of a set bound as one argument of texts.
    /// Sets hold names, tags and ids; no caller puts a time or a set in one.
    fn into_set_text(self) -> String {
        match self {
            Self::Text(text) => text,
            Self::Int(n) => n.to_string(),
            Self::Uuid(id) => id.to_string(),
            Self::Time(_) | Self::TextSet(_) | Self::UuidSet(_) => {
                unreachable!("a set holds texts, numbers and ids")
            }
        }
    }

    /// `values` as one argument: ids as ids (a `uuid` column takes no
    /// texts on PostgreSQL), anything else as texts.
    fn set_of(values: Vec<Self>) -> Self {
        let ids: Option<Vec<Uuid>> =
            values.iter().map(|value| if let Self::Uuid(id) = value { Some(*id) } else { None }).collect();
        match ids {
            Some(ids) => Self::UuidSet(ids),
            None => Self::TextSet(values.into_iter().map(Self::into_set_text).collect()),
        }
    }
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
    /// How a set of values is bound, for `Query::in_set`.
    pub sets: Sets,
    /// `column` as an expression no index serves, to keep the planner off
    /// an index it would pick wrongly (SQLite, without statistics, prefers
    /// the one that spares it a sort even when it then walks every row;
    /// PostgreSQL, with stale statistics, an organization it thinks small).
    pub unindexed: fn(column: &str) -> String,
    /// What serves a search of `TRIGRAM` characters or more.
    pub text_index: TextIndex,
    /// A bound `LIMIT` or `OFFSET` count as written in the statement.
    /// SQLite reads a bare placeholder's value while planning, so binding
    /// it again expires the statement and every call parsed and planned
    /// the query anew (a list paid that on each request); an expression
    /// keeps the plan cached.
    pub count: fn(placeholder: &str) -> String,
}

/// How a condition "`column` is one of these values" binds its values.
#[derive(Debug, Clone, Copy)]
pub enum Sets {
    /// All the values as one `Arg::TextSet`, and the condition that
    /// `column` is one of the texts of the set bound at the placeholder
    /// `set`: one cached statement serves any number of values (SQLite
    /// plans a statement once, whatever its values).
    OneArgument(fn(column: &str, set: &str) -> String),
    /// Up to `EACH_VALUE_MAX` values, `column IN (..)` with a placeholder
    /// per value, their number rounded up to a power of two by repeating
    /// the last value; more, one argument as `OneArgument` binds it.
    /// PostgreSQL plans `= ANY($n)` anew on every call, because its generic
    /// plan guesses ten elements and so never looks cheaper than a plan for
    /// the two or five it is given: planning cost a resolve more than
    /// running its queries. With a known count it settles on a generic plan
    /// after five calls, and the rounding keeps a handful of statements per
    /// query in the statement cache. Large sets stay one argument, as a
    /// statement takes at most 65,535.
    EachValue(fn(column: &str, set: &str) -> String),
}

/// The most values `Sets::EachValue` binds one by one.
pub const EACH_VALUE_MAX: usize = 64;

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

    /// Binds a `LIMIT` or `OFFSET` count (see `Dialect::count`).
    pub fn bind_count(&mut self, count: i64) -> String {
        let placeholder = self.bind(count);
        (self.dialect.count)(&placeholder)
    }

    pub fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    /// Binds `values` as the dialect binds a set and returns the condition
    /// that `column` is one of them: a single value is `column = value` in
    /// every dialect (the commonest set, one name or one tag, then reads
    /// its index directly). `values` must not be empty (`IN ()` is no
    /// SQL); callers with nothing to ask do not ask.
    pub fn in_set<V: Into<Arg>>(&mut self, column: &str, values: Vec<V>) -> String {
        assert!(!values.is_empty(), "an empty set asks nothing");
        let mut values: Vec<Arg> = values.into_iter().map(Into::into).collect();
        if values.len() == 1 {
            let value = self.bind(values.remove(0));
            return format!("{column} = {value}");
        }
        match self.dialect.sets {
            Sets::OneArgument(condition) => {
                let texts = values.into_iter().map(Arg::into_set_text).collect();
                let set = self.bind(Arg::TextSet(texts));
                condition(column, &set)
            }
            Sets::EachValue(many) if values.len() > EACH_VALUE_MAX => {
                let set = self.bind(Arg::set_of(values));
                many(column, &set)
            }
            Sets::EachValue(_) => {
                let last = values[values.len() - 1].clone();
                let padding = values.len().next_power_of_two() - values.len();
                let placeholders: Vec<String> = values
                    .into_iter()
                    .chain(std::iter::repeat_n(last, padding))
                    .map(|value| self.bind(value))
                    .collect();
                format!("{column} IN ({})", placeholders.join(", "))
            }
        }
    }
}

/// Dialects for the shared queries' unit tests, shaped as the backends'.
#[cfg(test)]
pub(crate) mod test_dialects {
    use super::{Dialect, Sets, TextIndex};

    /// PostgreSQL's shape, without its text index.
    pub const DOLLAR: Dialect = Dialect {
        placeholder: "$",
        like_any_case: "ILIKE",
        sets: Sets::EachValue(|column, set| format!("{column} = ANY({set})")),
        unindexed: |column| column.to_owned(),
        text_index: TextIndex::None,
        count: |placeholder| placeholder.to_owned(),
    };

    /// SQLite's shape, without its text index.
    pub const QUESTION: Dialect = Dialect {
        placeholder: "?",
        like_any_case: "LIKE",
        sets: Sets::OneArgument(|column, set| format!("{column} IN (SELECT value FROM json_each({set}))")),
        unindexed: |column| format!("+{column}"),
        text_index: TextIndex::None,
        count: |placeholder| format!("({placeholder} + 0)"),
    };
}

#[cfg(test)]
mod tests {
    use super::test_dialects::{DOLLAR, QUESTION};
    use super::*;

    #[test]
    fn placeholders_count_the_arguments() {
        let mut query = Query::new(DOLLAR);
        assert_eq!((query.bind("a"), query.bind(7)), ("$1".to_owned(), "$2".to_owned()));
        assert_eq!(query.args, [Arg::Text("a".into()), Arg::Int(7)]);
    }

    #[test]
    fn a_set_of_each_value_rounds_its_count_up_to_a_power_of_two() {
        let mut query = Query::new(DOLLAR);
        query.bind("acme");
        let condition = query.in_set("name", vec!["a", "b", "c"]);
        assert_eq!(condition, "name IN ($2, $3, $4, $5)");
        assert_eq!(query.args[1..], ["a", "b", "c", "c"].map(Arg::from));
        // Counts that are powers of two already are kept.
        let mut two = Query::new(DOLLAR);
        assert_eq!(two.in_set("id", vec![Uuid::nil(), Uuid::max()]), "id IN ($1, $2)");
        assert_eq!(two.args, [Arg::Uuid(Uuid::nil()), Arg::Uuid(Uuid::max())]);
        let mut four = Query::new(DOLLAR);
        assert_eq!(four.in_set("tag", vec!["a", "b", "c", "d"]).matches('$').count(), 4);
    }

    #[test]
    fn a_large_set_of_each_value_is_one_argument() {
        let texts: Vec<String> = (0..=EACH_VALUE_MAX).map(|i| format!("s{i}")).collect();
        let mut query = Query::new(DOLLAR);
        assert_eq!(query.in_set("name", texts.clone()), "name = ANY($1)");
        assert_eq!(query.args, [Arg::TextSet(texts)]);
        let ids = vec![Uuid::nil(); EACH_VALUE_MAX + 1];
        let mut query = Query::new(DOLLAR);
        assert_eq!(query.in_set("id", ids.clone()), "id = ANY($1)");
        assert_eq!(query.args, [Arg::UuidSet(ids)]);
        let mut query = Query::new(DOLLAR);
        assert_eq!(query.in_set("tag", vec!["t"; EACH_VALUE_MAX]).matches('$').count(), EACH_VALUE_MAX);
    }

    #[test]
    fn a_set_as_one_argument_holds_its_values_as_texts() {
        let mut query = Query::new(QUESTION);
        let condition = query.in_set("id", vec![Uuid::nil(), Uuid::max()]);
        assert_eq!(condition, "id IN (SELECT value FROM json_each(?1))");
        assert_eq!(query.args, [Arg::TextSet(vec![Uuid::nil().to_string(), Uuid::max().to_string()])]);
    }

    #[test]
    fn a_set_of_one_value_is_an_equality_in_every_dialect() {
        for (dialect, placeholder) in [(DOLLAR, "$1"), (QUESTION, "?1")] {
            let mut query = Query::new(dialect);
            assert_eq!(query.in_set("id", vec![Uuid::nil()]), format!("id = {placeholder}"));
            assert_eq!(query.args, [Arg::Uuid(Uuid::nil())]);
        }
    }

    #[test]
    #[should_panic(expected = "an empty set asks nothing")]
    fn an_empty_set_is_a_caller_bug() {
        Query::new(DOLLAR).in_set::<&str>("name", Vec::new());
    }
}
