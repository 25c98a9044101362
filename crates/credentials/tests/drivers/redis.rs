use crate::support::{Cleanup, Redis, admin_url, as_user, unique};
use patchbay_credentials::{Step, create, generate, revoke, validate_role};
use patchbay_domain::{ProviderKind, ProviderRole};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const KIND: ProviderKind = ProviderKind::Redis;

fn app_role() -> ProviderRole {
    ProviderRole { rules: Some("~app:* +get +set".into()), ..ProviderRole::default() }
}

fn soon() -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::hours(1)
}

#[tokio::test]
async fn a_user_limited_to_its_keys_is_made_used_and_revoked() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    let key = format!("app:{}", unique());
    cleanup.statements.push(format!("DEL {key}"));
    let role = app_role();
    validate_role(KIND, &role).unwrap();
    let creds = generate(KIND, "acme", soon());
    cleanup.usernames.push(creds.username.clone());

    create(KIND, &admin_url, &role, &creds).await.unwrap();

    let mut user = Redis::connect(&admin_url).unwrap();
    assert_eq!(
        user.command(&["AUTH", &creds.username, "wrong"]).unwrap().split(' ').next(),
        Some("-WRONGPASS")
    );
    assert_eq!(user.command(&["AUTH", &creds.username, &creds.password]).unwrap(), "+OK");
    assert_eq!(user.command(&["SET", &key, "v"]).unwrap(), "+OK");
    assert_eq!(user.command(&["GET", &key]).unwrap(), "$v");
    let other = format!("other:{}", unique());
    let refused = user.command(&["SET", &other, "v"]).unwrap();
    assert!(refused.starts_with("-NOPERM"), "{refused}");
    let refused = user.command(&["DEL", &key]).unwrap();
    assert!(refused.starts_with("-NOPERM"), "{refused}");

    revoke(KIND, &admin_url, &[], &creds.username).await.unwrap();

    // ACL DELUSER disconnects the user's clients.
    assert!(user.command(&["GET", &key]).is_err(), "the user's connection was closed");
    let mut again = Redis::connect(&admin_url).unwrap();
    let refused = again.command(&["AUTH", &creds.username, &creds.password]).unwrap();
    assert!(refused.starts_with("-WRONGPASS"), "{refused}");
    revoke(KIND, &admin_url, &[], &creds.username).await.unwrap();
}

#[tokio::test]
async fn an_admin_with_a_username_and_password_logs_in() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    // An admin of its own, made with the driver and given the ACL commands.
    let admin_role = ProviderRole { rules: Some("+acl +ping".into()), ..ProviderRole::default() };
    let admin = generate(KIND, "admin", soon());
    cleanup.usernames.push(admin.username.clone());
    create(KIND, &admin_url, &admin_role, &admin).await.unwrap();
    let url = format!("{}/0", as_user(&admin_url, &admin.username, &admin.password).trim_end_matches('/'));

    let creds = generate(KIND, "acme", soon());
    cleanup.usernames.push(creds.username.clone());
    create(KIND, &url, &app_role(), &creds).await.unwrap();
    let mut user = Redis::connect(&admin_url).unwrap();
    assert_eq!(user.command(&["AUTH", &creds.username, &creds.password]).unwrap(), "+OK");
    revoke(KIND, &url, &[], &creds.username).await.unwrap();
    let refused = user.command(&["AUTH", &creds.username, &creds.password]);
    assert!(refused.as_deref().map_or(true, |reply| reply.starts_with("-WRONGPASS")), "{refused:?}");
}

#[tokio::test]
async fn a_rule_redis_refuses_is_reported() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let mut cleanup = Cleanup::new(KIND, &admin_url);
    let role = ProviderRole { rules: Some("~app:* +nosuchcommand".into()), ..ProviderRole::default() };
    let creds = generate(KIND, "acme", soon());
    cleanup.usernames.push(creds.username.clone());

    let error = create(KIND, &admin_url, &role, &creds).await.unwrap_err();

    assert_eq!(error.step, Step::SetUser);
    let text = error.to_string();
    assert!(text.starts_with("redis: ACL SETUSER: ERR"), "{text}");
    assert!(text.contains("nosuchcommand"), "{text}");
    assert!(!text.contains(creds.password.as_str()), "{text}");
    let mut user = Redis::connect(&admin_url).unwrap();
    let refused = user.command(&["AUTH", &creds.username, &creds.password]).unwrap();
    assert!(refused.starts_with("-WRONGPASS"), "no user stays: {refused}");
}

#[tokio::test]
async fn a_wrong_admin_password_is_reported_without_it() {
    let Some(admin_url) = admin_url(KIND).await else { return };
    let secret = format!("secret_{}", unique());
    let bad_url = as_user(&admin_url, &secret, &secret);
    let creds = generate(KIND, "acme", soon());

    let error = create(KIND, &bad_url, &app_role(), &creds).await.unwrap_err();

    assert_eq!(error.step, Step::Connect);
    let text = error.to_string();
    assert!(text.starts_with("redis: connecting: WRONGPASS"), "{text}");
    assert!(!text.contains(&secret), "{text}");
}

#[tokio::test]
async fn an_unreachable_server_fails_quickly() {
    let creds = generate(KIND, "acme", soon());
    let started = Instant::now();
    let error = create(KIND, "redis://127.0.0.1:1", &app_role(), &creds).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(error.step, Step::Connect);
    assert!(error.to_string().starts_with("redis: connecting: "), "{error}");
}
