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
    ("20261203000000_tag_order", include_str!("../migrations/20261203000000_tag_order.sql")),
];

pub fn run(conn: &mut Connection) -> Result<(), StoreError> {
    apply(conn, MIGRATIONS)
}

/// Applies those of `migrations` not yet recorded, in order.
fn apply(conn: &mut Connection, migrations: &[(&str, &str)]) -> Result<(), StoreError> {
    let fail = |context| move |e| StoreError::other(context, e);
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    TEXT    PRIMARY KEY,
            applied_at INTEGER NOT NULL
        )",
    )
    .map_err(fail("creating schema_migrations"))?;
    for (version, sql) in migrations {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The tag-order migration rebuilds the tag table: every tag row is
    /// kept, each with its integration's creation instant.
    #[test]
    fn tag_rows_keep_their_tags_and_gain_their_integrations_creation_instant() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        let at = MIGRATIONS.iter().position(|(version, _)| *version == "20261203000000_tag_order").unwrap();
        apply(&mut conn, &MIGRATIONS[..at]).unwrap();
        conn.execute_batch(
            "INSERT INTO custom_integrations (id, organization_id, name, integration_type, status, config, \
                 tags, created_at, updated_at, revision) VALUES \
             ('a', 'acme', 'older', 't', 'active', '{}', '[\"x\",\"y\"]', 100, 100, 1), \
             ('b', 'acme', 'newer', 't', 'active', '{}', '[\"x\"]', 200, 200, 1); \
             INSERT INTO custom_integration_tags (organization_id, tag, integration_seq) \
             SELECT 'acme', j.value, seq FROM custom_integrations, json_each(tags) AS j;",
        )
        .unwrap();
        apply(&mut conn, MIGRATIONS).unwrap();
        let mut statement = conn
            .prepare(
                "SELECT t.tag, i.name, t.created_at FROM custom_integration_tags t \
                 JOIN custom_integrations i ON i.seq = t.integration_seq ORDER BY t.tag, t.created_at DESC",
            )
            .unwrap();
        let found: Vec<(String, String, i64)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let expected = [("x", "newer", 200), ("x", "older", 100), ("y", "older", 100)];
        assert_eq!(found, expected.map(|(tag, name, at)| (tag.to_owned(), name.to_owned(), at)));
        // The cascade from an integration to its tag rows still holds.
        conn.execute("DELETE FROM custom_integrations WHERE id = 'a'", []).unwrap();
        let left: i64 =
            conn.query_row("SELECT COUNT(*) FROM custom_integration_tags", [], |row| row.get(0)).unwrap();
        assert_eq!(left, 1);
    }
}
