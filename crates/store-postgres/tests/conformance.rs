//! The store conformance suite on PostgreSQL, one database per case, when
//! `PATCHBAY_TEST_DATABASE_URL` names a server (skipped otherwise).
use patchbay_store::Store;
use patchbay_store_postgres::PostgresStore;
use patchbay_store_postgres::testing::TestDatabase;
use std::sync::Arc;

async fn fresh_store() -> Option<(Arc<dyn Store>, TestDatabase)> {
    let database = TestDatabase::from_env().await?;
    let store = PostgresStore::connect(database.url()).await.unwrap();
    Some((Arc::new(store), database))
}

patchbay_store::conformance_tests!(fresh_store);
