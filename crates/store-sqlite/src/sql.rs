//! SQLite's side of `patchbay_store::sql`: its dialect, the shared
//! arguments as rusqlite values, and rusqlite rows as `Columns`.
use crate::time_codec::{from_micros, micros};
use patchbay_store::StoreError;
use patchbay_store::sql::{Arg, Columns, Dialect, Query, Sets, TextIndex};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Row, ToSql, params_from_iter};
use time::OffsetDateTime;
use uuid::Uuid;

pub const DIALECT: Dialect = Dialect {
    placeholder: "?",
    // SQLite's LIKE ignores ASCII case (`case_sensitive_like` is off).
    like_any_case: "LIKE",
    // A set is bound as a JSON array: one argument whatever its size.
    sets: Sets::OneArgument(|column, set| format!("{column} IN (SELECT value FROM json_each({set}))")),
    // Unary `+` is SQLite's way to say "not from an index".
    unindexed: |column| format!("+{column}"),
    text_index: TextIndex::Candidates(|phrase| {
        format!(
            "seq IN (SELECT rowid FROM custom_integrations_text WHERE custom_integrations_text MATCH {phrase})"
        )
    }),
    // A bare `LIMIT ?` expires the statement each time it is bound (SQLite
    // plans with the count's value); `(? + 0)` is no plain integer to it.
    count: |placeholder| format!("({placeholder} + 0)"),
};

/// A shared argument as SQLite stores it: times as microseconds, ids as
/// text, a set of texts as a JSON array.
struct SqliteArg<'a>(&'a Arg);

impl ToSql for SqliteArg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Arg::Text(text) => ToSqlOutput::from(text.as_str()),
            Arg::Int(n) => ToSqlOutput::from(*n),
            Arg::Time(at) => ToSqlOutput::from(micros(*at)),
            Arg::Uuid(id) => ToSqlOutput::from(id.to_string()),
            Arg::TextSet(texts) => ToSqlOutput::from(json_array(texts)?),
            Arg::UuidSet(ids) => {
                ToSqlOutput::from(json_array(&ids.iter().map(Uuid::to_string).collect::<Vec<_>>())?)
            }
        })
    }
}

fn json_array(values: &[String]) -> rusqlite::Result<String> {
    serde_json::to_string(values).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// A rusqlite row for the shared readers: ids are stored as text, times as
/// microseconds.
struct SqliteRow<'a, 'b>(&'a Row<'b>);

fn column(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::other("reading a column", e)
}

impl Columns for SqliteRow<'_, '_> {
    fn str_opt(&self, index: usize) -> Result<Option<&str>, StoreError> {
        match self.0.get_ref(index).map_err(column)? {
            ValueRef::Null => Ok(None),
            value => value.as_str().map(Some).map_err(column),
        }
    }

    fn int_opt(&self, index: usize) -> Result<Option<i64>, StoreError> {
        self.0.get(index).map_err(column)
    }

    fn int32_opt(&self, index: usize) -> Result<Option<i32>, StoreError> {
        self.0.get(index).map_err(column)
    }

    fn time_opt(&self, index: usize) -> Result<Option<OffsetDateTime>, StoreError> {
        let micros: Option<i64> = self.0.get(index).map_err(column)?;
        micros.map(from_micros).transpose().map_err(column)
    }

    fn uuid_opt(&self, index: usize) -> Result<Option<Uuid>, StoreError> {
        self.str_opt(index)?.map(Uuid::parse_str).transpose().map_err(column)
    }

    fn bytes(&self, index: usize) -> Result<Vec<u8>, StoreError> {
        self.0.get(index).map_err(column)
    }
}

/// A shared reader as a rusqlite row mapper. Its error travels inside the
/// rusqlite error to the caller's `failed(..)`, which names the read.
pub fn read<T>(
    reader: impl Fn(&dyn Columns) -> Result<T, StoreError>,
) -> impl Fn(&Row<'_>) -> rusqlite::Result<T> {
    move |row| reader(&SqliteRow(row)).map_err(carried)
}

/// A shared reader's error, carried inside rusqlite's to the caller.
fn carried(error: StoreError) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(error))
}

/// Runs a built query (a cached statement) and reads every row.
pub fn all<T>(
    conn: &Connection,
    query: &Query,
    reader: impl Fn(&dyn Columns) -> Result<T, StoreError>,
) -> rusqlite::Result<Vec<T>> {
    let mut rows = Vec::new();
    each(conn, query, |row| {
        rows.push(reader(row)?);
        Ok(())
    })?;
    Ok(rows)
}

/// Runs a built query (a cached statement) and hands each row to `visit`
/// while the statement holds it, so nothing need be copied out of it.
pub fn each(
    conn: &Connection,
    query: &Query,
    mut visit: impl FnMut(&dyn Columns) -> Result<(), StoreError>,
) -> rusqlite::Result<()> {
    let mut statement = conn.prepare_cached(&query.sql)?;
    let mut rows = statement.query(params_from_iter(query.args.iter().map(SqliteArg)))?;
    while let Some(row) = rows.next()? {
        visit(&SqliteRow(row)).map_err(carried)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_domain::{ListFilter, OrganizationId};
    use patchbay_store::sql::{integrations, revisions};
    use rusqlite::StatementStatus;

    /// A store in a directory of its own (removed by the test), and an org.
    fn fresh_store() -> (std::path::PathBuf, crate::SqliteStore, OrganizationId) {
        let dir = std::env::temp_dir().join(format!("patchbay-sql-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = crate::SqliteStore::open(&dir.join("store.db")).unwrap();
        (dir, store, OrganizationId::parse("acme").unwrap())
    }

    /// A list's statement stays prepared from call to call, whatever page
    /// it is asked for: SQLite re-parsed a bare `LIMIT ?` on every bind.
    #[test]
    fn paged_queries_are_not_prepared_again_on_each_call() {
        let (dir, store, org) = fresh_store();
        let pages = |limit: u32, offset: u32| {
            let tags = vec!["prod".to_owned()];
            [
                integrations(DIALECT, &org, &ListFilter { limit: Some(limit), offset, ..Default::default() }),
                integrations(
                    DIALECT,
                    &org,
                    &ListFilter { limit: Some(limit), offset, tags, ..Default::default() },
                ),
                revisions(DIALECT, 1, Some(limit), offset),
            ]
        };
        store
            .pool
            .read(|conn| {
                for n in 1..=5 {
                    for query in pages(n, n - 1) {
                        all(conn, &query, |_| Ok(())).unwrap();
                    }
                }
                for query in pages(1, 0) {
                    let statement = conn.prepare_cached(&query.sql).unwrap();
                    assert_eq!(statement.get_status(StatementStatus::RePrepare), 0, "{}", query.sql);
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A one-tag list reads the tag's key in order and sorts nothing:
    /// sorting the whole rows was two-fifths of the query.
    #[test]
    fn a_one_tag_list_reads_its_tag_rows_in_order_without_sorting() {
        let (dir, store, org) = fresh_store();
        let query =
            integrations(DIALECT, &org, &ListFilter { tags: vec!["prod".into()], ..Default::default() });
        let plan = store
            .pool
            .read(|conn| {
                let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", query.sql)).unwrap();
                let args: Vec<SqliteArg> = query.args.iter().map(SqliteArg).collect();
                let details = statement
                    .query_map(rusqlite::params_from_iter(args), |row| row.get::<_, String>(3))
                    .unwrap()
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .unwrap();
                Ok::<_, StoreError>(details.join("\n"))
            })
            .unwrap();
        assert!(plan.starts_with("SEARCH t USING PRIMARY KEY (organization_id=? AND tag=?)"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// The one-tag list finds rows through the tag key, yet checks the
    /// integration's own organization: a tag row pointing at another
    /// organization's integration (never written by the store) lists
    /// nothing, and an odd tag (quote, wildcard, empty) is only a value.
    #[tokio::test]
    async fn a_one_tag_list_never_crosses_into_another_organization() {
        use patchbay_store::{IntegrationStore, testing::new_integration};
        let (dir, store, acme) = fresh_store();
        let other = OrganizationId::parse("other").unwrap();
        let theirs = store.create_integration(&other, new_integration("theirs", "t", &["x"])).await.unwrap();
        let raw = Connection::open(dir.join("store.db")).unwrap();
        raw.execute(
            "INSERT INTO custom_integration_tags (organization_id, tag, created_at, integration_seq) \
             SELECT 'acme', 'x', created_at, seq FROM custom_integrations WHERE id = ?1",
            [theirs.id.to_string()],
        )
        .unwrap();
        let tagged = |tag: &str| ListFilter { tags: vec![tag.to_owned()], ..Default::default() };
        assert!(store.list_integrations(&acme, &tagged("x")).await.unwrap().is_empty());
        for odd in ["x' OR '1'='1", "%", ""] {
            assert!(store.list_integrations(&acme, &tagged(odd)).await.unwrap().is_empty(), "{odd}");
        }
        assert_eq!(store.list_integrations(&other, &tagged("x")).await.unwrap().len(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
