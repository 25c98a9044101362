//! Applies `migrations/*.sql` in order, each once, each in a transaction.
//! A migration that has landed is never edited: add a new one.
//!
//! Several replicas may start at once; each transaction first takes one
//! transaction-scoped advisory lock, so exactly one of them applies a
//! migration and the others wait, then see it recorded and skip it.
use deadpool_postgres::Client;
use patchbay_store::StoreError;

const MIGRATIONS: &[(&str, &str)] = &[
    ("20261128000000_integrations", include_str!("../migrations/20261128000000_integrations.sql")),
    ("20261128010000_vault", include_str!("../migrations/20261128010000_vault.sql")),
    (
        "20261128020000_integration_revision",
        include_str!("../migrations/20261128020000_integration_revision.sql"),
    ),
    ("20261128040000_history", include_str!("../migrations/20261128040000_history.sql")),
    ("20261128050000_connection_tests", include_str!("../migrations/20261128050000_connection_tests.sql")),
    ("20261201000000_approvals", include_str!("../migrations/20261201000000_approvals.sql")),
    ("20261201020000_console_sessions", include_str!("../migrations/20261201020000_console_sessions.sql")),
    (
        "20261201030000_dynamic_credentials",
        include_str!("../migrations/20261201030000_dynamic_credentials.sql"),
    ),
    ("20261201040000_webhooks", include_str!("../migrations/20261201040000_webhooks.sql")),
    ("20261201050000_health", include_str!("../migrations/20261201050000_health.sql")),
    ("20261202000000_text_search", include_str!("../migrations/20261202000000_text_search.sql")),
    ("20261203000000_tag_order", include_str!("../migrations/20261203000000_tag_order.sql")),
];

/// "patchbay" in ASCII: a key no other application is likely to lock.
const LOCK_KEY: i64 = 0x7061_7463_6862_6179;

pub async fn run(client: &mut Client) -> Result<(), StoreError> {
    apply(client, MIGRATIONS).await
}

/// Applies those of `migrations` not yet recorded, in order.
async fn apply(client: &mut tokio_postgres::Client, migrations: &[(&str, &str)]) -> Result<(), StoreError> {
    let fail = |context| move |e| StoreError::other(context, e);
    // Even `CREATE TABLE IF NOT EXISTS` can fail when two sessions race, so
    // the bookkeeping table is created under the lock too.
    let tx = client.transaction().await.map_err(fail("starting a migration"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(fail("locking for migrations"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    TEXT        PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(fail("creating schema_migrations"))?;
    tx.commit().await.map_err(fail("committing schema_migrations"))?;

    for (version, sql) in migrations {
        let tx = client.transaction().await.map_err(fail("starting a migration"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
            .await
            .map_err(fail("locking for migrations"))?;
        let applied: bool = tx
            .query_one("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", &[version])
            .await
            .map_err(fail("reading schema_migrations"))?
            .get(0);
        if !applied {
            tracing::info!(version, "applying postgres migration");
            tx.batch_execute(sql).await.map_err(fail("applying a migration"))?;
            tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[version])
                .await
                .map_err(fail("recording a migration"))?;
        }
        tx.commit().await.map_err(fail("committing a migration"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestDatabase;

    /// The tag-order migration keeps every tag row, each with its
    /// integration's creation instant, and the tag lists read in order.
    #[tokio::test]
    async fn tag_rows_keep_their_tags_and_gain_their_integrations_creation_instant() {
        let Some(database) = TestDatabase::from_env().await else { return };
        let (mut client, connection) =
            tokio_postgres::connect(database.url(), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        let at = MIGRATIONS.iter().position(|(version, _)| *version == "20261203000000_tag_order").unwrap();
        apply(&mut client, &MIGRATIONS[..at]).await.unwrap();
        client
            .batch_execute(
                "INSERT INTO custom_integrations (id, organization_id, name, integration_type, status, \
                     config, tags, created_at, updated_at, revision) VALUES \
                 (gen_random_uuid(), 'acme', 'older', 't', 'active', '{}', '[\"x\",\"y\"]', \
                     '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1), \
                 (gen_random_uuid(), 'acme', 'newer', 't', 'active', '{}', '[\"x\"]', \
                     '2026-02-01T00:00:00Z', '2026-02-01T00:00:00Z', 1); \
                 INSERT INTO custom_integration_tags (organization_id, tag, integration_seq) \
                 SELECT 'acme', tag, seq FROM custom_integrations, \
                     jsonb_array_elements_text(tags::jsonb) AS tag;",
            )
            .await
            .unwrap();
        apply(&mut client, MIGRATIONS).await.unwrap();
        let rows = client
            .query(
                "SELECT t.tag, i.name FROM custom_integration_tags t \
                 JOIN custom_integrations i ON i.seq = t.integration_seq AND i.created_at = t.created_at \
                 ORDER BY t.tag, t.created_at DESC",
                &[],
            )
            .await
            .unwrap();
        let found: Vec<(String, String)> = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
        let expected = [("x", "newer"), ("x", "older"), ("y", "older")];
        assert_eq!(found, expected.map(|(tag, name)| (tag.to_owned(), name.to_owned())));
    }
}
