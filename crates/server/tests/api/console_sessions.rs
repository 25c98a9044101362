//! Console sessions live in the database: they survive a restart, every
//! replica on the same database honours them (and their sign-out), expired
//! ones are neither honoured nor kept, and what a session row holds is of
//! no use to a database reader.
use crate::extra_server::ExtraServer;
use crate::harness::{Backend, TestApp};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use patchbay_domain::Role;
use patchbay_server::limits::Limits;
use reqwest::{StatusCode, header};

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Signs in at `base` with `token`; the session cookie's value.
async fn sign_in(base: &str, token: &str) -> String {
    let response =
        no_redirects().post(format!("{base}/signin")).form(&[("token", token)]).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    let pair = set_cookie.split(';').next().unwrap();
    pair.strip_prefix("patchbay_session=").unwrap().to_owned()
}

/// The console's list page with `cookie`: its status, and its CSRF token
/// when signed in.
async fn page(base: &str, cookie: &str) -> (StatusCode, Option<String>) {
    let response = no_redirects()
        .get(format!("{base}/integrations"))
        .header(header::COOKIE, format!("patchbay_session={cookie}"))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let html = response.text().await.unwrap();
    let csrf = html
        .find(r#"name="csrf" value=""#)
        .map(|start| html[start + 19..].split('"').next().unwrap().to_owned());
    (status, csrf)
}

async fn sign_out(base: &str, cookie: &str, csrf: &str) {
    let response = no_redirects()
        .post(format!("{base}/signout"))
        .header(header::COOKIE, format!("patchbay_session={cookie}"))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

async fn a_session_survives_a_restart(mut app: TestApp) {
    let cookie = sign_in(&app.base, &app.token("acme", Role::Member)).await;
    let (status, csrf) = page(&app.base, &cookie).await;
    assert_eq!(status, StatusCode::OK);
    app.restart().await;
    let (status, after) = page(&app.base, &cookie).await;
    assert_eq!(status, StatusCode::OK, "still signed in after a restart");
    assert_eq!(after, csrf, "with the same CSRF token, so open forms still post");
    sign_out(&app.base, &cookie, &csrf.unwrap()).await;
    assert_eq!(page(&app.base, &cookie).await.0, StatusCode::SEE_OTHER);
}

async fn a_session_row_is_of_no_use_to_a_database_reader(app: TestApp) {
    let token = app.token("acme", Role::Admin);
    let cookie = sign_in(&app.base, &token).await;
    let csrf = page(&app.base, &cookie).await.1.unwrap();
    let dump = app.database_bytes().await;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let signature = token.rsplit('.').next().unwrap();
    for secret in [cookie.as_str(), token.as_str(), signature, csrf.as_str()] {
        for form in [secret.as_bytes().to_vec(), hex(secret.as_bytes()).into_bytes()] {
            assert!(!dump.windows(form.len()).any(|w| w == form), "the database holds {secret}");
        }
    }
    // What the row is keyed by is there, and signs no one in.
    let lookup = patchbay_vault::session_lookup_hash(&cookie);
    assert!(dump.windows(32).any(|w| w == lookup) || dump.windows(64).any(|w| w == hex(&lookup).as_bytes()));
    for stolen in [hex(&lookup), URL_SAFE_NO_PAD.encode(lookup)] {
        assert_eq!(page(&app.base, &stolen).await.0, StatusCode::SEE_OTHER);
    }
    // A row written straight into the database grants nothing either: its
    // token does not open with the id the writer chose.
    let forged = "forged-session-id";
    let (hash, blob) = (hex(&patchbay_vault::session_lookup_hash(forged)), hex(b"not sealed"));
    let literal = |hex: &str| match app.backend {
        Backend::Sqlite => format!("X'{hex}'"),
        Backend::Postgres => format!("'\\x{hex}'::bytea"),
    };
    let times = match app.backend {
        Backend::Sqlite => "0, 9000000000000000".to_owned(),
        Backend::Postgres => "now(), now() + interval '1 day'".to_owned(),
    };
    app.sql(&format!(
        "INSERT INTO console_sessions (id_hash, token_nonce, token_ciphertext, created_at, expires_at) \
         VALUES ({}, {}, {}, {times})",
        literal(&hash),
        literal(&hex(&[0; 24])),
        literal(&blob),
    ))
    .await;
    assert_eq!(page(&app.base, forged).await.0, StatusCode::SEE_OTHER);
    assert_eq!(page(&app.base, &cookie).await.0, StatusCode::OK, "the real session still works");
}

async fn expired_sessions_are_not_honoured_and_are_purged(app: TestApp) {
    let mut claims = TestApp::claims("acme", Role::Member);
    claims.exp = (time::OffsetDateTime::now_utc().unix_timestamp() + 2) as u64;
    let cookie = sign_in(&app.base, &app.sign(&claims)).await;
    assert_eq!(page(&app.base, &cookie).await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    // The token is still within the verifier's leeway; the session is not.
    assert_eq!(page(&app.base, &cookie).await.0, StatusCode::SEE_OTHER);
    let live = sign_in(&app.base, &app.token("acme", Role::Member)).await;
    let store = app.open_store().await;
    assert_eq!(patchbay_server::purge_expired_sessions(store.as_ref()).await.unwrap(), 1);
    assert_eq!(page(&app.base, &live).await.0, StatusCode::OK, "live sessions stay");
}

crate::both_backends!(
    a_session_survives_a_restart,
    a_session_row_is_of_no_use_to_a_database_reader,
    expired_sessions_are_not_honoured_and_are_purged,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_postgres_share_sessions_and_sign_out() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let replica = ExtraServer::beside(&app, Limits::default()).await;
    let cookie = sign_in(&app.base, &app.token("acme", Role::Admin)).await;
    let (status, csrf) = page(&replica.base, &cookie).await;
    assert_eq!(status, StatusCode::OK, "a session started on one replica is honoured by the other");
    assert_eq!(csrf, page(&app.base, &cookie).await.1, "with the same CSRF token");

    // A form posted to the replica passes its CSRF check.
    let response = no_redirects()
        .post(replica.url("/integrations/new"))
        .header(header::COOKIE, format!("patchbay_session={cookie}"))
        .form(&[("csrf", csrf.as_deref().unwrap()), ("name", "via-replica"), ("integration_type", "redis")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", response.text().await.unwrap());

    sign_out(&replica.base, &cookie, csrf.as_deref().unwrap()).await;
    assert_eq!(page(&app.base, &cookie).await.0, StatusCode::SEE_OTHER, "signed out on both");
    assert_eq!(page(&replica.base, &cookie).await.0, StatusCode::SEE_OTHER);
}
