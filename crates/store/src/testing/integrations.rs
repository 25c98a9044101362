//! Conformance cases for integrations.
use crate::{Conflict, DeleteMode, RowWriter, Store, StoreError, StoredRow};
use patchbay_domain::{
    ConnectionTest, EnvVarName, FileMode, FilePath, FileSpec, IntegrationConfig, IntegrationPatch,
    IntegrationStatus, ListFilter, NewIntegration, OrganizationId, TestTimeout,
};
use std::sync::Arc;

pub fn org(name: &str) -> OrganizationId {
    OrganizationId::parse(name).expect("non-empty organization")
}

/// A minimal valid integration.
pub fn new_integration(name: &str, integration_type: &str, tags: &[&str]) -> NewIntegration {
    NewIntegration {
        name: name.to_owned(),
        integration_type: integration_type.to_owned(),
        description: None,
        config: IntegrationConfig::default(),
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
        status: IntegrationStatus::Active,
        created_by: Some("user-1".to_owned()),
        created_by_admin: false,
    }
}

/// A config with every part filled, to prove nothing is lost on the way.
pub fn full_config() -> IntegrationConfig {
    let name = |n: &str| EnvVarName::parse(n).unwrap();
    IntegrationConfig {
        env_vars: [("DB_HOST", "db.internal"), ("DB_PORT", "5432"), ("A_FIRST", "ünïcode ✓")]
            .into_iter()
            .map(|(k, v)| (name(k), v.to_owned()))
            .collect(),
        secrets: vec![name("DB_PASSWORD")],
        files: vec![
            FileSpec {
                path: FilePath::parse("~/.postgresql/client.crt").unwrap(),
                content: None,
                secret_ref: Some("PG_CERT".into()),
                mode: Some(FileMode::parse("0600").unwrap()),
                description: Some("client certificate".into()),
            },
            FileSpec {
                path: FilePath::parse("notes.txt").unwrap(),
                content: Some("line 1\nline 2\n".into()),
                secret_ref: None,
                mode: None,
                description: None,
            },
        ],
        context_prompt: Some("Production database. Be careful.".into()),
        connection_test: Some(ConnectionTest {
            enabled: false,
            command: "pg_isready -h $DB_HOST".into(),
            timeout: TestTimeout::parse(7).unwrap(),
            interval_seconds: Some(60),
        }),
        dynamic_credentials: vec![patchbay_domain::DynamicCredential {
            provider: patchbay_domain::ProviderName::parse("pg").unwrap(),
            role: patchbay_domain::ProviderName::parse("readonly").unwrap(),
            ttl_seconds: Some(600),
            env: patchbay_domain::CredentialEnv {
                username: Some(name("PGUSER")),
                password: Some(name("PGPASSWORD")),
            },
        }],
    }
}

fn names(list: &[patchbay_domain::Integration]) -> Vec<&str> {
    list.iter().map(|i| i.name.as_str()).collect()
}

fn assert_name_conflict(result: Result<impl std::fmt::Debug, StoreError>, name: &str) {
    match result {
        Err(StoreError::Conflict(Conflict::IntegrationName(taken))) => assert_eq!(taken, name),
        other => panic!("expected a name conflict on {name}, got {other:?}"),
    }
}

fn assert_not_found(result: Result<impl std::fmt::Debug, StoreError>) {
    match result {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("expected not found, got {other:?}"),
    }
}

pub async fn create_and_get_round_trip(store: Arc<dyn Store>) {
    let a = org("org-a");
    let mut new = new_integration("pg", "postgres", &["prod", "db", "prod"]);
    new.description = Some("main database".into());
    new.config = full_config();
    let created = store.create_integration(&a, new.clone()).await.unwrap();
    assert_eq!(created.organization_id, a);
    assert_eq!(created.name, "pg");
    assert_eq!(created.description.as_deref(), Some("main database"));
    assert_eq!(created.config, full_config());
    assert_eq!(created.tags, vec!["prod", "db", "prod"], "tags are kept as sent");
    assert_eq!(created.status, IntegrationStatus::Active);
    assert_eq!(created.created_at, created.updated_at);
    assert_eq!(created.created_by.as_deref(), Some("user-1"));

    let fetched = store.get_integration(&a, created.id).await.unwrap();
    assert_eq!(fetched, created);
    let env_order: Vec<_> = fetched.config.env_vars.keys().map(|k| k.as_str()).collect();
    assert_eq!(env_order, ["DB_HOST", "DB_PORT", "A_FIRST"], "env var order is kept");
}

pub async fn other_organization_sees_nothing(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    let created = store.create_integration(&a, new_integration("pg", "postgres", &["x"])).await.unwrap();
    assert_not_found(store.get_integration(&b, created.id).await);
    assert_not_found(
        store
            .update_integration(
                &b,
                created.id,
                IntegrationPatch { name: Some("stolen".into()), ..Default::default() },
            )
            .await,
    );
    assert_not_found(store.delete_integration(&b, created.id, DeleteMode::Soft).await);
    assert_not_found(store.delete_integration(&b, created.id, DeleteMode::Hard).await);
    let filter = ListFilter { tags: vec!["x".into()], ..Default::default() };
    assert!(store.list_integrations(&b, &ListFilter::default()).await.unwrap().is_empty());
    assert!(store.list_integrations(&b, &filter).await.unwrap().is_empty());
    // Untouched by all of the above.
    assert_eq!(store.get_integration(&a, created.id).await.unwrap(), created);
}

/// Many gets at once, from two organizations, each for its own rows and
/// for the other's: PostgreSQL answers them in one pipeline on a shared
/// connection, and every answer must reach the request that asked, never
/// another tenant's.
pub async fn concurrent_gets_each_answer_their_own_request(store: Arc<dyn Store>) {
    let orgs = [org("org-a"), org("org-b")];
    let mut rows = Vec::new();
    for (o, organization) in orgs.iter().enumerate() {
        for i in 0..10 {
            let mut new = new_integration(&format!("pg-{i}"), "postgres", &[]);
            new.description = Some(format!("{organization} {i}"));
            rows.push((o, store.create_integration(organization, new).await.unwrap()));
        }
    }
    let rows = Arc::new(rows);
    // Fewer than the default wait cap (128), which a pipelined read counts
    // against while it is in flight.
    let tasks: Vec<_> = (0..120)
        .map(|n| {
            let (store, rows, orgs) = (store.clone(), rows.clone(), orgs.clone());
            tokio::spawn(async move {
                let (owner, expected) = &rows[n % rows.len()];
                // Every third request asks from the organization that does not own the row.
                let asker = if n % 3 == 0 { 1 - owner } else { *owner };
                let got = store.get_integration(&orgs[asker], expected.id).await;
                if asker == *owner {
                    assert_eq!(&got.unwrap(), expected, "request {n}");
                } else {
                    assert_not_found(got);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

pub async fn duplicate_name_conflicts(store: Arc<dyn Store>) {
    let a = org("org-a");
    store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    assert_name_conflict(store.create_integration(&a, new_integration("pg", "mysql", &[])).await, "pg");
    assert_eq!(store.list_integrations(&a, &ListFilter::default()).await.unwrap().len(), 1);
}

pub async fn names_are_case_sensitive_and_per_organization(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    store.create_integration(&a, new_integration("PG", "postgres", &[])).await.unwrap();
    store.create_integration(&a, new_integration(" pg", "postgres", &[])).await.unwrap();
    store.create_integration(&b, new_integration("pg", "postgres", &[])).await.unwrap();
}

pub async fn soft_delete_frees_the_name(store: Arc<dyn Store>) {
    let a = org("org-a");
    let first = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    store.delete_integration(&a, first.id, DeleteMode::Soft).await.unwrap();
    let second = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    assert_ne!(first.id, second.id);
    let deleted = store.get_integration(&a, first.id).await.unwrap();
    assert_eq!(deleted.status, IntegrationStatus::Deleted);
}

pub async fn concurrent_creates_of_one_name_give_one_winner(store: Arc<dyn Store>) {
    let a = org("org-a");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, a) = (store.clone(), a.clone());
            tokio::spawn(
                async move { store.create_integration(&a, new_integration("pg", "postgres", &[])).await },
            )
        })
        .collect();
    let (mut created, mut conflicts) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::Conflict(_)) => conflicts += 1,
            Err(other) => panic!("a concurrent create failed: {other}"),
        }
    }
    assert_eq!((created, conflicts), (1, 19));
}

/// Racing upserts of one name: one creates, the others update the same
/// integration, none fails; an identical upsert writes nothing.
pub async fn concurrent_upserts_of_one_name_make_one_integration(store: Arc<dyn Store>) {
    let a = org("org-a");
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let (store, a) = (store.clone(), a.clone());
            tokio::spawn(async move {
                let mut new = new_integration("pg", "postgres", &[]);
                new.description = Some(format!("writer {i}"));
                store.upsert_integration_by_name(&a, new, crate::Change::by(Some("u".into()))).await
            })
        })
        .collect();
    let mut created = 0;
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let (integration, was_created) = task.await.unwrap().expect("no upsert fails for the race");
        created += usize::from(was_created);
        ids.insert(integration.id);
    }
    assert_eq!((created, ids.len()), (1, 1));
    let id = *ids.iter().next().unwrap();
    assert_eq!(store.list_revisions(&a, id, None, 0).await.unwrap().len(), 12, "one create, eleven updates");

    let current = store.get_integration(&a, id).await.unwrap();
    let mut same = new_integration("pg", "postgres", &[]);
    same.description = current.description.clone();
    let (again, was_created) =
        store.upsert_integration_by_name(&a, same, crate::Change::by(None)).await.unwrap();
    assert!(!was_created);
    assert_eq!((again.revision, again.updated_at), (current.revision, current.updated_at), "nothing changed");
}

pub async fn list_is_newest_first_and_hides_deleted(store: Arc<dyn Store>) {
    let a = org("org-a");
    for name in ["one", "two", "three", "four"] {
        store.create_integration(&a, new_integration(name, "t", &[])).await.unwrap();
    }
    let all = store.list_integrations(&a, &ListFilter::default()).await.unwrap();
    assert_eq!(names(&all), ["four", "three", "two", "one"]);
    let three = all[1].id;
    store.delete_integration(&a, three, DeleteMode::Soft).await.unwrap();
    let listed = store.list_integrations(&a, &ListFilter::default()).await.unwrap();
    assert_eq!(names(&listed), ["four", "two", "one"]);
}

/// The stored text a list or read hands out is exactly what writing the
/// parsed config and tags gives, so the HTTP layer may copy it into its
/// bodies unparsed; another organization reads none of it.
pub async fn stored_list_is_the_text_the_parsed_values_write(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    let mut new = new_integration("pg \"quoted\" ✓", "postgres", &["prod", "é\u{1}\n", "prod"]);
    new.description = Some("line\u{1}\t\"two\"".into());
    new.config = full_config();
    let prompt = "nul \u{0}, quote \", backslash \\, \u{2028} </script>";
    new.config.context_prompt = Some(prompt.into());
    let created = store.create_integration(&a, new).await.unwrap();
    let bare = store.create_integration(&a, new_integration("bare", "t", &[])).await.unwrap();
    let patch = IntegrationPatch { tags: Some(vec!["later".into()]), ..Default::default() };
    store.update_integration(&a, bare.id, patch).await.unwrap();

    let stored = store.list_stored_integrations(&a, &ListFilter::default()).await.unwrap();
    assert_eq!(stored.len(), 2);
    for row in stored {
        let integration = row.clone().decode().unwrap();
        assert_eq!(row.config_json, crate::codec::encode_config(&integration.config));
        assert_eq!(row.tags_json, crate::codec::encode_tags(&integration.tags));
        assert_eq!(integration, store.get_integration(&a, row.id).await.unwrap());
        assert_eq!(store.get_stored_integration(&a, row.id).await.unwrap(), row);
        assert_not_found(store.get_stored_integration(&b, row.id).await);
    }
    let read = store.get_integration(&a, created.id).await.unwrap();
    assert_eq!(read.config.context_prompt.as_deref(), Some(prompt));
    assert!(store.list_stored_integrations(&b, &ListFilter::default()).await.unwrap().is_empty());
}

/// Written rows are the listed rows, in the list's order, whatever the
/// filter and page; another organization's are never written.
pub async fn written_rows_are_the_listed_rows(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    for i in 0..5 {
        let tags: &[&str] = if i % 2 == 0 { &["even"] } else { &[] };
        let mut new = new_integration(&format!("int-{i}"), "postgres", tags);
        new.description = (i == 3).then(|| "with \"quotes\"".to_owned());
        store.create_integration(&a, new).await.unwrap();
    }
    store.create_integration(&b, new_integration("other", "postgres", &["even"])).await.unwrap();
    /// Each row's owned form, one per line, after what the buffer holds.
    fn debug_line(out: &mut Vec<u8>, place: usize, row: &StoredRow<'_>) {
        out.extend_from_slice(format!("{place}: {:?}\n", row.to_owned().unwrap()).as_bytes());
    }
    let filters = [
        ListFilter::default(),
        ListFilter { tags: vec!["even".into()], ..Default::default() },
        ListFilter { limit: Some(2), offset: 1, ..Default::default() },
        ListFilter { query: Some("quotes".into()), ..Default::default() },
    ];
    for filter in filters {
        let listed = store.list_stored_integrations(&a, &filter).await.unwrap();
        let expected: String =
            listed.iter().enumerate().map(|(place, row)| format!("{place}: {row:?}\n")).collect();
        let writer = RowWriter::new(b"start\n".to_vec(), debug_line);
        let (written, rows) = store.write_stored_integrations(&a, &filter, writer).await.unwrap().finish();
        assert_eq!(String::from_utf8(written).unwrap(), format!("start\n{expected}"), "{filter:?}");
        assert_eq!(rows, listed.len());
        assert!(!listed.is_empty(), "{filter:?} lists something");
    }
}

pub async fn list_filters_by_status_and_type(store: Arc<dyn Store>) {
    let a = org("org-a");
    let pg = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    let cache = store.create_integration(&a, new_integration("cache", "redis", &[])).await.unwrap();
    let gone = store.create_integration(&a, new_integration("gone", "postgres", &[])).await.unwrap();
    let idle = IntegrationPatch { status: Some(IntegrationStatus::Inactive), ..Default::default() };
    store.update_integration(&a, cache.id, idle).await.unwrap();
    store.delete_integration(&a, gone.id, DeleteMode::Soft).await.unwrap();

    let by = |status: Option<IntegrationStatus>, kind: Option<&str>| ListFilter {
        status,
        integration_type: kind.map(str::to_owned),
        ..Default::default()
    };
    let list = |filter: ListFilter| {
        let store = store.clone();
        let a = a.clone();
        async move { names(&store.list_integrations(&a, &filter).await.unwrap()).join(",") }
    };
    assert_eq!(list(by(None, None)).await, "cache,pg", "inactive listed, deleted not");
    assert_eq!(list(by(Some(IntegrationStatus::Active), None)).await, "pg");
    assert_eq!(list(by(Some(IntegrationStatus::Inactive), None)).await, "cache");
    assert_eq!(list(by(Some(IntegrationStatus::Deleted), None)).await, "gone");
    assert_eq!(list(by(None, Some("postgres"))).await, "pg");
    assert_eq!(list(by(Some(IntegrationStatus::Deleted), Some("postgres"))).await, "gone");
    assert_eq!(list(by(None, Some("Postgres"))).await, "", "types are exact");
    assert_eq!(pg.integration_type, "postgres");
}

pub async fn list_requires_every_tag(store: Arc<dyn Store>) {
    let a = org("org-a");
    store.create_integration(&a, new_integration("both", "t", &["prod", "db"])).await.unwrap();
    store.create_integration(&a, new_integration("prod-only", "t", &["prod"])).await.unwrap();
    store.create_integration(&a, new_integration("dup-tags", "t", &["prod", "prod"])).await.unwrap();
    store.create_integration(&a, new_integration("none", "t", &[])).await.unwrap();
    // Another organization's rows of the same tags are never among them.
    store.create_integration(&org("org-b"), new_integration("theirs", "t", &["prod", "db"])).await.unwrap();
    let tagged = |tags: &[&str]| ListFilter {
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        ..Default::default()
    };
    let got = store.list_integrations(&a, &tagged(&["prod"])).await.unwrap();
    assert_eq!(names(&got), ["dup-tags", "prod-only", "both"]);
    let got = store.list_integrations(&a, &tagged(&["prod", "db"])).await.unwrap();
    assert_eq!(names(&got), ["both"]);
    let got = store.list_integrations(&a, &tagged(&["db", "db"])).await.unwrap();
    assert_eq!(names(&got), ["both"], "a repeated filter tag is one tag");
    let got = store.list_integrations(&a, &tagged(&["prod", ""])).await.unwrap();
    assert!(got.is_empty(), "no integration carries the empty tag");
    let got = store.list_integrations(&a, &tagged(&["PROD"])).await.unwrap();
    assert!(got.is_empty(), "tags are exact");
}

pub async fn list_searches_name_and_description(store: Arc<dyn Store>) {
    let a = org("org-a");
    let mut described = new_integration("alpha", "t", &[]);
    described.description = Some("The Billing database".into());
    store.create_integration(&a, described).await.unwrap();
    store.create_integration(&a, new_integration("billing-cache", "t", &[])).await.unwrap();
    store.create_integration(&a, new_integration("100%_sure", "t", &[])).await.unwrap();
    store.create_integration(&a, new_integration("other", "t", &[])).await.unwrap();
    let search = |q: &str| ListFilter { query: Some(q.to_owned()), ..Default::default() };
    let got = store.list_integrations(&a, &search("BILLING")).await.unwrap();
    assert_eq!(names(&got), ["billing-cache", "alpha"]);
    let got = store.list_integrations(&a, &search("%")).await.unwrap();
    assert_eq!(names(&got), ["100%_sure"], "wildcards are literal");
    let got = store.list_integrations(&a, &search("_")).await.unwrap();
    assert_eq!(names(&got), ["100%_sure"], "wildcards are literal");

    // Whatever text index serves searches follows every write and keeps
    // the matching rules: substrings in either field, ASCII case ignored,
    // quotes literal, renamed and deleted rows found by their new text only.
    let quoted = store.create_integration(&a, new_integration(r#"say "hi" db"#, "t", &[])).await.unwrap();
    assert_eq!(names(&store.list_integrations(&a, &search(r#""hi""#)).await.unwrap()), [r#"say "hi" db"#]);
    let rename = IntegrationPatch { name: Some("renamed-ledger".into()), ..Default::default() };
    store.update_integration(&a, quoted.id, rename).await.unwrap();
    assert!(store.list_integrations(&a, &search("say")).await.unwrap().is_empty());
    assert_eq!(names(&store.list_integrations(&a, &search("LEDGER")).await.unwrap()), ["renamed-ledger"]);
    let describe = IntegrationPatch { description: Some("Holds the Invoices".into()), ..Default::default() };
    store.update_integration(&a, quoted.id, describe).await.unwrap();
    assert_eq!(names(&store.list_integrations(&a, &search("invoices")).await.unwrap()), ["renamed-ledger"]);
    store.delete_integration(&a, quoted.id, DeleteMode::Hard).await.unwrap();
    let all = ListFilter {
        query: Some("invoices".into()),
        status: Some(IntegrationStatus::Deleted),
        ..Default::default()
    };
    assert!(store.list_integrations(&a, &all).await.unwrap().is_empty(), "gone from the index too");
    assert!(store.list_integrations(&a, &search("zzzz-nomatch")).await.unwrap().is_empty());
    // Case is ignored for ASCII only, on both backends.
    store.create_integration(&a, new_integration("ÄRGER-svc", "t", &[])).await.unwrap();
    assert_eq!(names(&store.list_integrations(&a, &search("ÄRGER")).await.unwrap()), ["ÄRGER-svc"]);
    assert_eq!(names(&store.list_integrations(&a, &search("RGER-SVC")).await.unwrap()), ["ÄRGER-svc"]);
    // The index spans organizations; a search never does.
    store.create_integration(&org("org-b"), new_integration("billing-of-b", "t", &[])).await.unwrap();
    assert_eq!(
        names(&store.list_integrations(&a, &search("billing")).await.unwrap()),
        ["billing-cache", "alpha"]
    );
}

pub async fn list_pages_with_limit_and_offset(store: Arc<dyn Store>) {
    let a = org("org-a");
    for n in 0..5 {
        store.create_integration(&a, new_integration(&format!("i{n}"), "t", &[])).await.unwrap();
    }
    let page = |limit: Option<u32>, offset: u32| ListFilter { limit, offset, ..Default::default() };
    let got = store.list_integrations(&a, &page(Some(2), 0)).await.unwrap();
    assert_eq!(names(&got), ["i4", "i3"]);
    let got = store.list_integrations(&a, &page(Some(2), 2)).await.unwrap();
    assert_eq!(names(&got), ["i2", "i1"]);
    let got = store.list_integrations(&a, &page(None, 3)).await.unwrap();
    assert_eq!(names(&got), ["i1", "i0"]);
    let got = store.list_integrations(&a, &page(Some(10), 5)).await.unwrap();
    assert!(got.is_empty());
}

pub async fn update_changes_only_given_fields(store: Arc<dyn Store>) {
    let a = org("org-a");
    let created = store.create_integration(&a, new_integration("pg", "postgres", &["a"])).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let patch = IntegrationPatch {
        description: Some("now described".into()),
        config: Some(full_config()),
        tags: Some(vec!["b".into()]),
        ..Default::default()
    };
    let updated = store.update_integration(&a, created.id, patch).await.unwrap();
    assert_eq!(updated.name, "pg");
    assert_eq!(updated.integration_type, "postgres");
    assert_eq!(updated.description.as_deref(), Some("now described"));
    assert_eq!(updated.config, full_config());
    assert_eq!(updated.tags, ["b"]);
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(updated.created_by, created.created_by);
    assert!(updated.updated_at > created.updated_at);
    assert_eq!(store.get_integration(&a, created.id).await.unwrap(), updated);
}

pub async fn noop_update_keeps_updated_at(store: Arc<dyn Store>) {
    let a = org("org-a");
    let created = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let same = IntegrationPatch { name: Some("pg".into()), ..Default::default() };
    for patch in [IntegrationPatch::default(), same] {
        let updated = store.update_integration(&a, created.id, patch).await.unwrap();
        assert_eq!(updated, created);
    }
}

pub async fn update_to_taken_name_conflicts(store: Arc<dyn Store>) {
    let a = org("org-a");
    store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    let other = store.create_integration(&a, new_integration("other", "postgres", &[])).await.unwrap();
    let rename = IntegrationPatch {
        name: Some("pg".into()),
        description: Some("should not stick".into()),
        ..Default::default()
    };
    assert_name_conflict(store.update_integration(&a, other.id, rename).await, "pg");
    assert_eq!(store.get_integration(&a, other.id).await.unwrap(), other, "nothing half-applied");
}

pub async fn restore_to_taken_name_conflicts(store: Arc<dyn Store>) {
    let a = org("org-a");
    let old = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    store.delete_integration(&a, old.id, DeleteMode::Soft).await.unwrap();
    store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    let restore = IntegrationPatch { status: Some(IntegrationStatus::Active), ..Default::default() };
    assert_name_conflict(store.update_integration(&a, old.id, restore).await, "pg");
    assert_eq!(store.get_integration(&a, old.id).await.unwrap().status, IntegrationStatus::Deleted);
}

pub async fn tag_filter_follows_updates_and_deletes(store: Arc<dyn Store>) {
    let a = org("org-a");
    let created = store.create_integration(&a, new_integration("pg", "postgres", &["old"])).await.unwrap();
    let retag = IntegrationPatch { tags: Some(vec!["new".into()]), ..Default::default() };
    store.update_integration(&a, created.id, retag).await.unwrap();
    let tagged = |tag: &str| ListFilter { tags: vec![tag.to_owned()], ..Default::default() };
    assert!(store.list_integrations(&a, &tagged("old")).await.unwrap().is_empty());
    assert_eq!(store.list_integrations(&a, &tagged("new")).await.unwrap().len(), 1);
    // A retagged integration keeps its place: newest created first,
    // whatever was updated last.
    store.create_integration(&a, new_integration("later", "t", &["new"])).await.unwrap();
    let touch = IntegrationPatch { description: Some("touched".into()), ..Default::default() };
    store.update_integration(&a, created.id, touch).await.unwrap();
    assert_eq!(names(&store.list_integrations(&a, &tagged("new")).await.unwrap()), ["later", "pg"]);
    let limited = ListFilter { limit: Some(1), offset: 1, ..tagged("new") };
    assert_eq!(names(&store.list_integrations(&a, &limited).await.unwrap()), ["pg"]);
    store.delete_integration(&a, created.id, DeleteMode::Hard).await.unwrap();
    assert_eq!(names(&store.list_integrations(&a, &tagged("new")).await.unwrap()), ["later"]);
    let deleted = ListFilter { status: Some(IntegrationStatus::Deleted), ..tagged("new") };
    assert!(store.list_integrations(&a, &deleted).await.unwrap().is_empty());
}

pub async fn soft_and_hard_delete(store: Arc<dyn Store>) {
    let a = org("org-a");
    let created = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    store.delete_integration(&a, created.id, DeleteMode::Soft).await.unwrap();
    store.delete_integration(&a, created.id, DeleteMode::Soft).await.unwrap();
    let soft = store.get_integration(&a, created.id).await.unwrap();
    assert_eq!(soft.status, IntegrationStatus::Deleted);
    store.delete_integration(&a, created.id, DeleteMode::Hard).await.unwrap();
    assert_not_found(store.get_integration(&a, created.id).await);
    assert_not_found(store.delete_integration(&a, created.id, DeleteMode::Hard).await);
    assert_not_found(store.get_integration(&a, uuid::Uuid::new_v4()).await);
}

pub async fn revisions_count_changes(store: Arc<dyn Store>) {
    let a = org("org-a");
    let created = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    assert_eq!(created.revision, 1);
    let noop = store.update_integration(&a, created.id, IntegrationPatch::default()).await.unwrap();
    assert_eq!(noop.revision, 1);
    let patch = IntegrationPatch { description: Some("d".into()), ..Default::default() };
    assert_eq!(store.update_integration(&a, created.id, patch).await.unwrap().revision, 2);
    store.delete_integration(&a, created.id, DeleteMode::Soft).await.unwrap();
    assert_eq!(store.get_integration(&a, created.id).await.unwrap().revision, 3);
}

pub async fn get_by_name_sees_live_integrations_only(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    let old = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    store.delete_integration(&a, old.id, DeleteMode::Soft).await.unwrap();
    assert_not_found(store.get_integration_by_name(&a, "pg").await);
    let live = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    assert_eq!(store.get_integration_by_name(&a, "pg").await.unwrap(), live);
    let idle = IntegrationPatch { status: Some(IntegrationStatus::Inactive), ..Default::default() };
    let idle = store.update_integration(&a, live.id, idle).await.unwrap();
    assert_eq!(store.get_integration_by_name(&a, "pg").await.unwrap(), idle, "inactive is found");
    assert_not_found(store.get_integration_by_name(&a, "PG").await);
    assert_not_found(store.get_integration_by_name(&b, "pg").await);
}

/// A batch read's integrations in a fixed order: the store gives none.
fn by_name(mut found: Vec<patchbay_domain::Integration>) -> Vec<patchbay_domain::Integration> {
    found.sort_by(|x, y| x.name.cmp(&y.name));
    found
}

/// One read for many names sees what `get_integration_by_name` sees of
/// each: live integrations (inactive too), never a deleted one's name,
/// another organization's, or another case's; each once, in any order.
pub async fn get_by_names_reads_many_at_once(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    let old = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    store.delete_integration(&a, old.id, DeleteMode::Soft).await.unwrap();
    let pg = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    let cache = store.create_integration(&a, new_integration("cache", "redis", &[])).await.unwrap();
    let idle = IntegrationPatch { status: Some(IntegrationStatus::Inactive), ..Default::default() };
    let cache = store.update_integration(&a, cache.id, idle).await.unwrap();
    let gone = store.create_integration(&a, new_integration("gone", "custom", &[])).await.unwrap();
    store.delete_integration(&a, gone.id, DeleteMode::Soft).await.unwrap();
    store.create_integration(&b, new_integration("theirs", "custom", &[])).await.unwrap();

    let wanted = ["pg", "ghost", "cache", "gone", "theirs", "PG", "pg"].map(str::to_owned);
    let found = by_name(store.get_integrations_by_names(&a, &wanted).await.unwrap());
    assert_eq!(found, [cache.clone(), pg.clone()]);
    for integration in &found {
        assert_eq!(&store.get_integration_by_name(&a, &integration.name).await.unwrap(), integration);
    }
    let reversed: Vec<String> = wanted.iter().rev().cloned().collect();
    assert_eq!(by_name(store.get_integrations_by_names(&a, &reversed).await.unwrap()), found);
    assert!(store.get_integrations_by_names(&b, &["pg".to_owned()]).await.unwrap().is_empty());
    assert!(store.get_integrations_by_names(&a, &[]).await.unwrap().is_empty());
    // A set too large to bind value by value is still one read.
    let many: Vec<String> = (0..200).map(|i| format!("ghost-{i}")).chain(wanted).collect();
    assert_eq!(by_name(store.get_integrations_by_names(&a, &many).await.unwrap()), found);
}

/// One read for many ids sees what `get_integration` sees of each: a
/// soft-deleted integration too (resolving it by id says it is not
/// active), never a hard-deleted one or another organization's; each
/// once, in any order.
pub async fn get_by_ids_reads_many_at_once(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    let pg = store.create_integration(&a, new_integration("pg", "postgres", &[])).await.unwrap();
    let gone = store.create_integration(&a, new_integration("gone", "custom", &[])).await.unwrap();
    store.delete_integration(&a, gone.id, DeleteMode::Soft).await.unwrap();
    let gone = store.get_integration(&a, gone.id).await.unwrap();
    let erased = store.create_integration(&a, new_integration("erased", "custom", &[])).await.unwrap();
    store.delete_integration(&a, erased.id, DeleteMode::Hard).await.unwrap();
    let theirs = store.create_integration(&b, new_integration("theirs", "custom", &[])).await.unwrap();

    let wanted = [pg.id, theirs.id, uuid::Uuid::new_v4(), gone.id, erased.id, pg.id];
    let found = by_name(store.get_integrations_by_ids(&a, &wanted).await.unwrap());
    assert_eq!(found, [gone.clone(), pg.clone()]);
    assert_eq!(found[0].status, IntegrationStatus::Deleted);
    let reversed: Vec<uuid::Uuid> = wanted.iter().rev().copied().collect();
    assert_eq!(by_name(store.get_integrations_by_ids(&a, &reversed).await.unwrap()), found);
    assert_eq!(store.get_integrations_by_ids(&b, &wanted).await.unwrap(), std::slice::from_ref(&theirs));
    assert!(store.get_integrations_by_ids(&a, &[]).await.unwrap().is_empty());
    // A set too large to bind value by value is still one read, and still
    // within the organization.
    let many: Vec<uuid::Uuid> = (0..200).map(|_| uuid::Uuid::new_v4()).chain(wanted).collect();
    assert_eq!(by_name(store.get_integrations_by_ids(&a, &many).await.unwrap()), found);
    assert_eq!(store.get_integrations_by_ids(&b, &many).await.unwrap(), [theirs]);
}
