//! Start-up against a shared database: replicas starting at once apply each
//! migration exactly once (skipped without `PATCHBAY_TEST_DATABASE_URL`).
use patchbay_store::Store;
use patchbay_store_postgres::PostgresStore;
use patchbay_store_postgres::testing::TestDatabase;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_apply_each_migration_once() {
    let Some(database) = TestDatabase::from_env().await else {
        return;
    };
    let starts: Vec<_> = (0..6)
        .map(|_| {
            let url = database.url().to_owned();
            tokio::spawn(async move { PostgresStore::connect(&url).await })
        })
        .collect();
    for start in starts {
        let store = start.await.unwrap().expect("every replica starts");
        store.ping().await.unwrap();
        assert_eq!(store.backend(), "postgres");
    }
    // A restart finds nothing left to do.
    PostgresStore::connect(database.url()).await.unwrap();

    let (client, connection) = tokio_postgres::connect(database.url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let applied: i64 = client.query_one("SELECT count(*) FROM schema_migrations", &[]).await.unwrap().get(0);
    // Every file of migrations/ once, whoever adds the next one.
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap().count();
    assert_eq!(applied, i64::try_from(files).unwrap());
}

#[tokio::test]
async fn a_bad_url_fails_without_echoing_the_password() {
    let error = PostgresStore::connect("postgres://app:s3cret@127.0.0.1:1/none?connect_timeout=1")
        .await
        .err()
        .expect("nothing listens on port 1");
    assert!(!format!("{error} {error:?}").contains("s3cret"), "{error:?}");
}
