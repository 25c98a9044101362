//! Applies `migrations/*.sql` in order, each once, each in a transaction.
//! A migration that has landed is never edited: add a new one.
use patchbay_store::StoreError;
use rusqlite::{Connection, params};

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
];

pub fn run(conn: &mut Connection) -> Result<(), StoreError> {
    let fail = |context| move |e| StoreError::other(context, e);
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    TEXT    PRIMARY KEY,
            applied_at INTEGER NOT NULL
        )",
    )
    .map_err(fail("creating schema_migrations"))?;
    for (version, sql) in MIGRATIONS {
        let tx = conn.transaction().map_err(fail("starting a migration"))?;
        let applied: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                [version],
                |row| row.get(0),
            )
            .map_err(fail("reading schema_migrations"))?;
        if !applied {
            tracing::info!(version, "applying sqlite migration");
            tx.execute_batch(sql).map_err(fail("applying a migration"))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, unixepoch())",
                params![version],
            )
            .map_err(fail("recording a migration"))?;
        }
        tx.commit().map_err(fail("committing a migration"))?;
    }
    Ok(())
}
