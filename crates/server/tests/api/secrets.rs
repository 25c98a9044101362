//! The vault through the API: values round-trip exactly, never leave in
//! clear except to workers and admins, never sit in the database in clear,
//! and are bound to their organization, name and version.
use crate::harness::TestApp;
use patchbay_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nk3J1c2VkLXNlY3JldC1mb3ItdGVzdHM=\n-----END PRIVATE KEY-----\n";

async fn values_round_trip_exactly(app: TestApp) {
    let big: String = (0..64 * 1024).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    for (name, value) in [
        ("ASCII", "s3cr3t!".to_owned()),
        ("PEM_KEY", PEM.to_owned()),
        ("BIG", big),
        ("unicode.value", "pässwörd 🔑 — 秘密 \u{0} \\ \"quoted\"".to_owned()),
        ("EMPTY", String::new()),
    ] {
        let (status, meta) = app
            .put_secret_as("org-a", Role::Member, name, &json!({"value": value, "description": "d"}))
            .await;
        assert_eq!(status, 201, "{name}: {meta}");
        assert_eq!(meta["version"], 1);
        assert!(
            !meta.to_string().contains(&value[..value.len().min(8)]) || value.is_empty(),
            "no value in metadata"
        );
        let (status, body) = app.secret_value("org-a", name).await;
        assert_eq!(status, 200);
        assert_eq!(body, json!({"value": value}), "{name}");
    }
    let (status, meta) = app.put_secret_as("org-a", Role::Admin, "ASCII", &json!({"value": "changed"})).await;
    assert_eq!((status, meta["version"].clone(), meta["description"].clone()), (200, json!(2), json!("d")));
    assert_eq!(app.secret_value("org-a", "ASCII").await.1, json!({"value": "changed"}));

    let (status, listed) = app.get("org-a", Role::Viewer, "/api/v1/secrets").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["ASCII", "BIG", "EMPTY", "PEM_KEY", "unicode.value"]);
    let keys: Vec<&String> = listed[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["name", "description", "version", "created_at", "updated_at", "created_by"]);
    let (status, versions) = app.get("org-a", Role::Viewer, "/api/v1/secrets/ASCII/versions").await;
    assert_eq!(status, 200);
    assert_eq!(
        versions.as_array().unwrap().iter().map(|v| v["version"].clone()).collect::<Vec<_>>(),
        [json!(2), json!(1)]
    );

    let response = app.authed(Method::DELETE, "/api/v1/secrets/ASCII", "org-a").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = app.secret_value("org-a", "ASCII").await;
    assert_eq!((status, body), (404, json!({"detail": "Secret 'ASCII' not found"})));
}

async fn bad_input_is_422_without_echoing_the_value(app: TestApp) {
    let too_big = "x".repeat(64 * 1024 + 1);
    let (status, body) = app.put_secret_as("org-a", Role::Admin, "BIG", &json!({"value": too_big})).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "value"]));
    assert_eq!(body["detail"][0]["type"], "string_too_long");
    assert!(!body.to_string().contains("xxxxxxxx"), "the value is not echoed");

    for (name, body) in [("NOVALUE", json!({"description": "x"})), ("NUMBER", json!({"value": 5}))] {
        let (status, response) = app.put_secret_as("org-a", Role::Admin, name, &body).await;
        assert_eq!(status, 422, "{name}");
        assert_eq!(response["detail"][0]["loc"], json!(["body", "value"]), "{name}");
    }
    let response = app
        .authed(Method::PUT, "/api/v1/secrets/PLAIN", "org-a")
        .header("content-type", "text/plain")
        .body("hunter2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!response.text().await.unwrap().contains("hunter2"));

    let long = "a".repeat(256);
    for bad in ["a%20b", "%C3%BC", "a%2Fb", long.as_str()] {
        let (status, body) = app.put_secret_as("org-a", Role::Admin, bad, &json!({"value": "v"})).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(body["detail"][0]["loc"], json!(["path", "name"]), "{bad}");
        assert_eq!(body["detail"][0]["type"], "string_pattern_mismatch");
    }
    let (_, listed) = app.get("org-a", Role::Admin, "/api/v1/secrets").await;
    assert_eq!(listed, json!([]), "nothing was stored");
}

/// A body that is not UTF-8 is refused as FastAPI refuses it (400), and
/// nothing stored changes: the value is never "repaired" into U+FFFD.
async fn a_body_that_is_not_utf8_is_refused(app: TestApp) {
    assert_eq!(app.put_secret_as("org-a", Role::Admin, "KEY", &json!({"value": "before"})).await.0, 201);
    let send = |bytes: &'static [u8], name: &str| {
        app.authed(Method::PUT, &format!("/api/v1/secrets/{name}"), "org-a")
            .header("content-type", "application/json")
            .body(bytes)
            .send()
    };
    for name in ["KEY", "NEW_KEY"] {
        let response = send(b"{\"value\": \"a\xffb\"}", name).await.unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"detail": "There was an error parsing the body"}));
    }
    assert_eq!(app.secret_value("org-a", "KEY").await.1["value"], "before");
    assert_eq!(app.secret_value("org-a", "NEW_KEY").await.0, 404);
    let (_, versions) = app.get("org-a", Role::Admin, "/api/v1/secrets/KEY/versions").await;
    assert_eq!(versions.as_array().unwrap().len(), 1, "{versions}");
    // An integration body too, before authentication as FastAPI parses it.
    let response = app
        .request(Method::POST, "/api/v1/custom-integrations")
        .header("content-type", "application/json")
        .body(&b"{\"name\": \"\xfe\"}"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

async fn only_workers_and_admins_read_values(app: TestApp) {
    app.put_secret_as("org-a", Role::Member, "TOKEN", &json!({"value": "v1"})).await;
    for role in [Role::Viewer, Role::Member] {
        let (status, body) = app.get("org-a", role, "/api/v1/secrets/value/TOKEN").await;
        assert_eq!(status, 403, "{role}");
        assert!(body["detail"].as_str().unwrap().contains("worker or admin"), "{body}");
        assert!(!body.to_string().contains("v1"));
    }
    for role in [Role::Worker, Role::Admin] {
        assert_eq!(
            app.get("org-a", role, "/api/v1/secrets/value/TOKEN").await,
            (200, json!({"value": "v1"}))
        );
    }
    for role in [Role::Viewer, Role::Worker] {
        let (status, _) = app.put_secret_as("org-a", role, "TOKEN", &json!({"value": "stolen"})).await;
        assert_eq!(status, 403, "{role}");
        let response = app
            .request(Method::DELETE, "/api/v1/secrets/TOKEN")
            .bearer_auth(app.token("org-a", role))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role}");
    }
    assert_eq!(app.secret_value("org-a", "TOKEN").await.1, json!({"value": "v1"}));
    let response = app.request(Method::GET, "/api/v1/secrets/value/TOKEN").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn other_organizations_secrets_are_404(app: TestApp) {
    app.put_secret_as("org-a", Role::Admin, "SHARED", &json!({"value": "a-only"})).await;
    let not_found = json!({"detail": "Secret 'SHARED' not found"});
    assert_eq!(app.secret_value("org-b", "SHARED").await, (404, not_found.clone()));
    assert_eq!(
        app.get("org-b", Role::Admin, "/api/v1/secrets/SHARED/versions").await,
        (404, not_found.clone())
    );
    let response = app.authed(Method::DELETE, "/api/v1/secrets/SHARED", "org-b").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("org-b", Role::Admin, "/api/v1/secrets").await, (200, json!([])));
    assert_eq!(app.secret_value("org-a", "SHARED").await.1, json!({"value": "a-only"}));
}

async fn concurrent_puts_give_consecutive_versions(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let writes: Vec<_> = (0..20)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.put_secret_as("org-a", Role::Admin, "RACE", &json!({"value": format!("v{i}")})).await
            })
        })
        .collect();
    let mut versions = Vec::new();
    for write in writes {
        let (status, meta) = write.await.unwrap();
        assert!(status == 200 || status == 201, "{meta}");
        versions.push(meta["version"].as_i64().unwrap());
    }
    versions.sort();
    assert_eq!(versions, (1..=20).collect::<Vec<i64>>());
    let (_, listed) = app.get("org-a", Role::Admin, "/api/v1/secrets/RACE/versions").await;
    assert_eq!(listed.as_array().unwrap().len(), 20);
}

async fn values_are_never_stored_in_clear(app: TestApp) {
    let value = "correct-horse-battery-staple-8d1f";
    app.put_secret_as("org-a", Role::Admin, "DB_PASSWORD", &json!({"value": value})).await;
    app.put_secret_as("org-a", Role::Admin, "PEM", &json!({"value": PEM})).await;
    assert_eq!(app.secret_value("org-a", "DB_PASSWORD").await.1, json!({"value": value}));
    let bytes = app.database_bytes().await;
    assert!(!bytes.is_empty());
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(value.as_bytes()), "the value is in the database in clear");
    assert!(!contains(b"BEGIN PRIVATE KEY"), "the PEM is in the database in clear");
    assert!(!contains(app.master_key.as_bytes()), "the master key is in the database");
}

async fn moved_ciphertexts_fail_their_integrity_check(app: TestApp) {
    app.put_secret_as("org-a", Role::Admin, "ONE", &json!({"value": "one"})).await;
    app.put_secret_as("org-a", Role::Admin, "TWO", &json!({"value": "two"})).await;
    app.put_secret_as("org-b", Role::Admin, "ONE", &json!({"value": "b-one"})).await;
    // Another name of the same organization: copy ONE's sealed value over TWO's.
    app.sql(
        "UPDATE secret_versions SET nonce = src.nonce, ciphertext = src.ciphertext \
         FROM (SELECT v.nonce, v.ciphertext FROM secret_versions v JOIN secrets s ON s.seq = v.secret_seq \
               WHERE s.organization_id = 'org-a' AND s.name = 'ONE') AS src \
         WHERE secret_seq = (SELECT seq FROM secrets WHERE organization_id = 'org-a' AND name = 'TWO')",
    )
    .await;
    let (status, body) = app.secret_value("org-a", "TWO").await;
    assert_eq!((status, body.clone()), (500, json!({"detail": "Internal server error"})), "{body}");
    // The same name in another organization.
    app.sql(
        "UPDATE secret_versions SET nonce = src.nonce, ciphertext = src.ciphertext \
         FROM (SELECT v.nonce, v.ciphertext FROM secret_versions v JOIN secrets s ON s.seq = v.secret_seq \
               WHERE s.organization_id = 'org-a' AND s.name = 'ONE') AS src \
         WHERE secret_seq = (SELECT seq FROM secrets WHERE organization_id = 'org-b' AND name = 'ONE')",
    )
    .await;
    assert_eq!(app.secret_value("org-b", "ONE").await.0, 500);
    // The original is untouched.
    assert_eq!(app.secret_value("org-a", "ONE").await, (200, json!({"value": "one"})));
}

async fn restart_reads_back_and_a_wrong_key_refuses_to_start(mut app: TestApp) {
    app.put_secret_as("org-a", Role::Admin, "KEPT", &json!({"value": "kept"})).await;
    app.restart().await;
    assert_eq!(app.secret_value("org-a", "KEPT").await, (200, json!({"value": "kept"})));

    app.stop().await;
    let store = app.open_store().await;
    let wrong = patchbay_vault::MasterKey::generate();
    let error = match patchbay_server::vault::Vault::open(wrong, store).await {
        Err(error) => error.to_string(),
        Ok(_) => panic!("a wrong master key must refuse to start"),
    };
    assert!(error.contains("does not match") && error.contains("patchbay keys rotate"), "{error}");
    app.start_again().await;
    assert_eq!(app.secret_value("org-a", "KEPT").await.1, json!({"value": "kept"}));
}

async fn rotation_keeps_every_value(mut app: TestApp) {
    for (org, name, value) in [("org-a", "A1", "a one"), ("org-a", "A2", PEM), ("org-b", "B1", "b one")] {
        app.put_secret_as(org, Role::Admin, name, &json!({"value": value})).await;
    }
    // Rotate while the server runs: it keeps serving the keys it holds...
    let old = patchbay_vault::MasterKey::from_base64(&app.master_key).unwrap();
    let new = patchbay_vault::MasterKey::generate();
    let new_text = new.to_base64().to_string();
    let store = app.open_store().await;
    let rotated = patchbay_server::vault::rotate(store.as_ref(), old, new).await.unwrap();
    assert_eq!(rotated, 2);
    assert_eq!(app.secret_value("org-a", "A1").await.1, json!({"value": "a one"}));
    // ...but cannot make a data key under its old master key for a new organization.
    let (status, body) = app.put_secret_as("org-c", Role::Admin, "C1", &json!({"value": "c"})).await;
    assert_eq!(status, 503, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("restart"), "{body}");

    // Restarted with the new key, everything reads back unchanged.
    app.stop().await;
    app.master_key = new_text;
    app.start_again().await;
    for (org, name, value) in [("org-a", "A1", "a one"), ("org-a", "A2", PEM), ("org-b", "B1", "b one")] {
        assert_eq!(app.secret_value(org, name).await, (200, json!({"value": value})), "{org}/{name}");
    }
    assert_eq!(app.put_secret_as("org-c", Role::Admin, "C1", &json!({"value": "c"})).await.0, 201);

    // Rotating from a key that is not the current one changes nothing.
    let stale = patchbay_vault::MasterKey::generate();
    let error =
        patchbay_server::vault::rotate(store.as_ref(), stale, patchbay_vault::MasterKey::generate()).await;
    assert!(matches!(error, Err(patchbay_server::vault::RotateError::WrongCurrentKey(_))), "{error:?}");
}

crate::both_backends!(
    a_body_that_is_not_utf8_is_refused,
    values_round_trip_exactly,
    bad_input_is_422_without_echoing_the_value,
    only_workers_and_admins_read_values,
    other_organizations_secrets_are_404,
    concurrent_puts_give_consecutive_versions,
    values_are_never_stored_in_clear,
    moved_ciphertexts_fail_their_integrity_check,
    restart_reads_back_and_a_wrong_key_refuses_to_start,
    rotation_keeps_every_value,
);
