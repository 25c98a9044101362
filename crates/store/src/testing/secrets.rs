//! Conformance cases for the vault's storage. Sealing here is a stand-in
//! (the version and the value, in clear): the store must treat blobs as
//! opaque, and real encryption is the vault crate's to test.
use super::integrations::org;
use crate::{Change, Conflict, SealedBlob, SecretWrite, Store, StoreError};
use patchbay_domain::SecretName;
use std::sync::Arc;

fn name(text: &str) -> SecretName {
    SecretName::parse(text).unwrap()
}

fn blob(tag: &str) -> SealedBlob {
    SealedBlob { nonce: tag.as_bytes().to_vec(), ciphertext: format!("sealed {tag}").into_bytes() }
}

fn write(secret: &str, value: &str, description: Option<&str>) -> SecretWrite {
    let value = value.to_owned();
    SecretWrite {
        name: name(secret),
        description: description.map(str::to_owned),
        actor: Some("user-1".into()),
        seal: Box::new(move |version| SealedBlob {
            nonce: version.to_be_bytes().to_vec(),
            ciphertext: value.into_bytes(),
        }),
        audit: None,
    }
}

/// The version and value the stand-in sealed.
fn unseal(blob: &SealedBlob) -> (i64, String) {
    let version = i64::from_be_bytes(blob.nonce.clone().try_into().unwrap());
    (version, String::from_utf8(blob.ciphertext.clone()).unwrap())
}

pub async fn vault_fingerprint_is_recorded_once(store: Arc<dyn Store>) {
    assert_eq!(store.init_vault_fingerprint("aaaa").await.unwrap(), "aaaa");
    assert_eq!(store.init_vault_fingerprint("bbbb").await.unwrap(), "aaaa", "the first one stays");
}

pub async fn first_data_key_wins_and_needs_the_recorded_fingerprint(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    store.init_vault_fingerprint("fp").await.unwrap();
    assert_eq!(store.data_key(&a).await.unwrap(), None);
    assert_eq!(store.create_data_key(&a, blob("first"), "fp").await.unwrap(), blob("first"));
    assert_eq!(store.create_data_key(&a, blob("second"), "fp").await.unwrap(), blob("first"));
    assert_eq!(store.data_key(&a).await.unwrap(), Some(blob("first")));
    match store.create_data_key(&b, blob("b"), "other").await {
        Err(StoreError::Conflict(Conflict::MasterKeyChanged)) => {}
        other => panic!("expected MasterKeyChanged, got {other:?}"),
    }
    assert_eq!(store.data_key(&b).await.unwrap(), None);
    store.create_data_key(&b, blob("b"), "fp").await.unwrap();
    let mut all = store.all_data_keys().await.unwrap();
    all.sort_by(|x, y| x.0.as_str().cmp(y.0.as_str()));
    assert_eq!(all, vec![(a, blob("first")), (b, blob("b"))]);
}

pub async fn rewrap_replaces_every_key_or_none(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    store.init_vault_fingerprint("old").await.unwrap();
    store.create_data_key(&a, blob("a"), "old").await.unwrap();
    store.create_data_key(&b, blob("b"), "old").await.unwrap();

    // A failure part-way changes nothing.
    let failing: crate::Rewrap = Box::new(|org, key| {
        if org.as_str() == "org-b" {
            Err("cannot unwrap".into())
        } else {
            Ok(blob(&format!("new {}", key.nonce.len())))
        }
    });
    assert!(store.rewrap_data_keys("old", "new", failing).await.is_err());
    assert_eq!(store.data_key(&a).await.unwrap(), Some(blob("a")));
    assert_eq!(store.init_vault_fingerprint("x").await.unwrap(), "old");

    // The wrong current fingerprint is refused.
    let any: crate::Rewrap = Box::new(|_, key| Ok(key.clone()));
    match store.rewrap_data_keys("wrong", "new", any).await {
        Err(StoreError::Conflict(Conflict::MasterKeyChanged)) => {}
        other => panic!("expected MasterKeyChanged, got {other:?}"),
    }

    let rewrap: crate::Rewrap = Box::new(|org, _| Ok(blob(&format!("rewrapped {org}"))));
    assert_eq!(store.rewrap_data_keys("old", "new", rewrap).await.unwrap(), 2);
    assert_eq!(store.data_key(&a).await.unwrap(), Some(blob("rewrapped org-a")));
    assert_eq!(store.data_key(&b).await.unwrap(), Some(blob("rewrapped org-b")));
    assert_eq!(store.init_vault_fingerprint("x").await.unwrap(), "new");
}

pub async fn secret_versions_count_up(store: Arc<dyn Store>) {
    let a = org("org-a");
    let (first, created) = store.put_secret(&a, write("DB_PASSWORD", "one", Some("database"))).await.unwrap();
    assert!(created);
    assert_eq!((first.version, first.description.as_deref()), (1, Some("database")));
    assert_eq!(first.created_at, first.updated_at);
    let (second, created) = store.put_secret(&a, write("DB_PASSWORD", "two", None)).await.unwrap();
    assert!(!created);
    assert_eq!((second.version, second.description.as_deref()), (2, Some("database")), "description kept");
    assert_eq!(second.created_at, first.created_at);
    let (third, _) = store.put_secret(&a, write("DB_PASSWORD", "three", Some("renamed"))).await.unwrap();
    assert_eq!((third.version, third.description.as_deref()), (3, Some("renamed")));

    let (version, sealed) = store.secret_value(&a, &name("DB_PASSWORD")).await.unwrap();
    assert_eq!(version, 3);
    assert_eq!(unseal(&sealed), (3, "three".to_owned()), "sealed for the version it got");
    let versions = store.secret_versions(&a, &name("DB_PASSWORD")).await.unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(versions[0].created_by.as_deref(), Some("user-1"));

    store.put_secret(&a, write("API.KEY", "k", None)).await.unwrap();
    let listed = store.list_secrets(&a).await.unwrap();
    let names: Vec<_> = listed.iter().map(|s| (s.name.as_str(), s.version)).collect();
    assert_eq!(names, [("API.KEY", 1), ("DB_PASSWORD", 3)]);
}

pub async fn concurrent_secret_writes_get_consecutive_versions(store: Arc<dyn Store>) {
    let a = org("org-a");
    let writes: Vec<_> = (0..20)
        .map(|i| {
            let (store, a) = (store.clone(), a.clone());
            tokio::spawn(
                async move { store.put_secret(&a, write("TOKEN", &format!("value {i}"), None)).await },
            )
        })
        .collect();
    let mut versions = Vec::new();
    for task in writes {
        versions.push(task.await.unwrap().unwrap().0.version);
    }
    versions.sort();
    assert_eq!(versions, (1..=20).collect::<Vec<i64>>());
    let stored = store.secret_versions(&a, &name("TOKEN")).await.unwrap();
    assert_eq!(stored.len(), 20, "no version lost");
}

pub async fn secrets_are_per_organization(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    store.put_secret(&a, write("SHARED", "a's", None)).await.unwrap();
    assert!(store.list_secrets(&b).await.unwrap().is_empty());
    for result in [
        store.secret_value(&b, &name("SHARED")).await.map(drop),
        store.secret_versions(&b, &name("SHARED")).await.map(drop),
        store.delete_secret(&b, &name("SHARED"), Change::by(None)).await,
    ] {
        let missing = crate::Missing::Secret("SHARED".into());
        assert!(matches!(&result, Err(StoreError::NotFound(m)) if *m == missing), "{result:?}");
    }
    let (meta, created) = store.put_secret(&b, write("SHARED", "b's", None)).await.unwrap();
    assert!(created);
    assert_eq!(meta.version, 1);
    assert_eq!(unseal(&store.secret_value(&a, &name("SHARED")).await.unwrap().1).1, "a's");
}

pub async fn deleting_a_secret_removes_every_version(store: Arc<dyn Store>) {
    let a = org("org-a");
    store.put_secret(&a, write("GONE", "1", None)).await.unwrap();
    store.put_secret(&a, write("GONE", "2", None)).await.unwrap();
    store.delete_secret(&a, &name("GONE"), Change::by(None)).await.unwrap();
    assert!(matches!(store.secret_value(&a, &name("GONE")).await, Err(StoreError::NotFound(_))));
    assert!(matches!(store.secret_versions(&a, &name("GONE")).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        store.delete_secret(&a, &name("GONE"), Change::by(None)).await,
        Err(StoreError::NotFound(_))
    ));
    let (meta, created) = store.put_secret(&a, write("GONE", "again", None)).await.unwrap();
    assert_eq!((meta.version, created), (1, true));
    assert!(store.list_secrets(&a).await.unwrap().iter().all(|s| s.name.as_str() == "GONE"));
}

pub async fn secret_values_reads_many_at_once(store: Arc<dyn Store>) {
    let (a, b) = (org("org-a"), org("org-b"));
    store.put_secret(&a, write("ONE", "1", None)).await.unwrap();
    store.put_secret(&a, write("TWO", "2a", None)).await.unwrap();
    store.put_secret(&a, write("TWO", "2b", None)).await.unwrap();
    store.put_secret(&b, write("THREE", "3", None)).await.unwrap();
    let wanted = [name("ONE"), name("TWO"), name("THREE"), name("NONE")];
    let mut got = store.secret_values(&a, &wanted).await.unwrap();
    got.sort_by(|x, y| x.0.as_str().cmp(y.0.as_str()));
    let got: Vec<(String, i64, (i64, String))> =
        got.iter().map(|(n, v, blob)| (n.to_string(), *v, unseal(blob))).collect();
    assert_eq!(got, [("ONE".into(), 1, (1, "1".into())), ("TWO".into(), 2, (2, "2b".into()))]);
    assert!(store.secret_values(&a, &[]).await.unwrap().is_empty());
    // Any number of names in one call (SQLite binds at most 32,766 values).
    let many: Vec<SecretName> =
        (0..40_000).map(|i| name(&format!("S{i}"))).chain([name("TWO"), name("ONE")]).collect();
    let mut got: Vec<String> =
        store.secret_values(&a, &many).await.unwrap().iter().map(|(n, _, _)| n.to_string()).collect();
    got.sort();
    assert_eq!(got, ["ONE", "TWO"]);
}
