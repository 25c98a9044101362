//! PostgreSQL's side of `patchbay_store::sql`: its dialect, the shared
//! arguments as tokio-postgres parameters, and its rows as `Columns`.
use crate::classify::failed;
use deadpool_postgres::GenericClient;
use patchbay_store::StoreError;
use patchbay_store::sql::{Arg, Columns, Dialect, Query};
use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql};
use uuid::Uuid;

pub const DIALECT: Dialect = Dialect {
    placeholder: "$",
    like_any_case: "ILIKE",
    // A set is one `text[]` parameter.
    in_set: |column, set| format!("{column} = ANY({set})"),
    // PostgreSQL plans from its statistics and needs no steering.
    unindexed: |column| column.to_owned(),
    text_candidates: None,
};

/// A shared argument as the parameter of its PostgreSQL type.
fn parameter(arg: &Arg) -> &(dyn ToSql + Sync) {
    match arg {
        Arg::Text(text) => text,
        Arg::Int(n) => n,
        Arg::Time(at) => at,
        Arg::Uuid(id) => id,
        Arg::TextSet(texts) => texts,
    }
}

/// A tokio-postgres row for the shared readers.
struct PostgresRow<'a>(&'a Row);

impl PostgresRow<'_> {
    fn get<'a, T: FromSql<'a>>(&'a self, index: usize) -> Result<T, StoreError> {
        self.0.try_get(index).map_err(|e| StoreError::other("reading a column", e))
    }
}

impl Columns for PostgresRow<'_> {
    fn text_opt(&self, index: usize) -> Result<Option<String>, StoreError> {
        self.get(index)
    }

    fn int_opt(&self, index: usize) -> Result<Option<i64>, StoreError> {
        self.get(index)
    }

    fn int32_opt(&self, index: usize) -> Result<Option<i32>, StoreError> {
        self.get(index)
    }

    fn time_opt(&self, index: usize) -> Result<Option<OffsetDateTime>, StoreError> {
        self.get(index)
    }

    fn uuid_opt(&self, index: usize) -> Result<Option<Uuid>, StoreError> {
        self.get(index)
    }

    fn bytes(&self, index: usize) -> Result<Vec<u8>, StoreError> {
        self.get(index)
    }
}

/// `row` read with a shared reader.
pub fn read<T>(
    row: &Row,
    reader: impl FnOnce(&dyn Columns) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    reader(&PostgresRow(row))
}

/// Runs a built query (a cached statement) and reads every row.
pub async fn all<T>(
    db: &impl GenericClient,
    query: &Query,
    context: &'static str,
    reader: impl Fn(&dyn Columns) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let statement = if query.plan_with_values {
        // A statement prepared for this call is planned with its values.
        db.prepare(&query.sql).await
    } else {
        db.prepare_cached(&query.sql).await
    };
    let statement = statement.map_err(failed("preparing a query"))?;
    let parameters: Vec<&(dyn ToSql + Sync)> = query.args.iter().map(parameter).collect();
    let rows = db.query(&statement, &parameters).await.map_err(failed(context))?;
    rows.iter().map(|row| reader(&PostgresRow(row))).collect()
}
