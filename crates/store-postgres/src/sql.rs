//! PostgreSQL's side of `patchbay_store::sql`: its dialect, the shared
//! arguments as tokio-postgres parameters, and its rows as `Columns`.
use crate::classify::failed;
use deadpool_postgres::GenericClient;
use patchbay_store::StoreError;
use patchbay_store::sql::{Arg, Columns, Dialect, Query, Sets, TextIndex};
use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql};
use uuid::Uuid;

pub const DIALECT: Dialect = Dialect {
    placeholder: "$",
    like_any_case: "ILIKE",
    // A large set is one `text[]` or `uuid[]` parameter.
    sets: Sets::EachValue(|column, set| format!("{column} = ANY({set})")),
    // PostgreSQL plans from its statistics, which lag a bulk load: until
    // they catch up it walks an organization's rows for a tag filter or a
    // search it believes small. An expression keeps it on the tag and
    // trigram indexes, whose cost follows what they find.
    unindexed: |column| format!("({column} || '')"),
    text_index: TextIndex::ServesLike,
    count: |placeholder| placeholder.to_owned(),
};

/// A shared argument as the parameter of its PostgreSQL type.
fn parameter(arg: &Arg) -> &(dyn ToSql + Sync) {
    match arg {
        Arg::Text(text) => text,
        Arg::Int(n) => n,
        Arg::Time(at) => at,
        Arg::Uuid(id) => id,
        Arg::TextSet(texts) => texts,
        Arg::UuidSet(ids) => ids,
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
    fn str_opt(&self, index: usize) -> Result<Option<&str>, StoreError> {
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
    let mut rows = Vec::new();
    each(db, query, context, |row| {
        rows.push(reader(row)?);
        Ok(())
    })
    .await?;
    Ok(rows)
}

/// Runs a built query and hands each row to `visit`, borrowed, so nothing
/// need be copied out of it.
pub async fn each(
    db: &impl GenericClient,
    query: &Query,
    context: &'static str,
    mut visit: impl FnMut(&dyn Columns) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let statement = if query.plan_with_values {
        // A statement prepared for this call is planned with its values.
        db.prepare(&query.sql).await
    } else {
        db.prepare_cached(&query.sql).await
    };
    let statement = statement.map_err(failed("preparing a query"))?;
    let parameters: Vec<&(dyn ToSql + Sync)> = query.args.iter().map(parameter).collect();
    let rows = db.query(&statement, &parameters).await.map_err(failed(context))?;
    rows.iter().try_for_each(|row| visit(&PostgresRow(row)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PostgresStore;
    use crate::testing::TestDatabase;
    use patchbay_domain::{ListFilter, OrganizationId, SecretName};
    use patchbay_store::sql::{integrations, integrations_by_ids, integrations_by_names, secret_values};

    /// Right after a bulk load, before autovacuum has analyzed it, the
    /// planner still believes the organization small; a search and a tag
    /// filter must use their indexes anyway (a walk of the organization
    /// took 250-300 ms at 100,000).
    #[tokio::test]
    async fn searches_and_tag_filters_use_their_indexes_before_statistics_catch_up() {
        let Some(database) = TestDatabase::from_env().await else { return };
        PostgresStore::connect(database.url()).await.unwrap();
        let (client, connection) =
            tokio_postgres::connect(database.url(), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        client
            .batch_execute(
                "INSERT INTO custom_integrations (id, organization_id, name, integration_type, description, \
                     status, config, tags, created_at, updated_at) \
                 SELECT gen_random_uuid(), 'org-small', 'small-' || g, 't', NULL, 'active', '{}', '[]', now(), now() \
                 FROM generate_series(1, 200) g; \
                 ANALYZE custom_integrations; \
                 INSERT INTO custom_integrations (id, organization_id, name, integration_type, description, \
                     status, config, tags, created_at, updated_at) \
                 SELECT gen_random_uuid(), 'org-big', 'integration-' || g, 't', 'number ' || g, 'active', '{}', \
                     '[]', now() - g * interval '1 second', now() \
                 FROM generate_series(1, 20000) g; \
                 INSERT INTO custom_integration_tags (organization_id, tag, created_at, integration_seq) \
                 SELECT organization_id, 'tag-' || (seq % 400), created_at, seq FROM custom_integrations \
                 WHERE organization_id = 'org-big';",
            )
            .await
            .unwrap();
        let org = OrganizationId::parse("org-big").unwrap();
        let search = ListFilter { query: Some("zzzz-nomatch".into()), ..Default::default() };
        let tagged = ListFilter { tags: vec!["tag-7".into()], ..Default::default() };
        for (filter, index) in
            [(search, "custom_integrations_name_trgm"), (tagged, "custom_integration_tags")]
        {
            let query = integrations(DIALECT, &org, &filter);
            let parameters: Vec<&(dyn ToSql + Sync)> = query.args.iter().map(parameter).collect();
            let plan = crate::testing::explain(&client, &query.sql, &parameters).await;
            assert!(plan.contains(index), "{filter:?} should use {index}:\n{plan}");
            assert!(!plan.contains("custom_integrations_org_created"), "{filter:?} walks the org:\n{plan}");
        }
    }

    /// The reads of a resolve settle on one generic plan each: planning
    /// them anew on every call (as `= ANY($n)` made PostgreSQL do) cost a
    /// resolve more than running them.
    #[tokio::test]
    async fn the_reads_of_a_resolve_are_planned_once() {
        let Some(database) = TestDatabase::from_env().await else { return };
        let store = PostgresStore::connect(database.url()).await.unwrap();
        // One pooled connection, as a request has: its statement cache.
        let client = crate::pool::client(&store.pool).await.unwrap();
        let org = OrganizationId::parse("acme").unwrap();
        let names: Vec<String> = (0..5).map(|i| format!("integration-{i}")).collect();
        let secrets: Vec<SecretName> =
            (0..10).map(|i| SecretName::parse(&format!("SECRET_{i}")).unwrap()).collect();
        let ids: Vec<uuid::Uuid> = (0..3).map(|_| uuid::Uuid::new_v4()).collect();
        let queries = [
            integrations_by_names(DIALECT, &org, &names).unwrap(),
            secret_values(DIALECT, &org, &secrets).unwrap(),
            integrations_by_ids(DIALECT, &org, &ids).unwrap(),
        ];
        for query in &queries {
            for _ in 0..8 {
                all(&client, query, "a resolve's read", |_| Ok(())).await.unwrap();
            }
        }
        let plans = client
            .query("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements", &[])
            .await
            .unwrap();
        for query in &queries {
            let row = plans.iter().find(|row| row.get::<_, String>(0) == query.sql).expect("prepared");
            let (generic, custom): (i64, i64) = (row.get(1), row.get(2));
            assert!(generic >= 3 && custom <= 5, "{}: {generic} generic, {custom} custom plans", query.sql);
        }
    }
}
