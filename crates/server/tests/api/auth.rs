//! Authentication (401 in the reference's shape), accepted header forms,
//! RS256/ES256 tokens, the check order, and role enforcement (403).
use crate::harness::TestApp;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use patchbay_domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const LIST: &str = "/api/v1/custom-integrations";

fn invalid_token_body() -> Value {
    json!({"detail": {"error": "Unauthorized", "message": "Invalid or expired authentication token",
                      "hint": "Ensure you're using a valid Kubiya API token"}})
}

async fn expect_401(response: reqwest::Response, body: Value) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(response.json::<Value>().await.unwrap(), body);
}

async fn missing_token_is_401(app: TestApp) {
    let expected = json!({"detail": {"error": "Unauthorized", "message": "Authorization header is required",
                                      "hint": "Include 'Authorization: Bearer <token>' header"}});
    expect_401(app.request(Method::GET, LIST).send().await.unwrap(), expected.clone()).await;
    let basic = app.request(Method::GET, LIST).header("authorization", "Basic dXNlcjpwYXNz");
    expect_401(basic.send().await.unwrap(), expected.clone()).await;
    // A scheme with nothing after it is no token, as in the reference.
    for empty in ["Bearer ", "Bearer", "UserKey "] {
        let request = app.request(Method::GET, LIST).header("authorization", empty);
        expect_401(request.send().await.unwrap(), expected.clone()).await;
    }
    expect_401(app.request(Method::GET, LIST).header("userkey", " ").send().await.unwrap(), expected).await;
}

async fn a_token_not_valid_yet_is_401(app: TestApp) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let sign = |nbf: u64| {
        let claims = json!({"organization": "org-a", "exp": now + 3600, "nbf": nbf, "role": "admin"});
        let key = EncodingKey::from_secret(b"test-signing-secret");
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
    };
    let later = app.request(Method::GET, LIST).bearer_auth(sign(now + 600));
    expect_401(later.send().await.unwrap(), invalid_token_body()).await;
    let earlier = app.request(Method::GET, LIST).bearer_auth(sign(now - 60)).send().await.unwrap();
    assert_eq!(earlier.status(), StatusCode::OK);
}

async fn bad_tokens_are_401(app: TestApp) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let good = TestApp::claims("org-a", Role::Admin);
    let wrong_signature =
        patchbay_server::auth::mint(&patchbay_server::auth::JwtSecret::new("some other secret"), &good)
            .unwrap();
    let expired = app.sign(&patchbay_server::auth::Claims { exp: now - 3600, ..good.clone() });
    let no_org = {
        let claims = json!({"exp": now + 3600, "email": "a@b.c", "user_id": "u"});
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"test-signing-secret"),
        )
        .unwrap()
    };
    let no_exp = {
        let claims = json!({"organization": "org-a", "email": "a@b.c"});
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"test-signing-secret"),
        )
        .unwrap()
    };
    let bad_role = app.sign(&patchbay_server::auth::Claims { role: Some("root".into()), ..good.clone() });
    let tampered = {
        let token = app.token("org-a", Role::Viewer);
        let mut parts: Vec<&str> = token.split('.').collect();
        let admin_payload = app.token("org-b", Role::Admin);
        let admin_payload = admin_payload.split('.').nth(1).unwrap().to_owned();
        parts[1] = &admin_payload;
        parts.join(".")
    };
    for (what, token) in [
        ("wrong signature", wrong_signature),
        ("expired", expired),
        ("no organization", no_org),
        ("no exp", no_exp),
        ("unknown role", bad_role),
        ("tampered payload", tampered),
        ("malformed", "not-a-jwt".to_owned()),
        ("malformed parts", "a.b.c".to_owned()),
    ] {
        let response = app.request(Method::GET, LIST).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        expect_401(response, invalid_token_body()).await;
    }
}

async fn every_accepted_header_form_works(app: TestApp) {
    let token = app.token("org-a", Role::Viewer);
    for (header, value) in [
        ("authorization", format!("Bearer {token}")),
        ("authorization", format!("UserKey {token}")),
        ("authorization", token.clone()),
        ("userkey", token.clone()),
    ] {
        let response = app.request(Method::GET, LIST).header(header, &value).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{header}: {}", &value[..10]);
    }
}

async fn rs256_and_es256_tokens_verify(app: TestApp) {
    let claims = TestApp::claims("org-a", Role::Member);
    for (algorithm, key) in [
        (
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(include_bytes!("../fixtures/keys/rsa-private.pem")).unwrap(),
        ),
        (
            Algorithm::ES256,
            EncodingKey::from_ec_pem(include_bytes!("../fixtures/keys/ec-private.pem")).unwrap(),
        ),
    ] {
        let token = jsonwebtoken::encode(&Header::new(algorithm), &claims, &key).unwrap();
        let response = app.request(Method::GET, LIST).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{algorithm:?}");
    }
    // A token in an algorithm no configured key is for is refused.
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS384),
        &claims,
        &EncodingKey::from_secret(b"test-signing-secret"),
    )
    .unwrap();
    let response = app.request(Method::GET, LIST).bearer_auth(forged).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn invalid_json_comes_before_auth_and_auth_before_validation(app: TestApp) {
    // Not JSON, no token: 422 (the reference parses the body first).
    let response = app
        .request(Method::POST, LIST)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.json::<Value>().await.unwrap()["detail"][0]["type"], "json_invalid");
    // JSON but invalid, no token: 401 before any validation.
    let response = app.request(Method::POST, LIST).json(&json!({"name": ""})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // A bad query value, no token: 401 as well.
    let response = app.request(Method::GET, &format!("{LIST}?status=bogus")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn only_members_and_admins_write(app: TestApp) {
    let admin = app.client("org-a", Role::Admin);
    let created = admin
        .create_integration(&serde_json::from_value(json!({
            "name": "pg", "integration_type": "postgres", "description": null,
            "config": {"env_vars": {}, "secrets": [], "files": [], "context_prompt": null, "connection_test": null},
            "tags": []
        })).unwrap())
        .await
        .unwrap();
    let item = format!("{LIST}/{}", created.id);
    for role in [Role::Viewer, Role::Worker] {
        let token = app.token("org-a", role);
        let writes = [
            app.request(Method::POST, LIST)
                .bearer_auth(&token)
                .json(&json!({"name": "x", "integration_type": "t", "config": {}})),
            app.request(Method::PUT, &item).bearer_auth(&token).json(&json!({"name": "renamed"})),
            app.request(Method::DELETE, &item).bearer_auth(&token),
            app.request(Method::DELETE, &format!("{item}?hard_delete=true")).bearer_auth(&token),
        ];
        for write in writes {
            let response = write.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role}");
            let detail = response.json::<Value>().await.unwrap()["detail"].as_str().unwrap().to_owned();
            assert!(
                detail.contains(&format!("Role '{role}'")) && detail.contains("member or admin"),
                "{detail}"
            );
        }
        // Reads are allowed.
        let response = app.request(Method::GET, &item).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    // Nothing changed.
    let after = admin.get_integration(&created.id).await.unwrap();
    assert_eq!(after, created);
    let member = app.client("org-a", Role::Member);
    member.delete_integration(&created.id, false).await.unwrap();
}

crate::both_backends!(
    a_token_not_valid_yet_is_401,
    missing_token_is_401,
    bad_tokens_are_401,
    every_accepted_header_form_works,
    rs256_and_es256_tokens_verify,
    invalid_json_comes_before_auth_and_auth_before_validation,
    only_members_and_admins_write,
);
