//! Dynamic credentials through the API, against the real PostgreSQL and
//! Redis beside the tests: providers written by admins and bound to their
//! organization, integrations checked against them, a resolution that
//! makes a working user per run and fails closed, leases listed, renewed
//! and revoked by the roles allowed to, and expired leases revoked by the
//! server, once, even with two replicas.
use crate::extra_server::ExtraServer;
use crate::harness::{Backend, TestApp};
use patchbay_domain::Role;
use patchbay_server::limits::Limits;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const RESOLVE: &str = "/api/v1/custom-integrations/resolve";
/// The admin URL's password: the server trusts local connections, so it is
/// ignored by PostgreSQL, but it must never show in an answer.
const ADMIN_PASSWORD: &str = "admin-pw-never-shown";

/// A service's admin URL, or `None` (with a printed reason) when it does not
/// answer and `PATCHBAY_TEST_REQUIRE_SERVICES` is not `1`.
async fn service_url(var: &str, default: &str) -> Option<String> {
    let url = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    let parsed = url::Url::parse(&url).unwrap();
    let address = (parsed.host_str().unwrap().to_owned(), parsed.port().unwrap());
    let connect = tokio::net::TcpStream::connect(address.clone());
    if matches!(tokio::time::timeout(Duration::from_secs(2), connect).await, Ok(Ok(_))) {
        return Some(url);
    }
    let reason = format!("nothing answers on {}:{}", address.0, address.1);
    assert!(std::env::var("PATCHBAY_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"), "{reason}");
    eprintln!("skipping: {reason}");
    None
}

async fn pg_url() -> Option<String> {
    service_url("PATCHBAY_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test").await
}

async fn pg(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

async fn role_exists(url: &str, name: &str) -> bool {
    let admin = pg(url).await;
    admin.query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&name]).await.unwrap().is_some()
}

/// A schema of the test's own with a table of one row; dropped (with
/// whatever a failed test left granted on it) when the guard goes.
struct Schema {
    url: String,
    name: String,
}

impl Schema {
    async fn new(url: &str) -> Self {
        let name = format!("lease_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        pg(url)
            .await
            .batch_execute(&format!(
                "CREATE SCHEMA {name}; CREATE TABLE {name}.t (id int); INSERT INTO {name}.t VALUES (1)"
            ))
            .await
            .unwrap();
        Self { url: url.to_owned(), name }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let admin = pg(&url).await;
                // Users a failed test left behind hold grants on the schema.
                let users = admin
                    .query(
                        "SELECT DISTINCT grantee::text FROM information_schema.role_table_grants \
                         WHERE table_schema = $1 AND grantee LIKE 'patchbay%'",
                        &[&name],
                    )
                    .await
                    .unwrap_or_default();
                for user in users {
                    let user: String = user.get(0);
                    let _ = admin
                        .batch_execute(&format!("DROP OWNED BY \"{user}\"; DROP ROLE IF EXISTS \"{user}\""))
                        .await;
                }
                let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await;
            });
        })
        .join();
    }
}

fn admin_url_with_password(url: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_password(Some(ADMIN_PASSWORD)).unwrap();
    url.to_string()
}

/// A readonly role on `schema`: SELECT only.
fn readonly(schema: &str) -> Value {
    json!({"creation": [
        "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'",
        format!("GRANT USAGE ON SCHEMA {schema} TO \"{{{{name}}}}\""),
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO \"{{{{name}}}}\""),
    ]})
}

/// Stores the admin URL and a `pg` provider with a `readonly` role.
async fn pg_provider(app: &TestApp, org: &str, url: &str, schema: &str, ttl: u32, max: u32) {
    app.put_secret(org, "PG_ADMIN_URL", &admin_url_with_password(url)).await;
    let body = json!({
        "kind": "postgres", "connection_secret": "PG_ADMIN_URL",
        "default_ttl_seconds": ttl, "max_ttl_seconds": max,
        "roles": {"readonly": readonly(schema)}
    });
    let (status, written) = put_provider(app, org, Role::Admin, "pg", &body).await;
    assert_eq!(status, 201, "{written}");
}

async fn put_provider(app: &TestApp, org: &str, role: Role, name: &str, body: &Value) -> (u16, Value) {
    app.call(org, role, Method::PUT, &format!("/api/v1/credential-providers/{name}"), Some(body)).await
}

/// An integration `name` asking for one `readonly` lease from `pg`.
async fn leasing_integration(app: &TestApp, org: &str, name: &str, ttl: Option<u32>) -> String {
    let mut entry = json!({"provider": "pg", "role": "readonly",
                           "env": {"username": "PGUSER", "password": "PGPASSWORD"}});
    if let Some(ttl) = ttl {
        entry["ttl_seconds"] = json!(ttl);
    }
    app.create_integration(
        org,
        &json!({
            "name": name, "integration_type": "postgres",
            "config": {"env_vars": {"PGHOST": "127.0.0.1"}, "dynamic_credentials": [entry]}
        }),
    )
    .await
}

async fn resolve(app: &TestApp, org: &str, role: Role, names: &[&str]) -> (u16, Value) {
    app.call(org, role, Method::POST, RESOLVE, Some(&json!({"names": names}))).await
}

async fn lease(app: &TestApp, org: &str, id: &str) -> Value {
    let (status, lease) = app.get(org, Role::Viewer, &format!("/api/v1/leases/{id}")).await;
    assert_eq!(status, 200, "{lease}");
    lease
}

/// Waits up to `limit` for the lease to reach `state`.
async fn wait_for_state(app: &TestApp, org: &str, id: &str, state: &str, limit: Duration) -> Value {
    let start = Instant::now();
    loop {
        let lease = lease(app, org, id).await;
        if lease["state"] == state {
            return lease;
        }
        assert!(start.elapsed() < limit, "lease not {state} after {limit:?}: {lease}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn audit(app: &TestApp, org: &str, action: &str) -> Vec<Value> {
    let (status, events) =
        app.get(org, Role::Admin, &format!("/api/v1/audit-events?action={action}&limit=200")).await;
    assert_eq!(status, 200, "{events}");
    events["events"].as_array().unwrap().clone()
}

async fn providers_are_admin_written_and_bound_to_their_organization(app: TestApp) {
    app.put_secret("org-a", "PG_ADMIN_URL", "postgres://admin:s3cret-admin@db.internal/app").await;
    let body = json!({
        "kind": "postgres", "connection_secret": "PG_ADMIN_URL",
        "roles": {"readonly": readonly("public")}
    });
    for role in [Role::Viewer, Role::Member, Role::Worker] {
        let (status, refused) = put_provider(&app, "org-a", role, "pg", &body).await;
        assert_eq!(status, 403, "{role}: {refused}");
    }
    let (status, created) = put_provider(&app, "org-a", Role::Admin, "pg", &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["connection_secret"], "PG_ADMIN_URL");
    assert_eq!(
        (created["default_ttl_seconds"].clone(), created["max_ttl_seconds"].clone()),
        (json!(3600), json!(86400))
    );
    let (status, replaced) = put_provider(&app, "org-a", Role::Admin, "pg", &body).await;
    assert_eq!((status, replaced["created_at"].clone()), (200, created["created_at"].clone()));

    // Every role reads the metadata; nobody reads the admin URL through it.
    for role in [Role::Viewer, Role::Member, Role::Worker, Role::Admin] {
        let (status, read) = app.get("org-a", role, "/api/v1/credential-providers/pg").await;
        assert_eq!(status, 200, "{role}");
        assert!(!read.to_string().contains("s3cret-admin") && !read.to_string().contains("db.internal"));
        let (_, listed) = app.get("org-a", role, "/api/v1/credential-providers").await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
    }

    // Another organization sees nothing and can touch nothing.
    let (status, _) = app.get("org-b", Role::Admin, "/api/v1/credential-providers/pg").await;
    assert_eq!(status, 404);
    assert_eq!(app.get("org-b", Role::Admin, "/api/v1/credential-providers").await.1, json!([]));
    let (status, _) =
        app.call("org-b", Role::Admin, Method::DELETE, "/api/v1/credential-providers/pg", None).await;
    assert_eq!(status, 404);
    // Nor can it point its own provider at org-a's secret.
    let (status, refused) = put_provider(&app, "org-b", Role::Admin, "pg", &body).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["detail"][0]["loc"], json!(["body", "connection_secret"]));
    assert_eq!(refused["detail"][0]["type"], "unknown_secret");

    let events = audit(&app, "org-a", "provider.write").await;
    let outcomes: Vec<&str> = events.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["success", "success", "denied", "denied", "denied"], "{events:?}");
    assert!(!Value::Array(events).to_string().contains("s3cret-admin"));

    let (status, _) =
        app.call("org-a", Role::Member, Method::DELETE, "/api/v1/credential-providers/pg", None).await;
    assert_eq!(status, 403);
    let (status, _) =
        app.call("org-a", Role::Admin, Method::DELETE, "/api/v1/credential-providers/pg", None).await;
    assert_eq!(status, 204);
    let (status, gone) = app.get("org-a", Role::Admin, "/api/v1/credential-providers/pg").await;
    assert_eq!(status, 404, "{gone}");
    let outcomes: Vec<Value> =
        audit(&app, "org-a", "provider.delete").await.iter().map(|e| e["outcome"].clone()).collect();
    assert_eq!(outcomes, [json!("success"), json!("denied")]);
}

/// Each mistake is a 422 naming its field, and nothing stored changes.
async fn bad_providers_are_refused_naming_the_field(app: TestApp) {
    app.put_secret("org-a", "PG_ADMIN_URL", "postgres://admin@db.internal/app").await;
    let cases = [
        (
            json!({"kind": "oracle", "connection_secret": "PG_ADMIN_URL", "roles": {}}),
            json!(["body", "kind"]),
        ),
        (json!({"kind": "postgres", "roles": {}}), json!(["body", "connection_secret"])),
        (
            json!({"kind": "postgres", "connection_secret": "NOPE", "roles": {"r": readonly("public")}}),
            json!(["body", "connection_secret"]),
        ),
        (
            json!({"kind": "postgres", "connection_secret": "PG_ADMIN_URL",
                   "roles": {"r": {"creation": ["CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}'", "GRANT x TO bob"]}}}),
            json!(["body", "roles", "r", "creation", 1]),
        ),
        (
            json!({"kind": "postgres", "connection_secret": "PG_ADMIN_URL",
                   "roles": {"r": {"creation": ["CREATE ROLE \"{{name}}\" PASSWORD '{{pasword}}'"]}}}),
            json!(["body", "roles", "r", "creation", 0]),
        ),
        (
            json!({"kind": "postgres", "connection_secret": "PG_ADMIN_URL",
                   "roles": {"r": {"creation": ["CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}'"],
                                   "revocation": ["ALTER ROLE \"{{name}}\" PASSWORD '{{password}}'"]}}}),
            json!(["body", "roles", "r", "revocation", 0]),
        ),
        (
            json!({"kind": "redis", "connection_secret": "PG_ADMIN_URL", "roles": {"r": {"rules": "~app:* >pw +get"}}}),
            json!(["body", "roles", "r", "rules"]),
        ),
        (
            json!({"kind": "postgres", "connection_secret": "PG_ADMIN_URL",
                   "default_ttl_seconds": 7200, "max_ttl_seconds": 3600, "roles": {}}),
            json!(["body", "default_ttl_seconds"]),
        ),
        (
            json!({"kind": "postgres", "connection_secret": "PG_ADMIN_URL", "roles": {"Bad Role": readonly("public")}}),
            json!(["body", "roles", "Bad Role", "[key]"]),
        ),
    ];
    for (body, loc) in cases {
        let (status, refused) = put_provider(&app, "org-a", Role::Admin, "pg", &body).await;
        assert_eq!(status, 422, "{body}: {refused}");
        let locs: Vec<&Value> = refused["detail"].as_array().unwrap().iter().map(|e| &e["loc"]).collect();
        assert!(locs.contains(&&loc), "{body}: expected {loc} in {refused}");
    }
    let (status, refused) = put_provider(
        &app,
        "org-a",
        Role::Admin,
        "Not A Name",
        &json!({"kind": "postgres", "connection_secret": "PG_ADMIN_URL", "roles": {}}),
    )
    .await;
    assert_eq!((status, refused["detail"][0]["loc"].clone()), (422, json!(["path", "name"])));
    assert_eq!(app.get("org-a", Role::Admin, "/api/v1/credential-providers").await.1, json!([]));
}

async fn integrations_are_checked_against_their_providers(app: TestApp) {
    app.put_secret("org-a", "PG_ADMIN_URL", "postgres://admin@db.internal/app").await;
    let provider = json!({"kind": "postgres", "connection_secret": "PG_ADMIN_URL",
                          "default_ttl_seconds": 300, "max_ttl_seconds": 600,
                          "roles": {"readonly": readonly("public")}});
    assert_eq!(put_provider(&app, "org-a", Role::Admin, "pg", &provider).await.0, 201);
    let cases = [
        (
            json!({"provider": "nope", "role": "readonly", "env": {"username": "U"}}),
            "provider",
            "unknown_provider",
        ),
        (json!({"provider": "pg", "role": "writer", "env": {"username": "U"}}), "role", "unknown_role"),
        (
            json!({"provider": "pg", "role": "readonly", "ttl_seconds": 601, "env": {"username": "U"}}),
            "ttl_seconds",
            "less_than_equal",
        ),
        (json!({"provider": "pg", "role": "readonly", "env": {"username": "HOST"}}), "env", "value_error"),
        (
            json!({"provider": "pg", "role": "readonly", "env": {"username": "1BAD"}}),
            "env",
            "string_pattern_mismatch",
        ),
    ];
    for (entry, field, kind) in cases {
        let body = json!({"name": "db", "integration_type": "postgres",
                          "config": {"env_vars": {"HOST": "h"}, "dynamic_credentials": [entry]}});
        let (status, refused) =
            app.send_json(Method::POST, "/api/v1/custom-integrations", "org-a", &body).await;
        assert_eq!(status, 422, "{entry}: {refused}");
        let error = &refused["detail"][0];
        let loc = error["loc"].as_array().unwrap();
        assert_eq!(
            loc[..5],
            [json!("body"), json!("config"), json!("dynamic_credentials"), json!(0), json!(field)],
            "{refused}"
        );
        assert_eq!(error["type"], kind, "{refused}");
    }
    // The same check guards an update, and another organization's provider
    // is no provider at all.
    let id = app
        .create_integration("org-a", &json!({"name": "db", "integration_type": "postgres", "config": {}}))
        .await;
    let patch = json!({"config": {"dynamic_credentials": [{"provider": "pg", "role": "nope", "env": {"username": "U"}}]}});
    let (status, refused) =
        app.send_json(Method::PUT, &format!("/api/v1/custom-integrations/{id}"), "org-a", &patch).await;
    assert_eq!((status, refused["detail"][0]["type"].clone()), (422, json!("unknown_role")), "{refused}");
    let body = json!({"name": "db", "integration_type": "postgres",
                      "config": {"dynamic_credentials": [{"provider": "pg", "role": "readonly", "env": {"username": "U"}}]}});
    let (status, refused) = app.send_json(Method::POST, "/api/v1/custom-integrations", "org-b", &body).await;
    assert_eq!((status, refused["detail"][0]["type"].clone()), (422, json!("unknown_provider")), "{refused}");
}

/// The whole life of a lease on the real PostgreSQL.
async fn a_resolution_leases_a_working_user_until_it_is_revoked(app: TestApp) {
    let Some(url) = pg_url().await else { return };
    let schema = Schema::new(&url).await;
    pg_provider(&app, "org-a", &url, &schema.name, 600, 3600).await;
    leasing_integration(&app, "org-a", "analytics", Some(300)).await;

    // A dry run shows the names masked and makes nothing.
    let (status, dry) = app
        .call(
            "org-a",
            Role::Viewer,
            Method::POST,
            &format!("{RESOLVE}?dry_run=true"),
            Some(&json!({"names": ["analytics"]})),
        )
        .await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(
        (dry["env_vars"]["PGUSER"].clone(), dry["env_vars"]["PGPASSWORD"].clone()),
        (json!("***"), json!("***"))
    );
    assert_eq!(app.get("org-a", Role::Viewer, "/api/v1/leases").await.1, json!([]));

    let (status, bundle) = resolve(&app, "org-a", Role::Worker, &["analytics"]).await;
    assert_eq!(status, 200, "{bundle}");
    let username = bundle["env_vars"]["PGUSER"].as_str().unwrap().to_owned();
    let password = bundle["env_vars"]["PGPASSWORD"].as_str().unwrap().to_owned();
    // The organization's name, cleaned to what an identifier may hold.
    assert!(username.starts_with("patchbay_orga_"), "{username}");
    assert!(password.len() >= 22, "at least 128 bits: {password}");
    let leases = bundle["leases"].as_array().unwrap();
    assert_eq!(leases.len(), 1);
    assert_eq!((leases[0]["provider"].clone(), leases[0]["role"].clone()), (json!("pg"), json!("readonly")));
    assert_eq!(leases[0]["username"], username.as_str());
    let id = leases[0]["id"].as_str().unwrap().to_owned();

    // The user can read and can do nothing else.
    let mut as_user = url::Url::parse(&url).unwrap();
    as_user.set_username(&username).unwrap();
    as_user.set_password(Some(&password)).unwrap();
    let user = pg(as_user.as_str()).await;
    let rows = user.query(&format!("SELECT id FROM {}.t", schema.name), &[]).await.unwrap();
    assert_eq!(rows.len(), 1);
    let refused = user.batch_execute(&format!("DROP TABLE {}.t", schema.name)).await.unwrap_err();
    assert!(
        refused.to_string().contains("must be owner") || format!("{refused:?}").contains("42501"),
        "{refused:?}"
    );
    drop(user);

    // Listed for every role, filtered, and invisible to another organization.
    let listed = app
        .get("org-a", Role::Viewer, "/api/v1/leases?provider=pg&state=active&integration=analytics")
        .await
        .1;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["state"], "active");
    assert!(!listed.to_string().contains(&password));
    assert_eq!(app.get("org-a", Role::Viewer, "/api/v1/leases?state=revoked").await.1, json!([]));
    let (status, refused) = app.get("org-a", Role::Viewer, "/api/v1/leases?state=gone").await;
    assert_eq!((status, refused["detail"][0]["loc"].clone()), (422, json!(["query", "state"])));
    assert_eq!(app.get("org-b", Role::Admin, "/api/v1/leases").await.1, json!([]));
    assert_eq!(app.get("org-b", Role::Admin, &format!("/api/v1/leases/{id}")).await.0, 404);
    let path = format!("/api/v1/leases/{id}");
    assert_eq!(app.call("org-b", Role::Admin, Method::DELETE, &path, None).await.0, 404);
    let renew = format!("{path}/renew");
    assert_eq!(
        app.call("org-b", Role::Admin, Method::POST, &renew, Some(&json!({"ttl_seconds": 60}))).await.0,
        404
    );

    // Renewal: workers and admins, capped at the provider's max from creation.
    for role in [Role::Viewer, Role::Member] {
        let (status, _) =
            app.call("org-a", role, Method::POST, &renew, Some(&json!({"ttl_seconds": 60}))).await;
        assert_eq!(status, 403, "{role}");
    }
    for bad in [json!({"ttl_seconds": 0}), json!({"ttl_seconds": "x"}), json!({})] {
        let (status, refused) = app.call("org-a", Role::Worker, Method::POST, &renew, Some(&bad)).await;
        assert_eq!(
            (status, refused["detail"][0]["loc"].clone()),
            (422, json!(["body", "ttl_seconds"])),
            "{bad}"
        );
    }
    let (status, renewed) =
        app.call("org-a", Role::Worker, Method::POST, &renew, Some(&json!({"ttl_seconds": 2_000_000}))).await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["expires_at"], renewed["max_expires_at"]);

    // A provider with a live lease cannot be deleted; a viewer cannot revoke.
    let (status, refused) =
        app.call("org-a", Role::Admin, Method::DELETE, "/api/v1/credential-providers/pg", None).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(app.call("org-a", Role::Viewer, Method::DELETE, &path, None).await.0, 403);
    assert!(role_exists(&url, &username).await);

    // A member revokes it: the user is gone and cannot log in.
    assert_eq!(app.call("org-a", Role::Member, Method::DELETE, &path, None).await.0, 204);
    assert!(!role_exists(&url, &username).await);
    assert!(tokio_postgres::connect(as_user.as_str(), tokio_postgres::NoTls).await.is_err());
    let revoked = lease(&app, "org-a", &id).await;
    assert_eq!(revoked["state"], "revoked");
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(
        app.call("org-a", Role::Member, Method::DELETE, &path, None).await.0,
        204,
        "revoking again is a no-op"
    );
    let (status, _) =
        app.call("org-a", Role::Worker, Method::POST, &renew, Some(&json!({"ttl_seconds": 60}))).await;
    assert_eq!(status, 409, "a revoked lease cannot be renewed");
    assert_eq!(
        app.call("org-a", Role::Admin, Method::DELETE, "/api/v1/credential-providers/pg", None).await.0,
        204
    );

    // Audited with provider, role, username and integration; never a password.
    let mut all = Vec::new();
    for action in ["lease.create", "lease.renew", "lease.revoke"] {
        let events = audit(&app, "org-a", action).await;
        assert!(!events.is_empty(), "no {action} event");
        all.extend(events);
    }
    let text = Value::Array(all.clone()).to_string();
    assert!(text.contains(&username) && text.contains("readonly") && text.contains("analytics"), "{text}");
    assert!(!text.contains(&password) && !text.contains(ADMIN_PASSWORD), "{text}");
    assert!(!app.database_bytes().await.windows(password.len()).any(|w| w == password.as_bytes()));
}

/// A lease that cannot be made fails the resolution, names the provider and
/// the database's error (never the admin URL's password), and revokes what
/// the resolution made before it.
async fn a_failed_lease_fails_closed_and_revokes_the_others(app: TestApp) {
    let Some(url) = pg_url().await else { return };
    let schema = Schema::new(&url).await;
    pg_provider(&app, "org-a", &url, &schema.name, 600, 3600).await;
    let broken = json!({"creation": [
        "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}'",
        "GRANT SELECT ON no_such_schema_here.t TO \"{{name}}\"",
    ]});
    let body = json!({"kind": "postgres", "connection_secret": "PG_ADMIN_URL",
                      "roles": {"readonly": readonly(&schema.name), "broken": broken}});
    assert_eq!(put_provider(&app, "org-a", Role::Admin, "pg", &body).await.0, 200);
    app.create_integration(
        "org-a",
        &json!({
            "name": "two", "integration_type": "postgres",
            "config": {"dynamic_credentials": [
                {"provider": "pg", "role": "readonly", "env": {"username": "U1", "password": "P1"}},
                {"provider": "pg", "role": "broken", "env": {"username": "U2", "password": "P2"}}
            ]}
        }),
    )
    .await;

    let (status, refused) = resolve(&app, "org-a", Role::Admin, &["two"]).await;
    assert_eq!(status, 422, "{refused}");
    let error = &refused["detail"][0];
    assert_eq!(error["loc"], json!(["integrations", "two", "config", "dynamic_credentials", 1]));
    let message = error["msg"].as_str().unwrap();
    assert!(message.contains("'pg'") && message.contains("no_such_schema_here"), "{message}");
    assert!(!refused.to_string().contains(ADMIN_PASSWORD), "{refused}");

    let leases = app.get("org-a", Role::Viewer, "/api/v1/leases").await.1;
    let leases = leases.as_array().unwrap();
    assert_eq!(leases.len(), 2, "{leases:?}");
    for lease in leases {
        assert_eq!(lease["state"], "revoked", "{lease}");
        assert!(!role_exists(&url, lease["username"].as_str().unwrap()).await);
    }
}

/// A lease nobody revokes is revoked by the server soon after it expires.
async fn an_expired_lease_is_revoked_without_any_call(app: TestApp) {
    let Some(url) = pg_url().await else { return };
    let schema = Schema::new(&url).await;
    pg_provider(&app, "org-a", &url, &schema.name, 3, 60).await;
    leasing_integration(&app, "org-a", "brief", None).await;
    let (status, bundle) = resolve(&app, "org-a", Role::Worker, &["brief"]).await;
    assert_eq!(status, 200, "{bundle}");
    let username = bundle["leases"][0]["username"].as_str().unwrap().to_owned();
    let id = bundle["leases"][0]["id"].as_str().unwrap().to_owned();
    assert!(role_exists(&url, &username).await);
    wait_for_state(&app, "org-a", &id, "revoked", Duration::from_secs(15)).await;
    assert!(!role_exists(&url, &username).await);
    let events = audit(&app, "org-a", "lease.revoke").await;
    assert_eq!(events.len(), 1, "{events:?}");
}

async fn metrics(app: &TestApp) -> String {
    app.request(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap()
}

/// A server that was down revokes, at start, the leases that expired while
/// no server ran.
async fn a_server_that_was_down_revokes_overdue_leases_at_start(mut app: TestApp) {
    let Some(url) = pg_url().await else { return };
    let schema = Schema::new(&url).await;
    pg_provider(&app, "org-a", &url, &schema.name, 1, 60).await;
    leasing_integration(&app, "org-a", "brief", None).await;
    let (status, bundle) = resolve(&app, "org-a", Role::Worker, &["brief"]).await;
    assert_eq!(status, 200, "{bundle}");
    let id = bundle["leases"][0]["id"].as_str().unwrap().to_owned();
    let username = bundle["leases"][0]["username"].as_str().unwrap().to_owned();
    assert!(metrics(&app).await.contains("patchbay_leases_live 1"));
    app.stop().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(role_exists(&url, &username).await, "nobody revoked it while the server was down");
    app.start_again().await;
    // The first pass runs at start, before the first 2-second tick.
    wait_for_state(&app, "org-a", &id, "revoked", Duration::from_secs(2)).await;
    assert!(!role_exists(&url, &username).await);
}

/// A revocation the database refuses is `revoke_failed` with its error,
/// retried with backoff, and succeeds once the database answers again.
async fn a_failing_revocation_is_retried(app: TestApp) {
    let Some(url) = pg_url().await else { return };
    let schema = Schema::new(&url).await;
    pg_provider(&app, "org-a", &url, &schema.name, 600, 3600).await;
    leasing_integration(&app, "org-a", "db", None).await;
    let (_, bundle) = resolve(&app, "org-a", Role::Worker, &["db"]).await;
    let id = bundle["leases"][0]["id"].as_str().unwrap().to_owned();
    let username = bundle["leases"][0]["username"].as_str().unwrap().to_owned();

    // The admin URL now points at a closed port.
    app.put_secret(
        "org-a",
        "PG_ADMIN_URL",
        &format!("postgres://postgres:{ADMIN_PASSWORD}@127.0.0.1:1/test"),
    )
    .await;
    let (status, refused) =
        app.call("org-a", Role::Member, Method::DELETE, &format!("/api/v1/leases/{id}"), None).await;
    assert_eq!(status, 503, "{refused}");
    assert!(!refused.to_string().contains(ADMIN_PASSWORD), "{refused}");
    let failed = lease(&app, "org-a", &id).await;
    assert_eq!(failed["state"], "revoke_failed");
    assert_eq!(failed["revoke_attempts"], 1);
    assert!(
        failed["last_error"].as_str().is_some_and(|e| !e.is_empty() && !e.contains(ADMIN_PASSWORD)),
        "{failed}"
    );
    assert!(failed["next_attempt_at"].is_string());
    assert_eq!(
        app.get("org-a", Role::Viewer, "/api/v1/leases?state=revoke_failed")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(role_exists(&url, &username).await);
    let metrics = metrics(&app).await;
    assert!(metrics.contains("patchbay_leases_revoke_failed 1"), "{metrics}");
    assert!(metrics.contains("patchbay_lease_revocation_failures_total 1"), "{metrics}");

    // Fixed: the revoker retries (first backoff 5 s) and the user is gone.
    app.put_secret("org-a", "PG_ADMIN_URL", &admin_url_with_password(&url)).await;
    wait_for_state(&app, "org-a", &id, "revoked", Duration::from_secs(20)).await;
    assert!(!role_exists(&url, &username).await);
    let outcomes: Vec<Value> =
        audit(&app, "org-a", "lease.revoke").await.iter().map(|e| e["outcome"].clone()).collect();
    assert!(outcomes.contains(&json!("success")) && outcomes.contains(&json!("failed")), "{outcomes:?}");
}

/// A connection test gets its own lease (the password masked in its
/// output, its life capped by the test's timeout) and loses it when the
/// result comes in.
async fn a_connection_test_leases_a_user_for_the_test_only(app: TestApp) {
    let Some(url) = pg_url().await else { return };
    let schema = Schema::new(&url).await;
    pg_provider(&app, "org-a", &url, &schema.name, 600, 3600).await;
    let command = "echo \"user=$PGUSER pw=$PGPASSWORD\"";
    let id = app
        .create_integration(
            "org-a",
            &json!({
                "name": "tested", "integration_type": "postgres",
                "config": {
                    "dynamic_credentials": [{"provider": "pg", "role": "readonly",
                                             "env": {"username": "PGUSER", "password": "PGPASSWORD"}}],
                    "connection_test": {"command": command, "timeout": 5}
                }
            }),
        )
        .await;
    let worker = app.worker("org-a", 0).await;
    let path = format!("/api/v1/custom-integrations/{id}/test?wait=false");
    let (status, queued) = app.call("org-a", Role::Member, Method::POST, &path, None).await;
    assert_eq!(status, 202, "{queued}");
    assert_eq!(worker.try_run_one().await.unwrap(), patchbay_worker::Step::Ran);
    let job_id = queued["job_id"].as_str().unwrap();
    let result = app.client("org-a", Role::Viewer).get_connection_test(job_id).await.unwrap();
    assert_eq!(result.status.as_str(), "passed", "{:?}", result.output);
    let output = result.output.unwrap();
    assert!(output.starts_with("user=patchbay_orga_") && output.ends_with(" pw=***\n"), "{output}");

    let leases = app.get("org-a", Role::Viewer, "/api/v1/leases?integration=tested").await.1;
    assert_eq!(leases.as_array().unwrap().len(), 1, "{leases}");
    let lease = &leases[0];
    assert_eq!(lease["job_id"], job_id);
    // Capped at the test's timeout and a minute's margin, not the provider's 600 s.
    let created = time::OffsetDateTime::parse(
        lease["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        lease["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((expires - created).whole_seconds(), 65);
    let revoked =
        wait_for_state(&app, "org-a", lease["id"].as_str().unwrap(), "revoked", Duration::from_secs(10))
            .await;
    assert!(!role_exists(&url, revoked["username"].as_str().unwrap()).await);
}

/// Redis: the leased user may run what its ACL rules allow, on the keys
/// they allow, and nothing else; revoked, it cannot log in.
async fn a_redis_lease_is_bound_by_its_acl_rules(app: TestApp) {
    let Some(url) = service_url("PATCHBAY_TEST_REDIS_URL", "redis://127.0.0.1:6379").await else { return };
    app.put_secret("org-a", "REDIS_ADMIN_URL", &url).await;
    let body = json!({"kind": "redis", "connection_secret": "REDIS_ADMIN_URL",
                      "roles": {"app": {"rules": "~app:* +get +set"}}});
    assert_eq!(put_provider(&app, "org-a", Role::Admin, "cache", &body).await.0, 201);
    app.create_integration(
        "org-a",
        &json!({
            "name": "cache", "integration_type": "redis",
            "config": {"dynamic_credentials": [{"provider": "cache", "role": "app",
                       "env": {"username": "REDIS_USER", "password": "REDIS_PASSWORD"}}]}
        }),
    )
    .await;
    let (status, bundle) = resolve(&app, "org-a", Role::Worker, &["cache"]).await;
    assert_eq!(status, 200, "{bundle}");
    let user = bundle["env_vars"]["REDIS_USER"].as_str().unwrap().to_owned();
    let password = bundle["env_vars"]["REDIS_PASSWORD"].as_str().unwrap().to_owned();
    let id = bundle["leases"][0]["id"].as_str().unwrap().to_owned();

    let mut redis = Redis::connect(&url);
    assert_eq!(redis.command(&["AUTH", &user, &password]), "+OK");
    assert_eq!(redis.command(&["SET", "app:x", "1"]), "+OK");
    assert!(redis.command(&["SET", "other:x", "1"]).starts_with("-NOPERM"));
    assert!(redis.command(&["DEL", "app:x"]).starts_with("-NOPERM"));

    assert_eq!(
        app.call("org-a", Role::Member, Method::DELETE, &format!("/api/v1/leases/{id}"), None).await.0,
        204
    );
    let mut again = Redis::connect(&url);
    assert!(again.command(&["AUTH", &user, &password]).starts_with("-WRONGPASS"));
    let mut admin = Redis::connect(&url);
    admin.command(&["DEL", "app:x"]);
}

/// A blocking RESP client: enough for AUTH and a few commands.
struct Redis(std::io::BufReader<std::net::TcpStream>);

impl Redis {
    fn connect(url: &str) -> Self {
        let url = url::Url::parse(url).unwrap();
        let stream =
            std::net::TcpStream::connect((url.host_str().unwrap(), url.port().unwrap_or(6379))).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Self(std::io::BufReader::new(stream))
    }

    /// The reply's first line.
    fn command(&mut self, args: &[&str]) -> String {
        use std::io::{BufRead, Write};
        let mut out = format!("*{}\r\n", args.len());
        for arg in args {
            out.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.0.get_mut().write_all(out.as_bytes()).unwrap();
        let mut line = String::new();
        self.0.read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    }
}

crate::both_backends!(
    providers_are_admin_written_and_bound_to_their_organization,
    bad_providers_are_refused_naming_the_field,
    integrations_are_checked_against_their_providers,
    a_resolution_leases_a_working_user_until_it_is_revoked,
    a_failed_lease_fails_closed_and_revokes_the_others,
    an_expired_lease_is_revoked_without_any_call,
    a_failing_revocation_is_retried,
    a_redis_lease_is_bound_by_its_acl_rules,
    a_connection_test_leases_a_user_for_the_test_only,
    a_server_that_was_down_revokes_overdue_leases_at_start,
);

/// Two servers on one PostgreSQL both run the revoker; each expired lease
/// is revoked once (one successful `lease.revoke` each).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_revoke_each_expired_lease_once() {
    let Some(app) = TestApp::spawn(Backend::Postgres).await else { return };
    let Some(url) = pg_url().await else { return };
    let _replica = ExtraServer::beside(&app, Limits::default()).await;
    let schema = Schema::new(&url).await;
    pg_provider(&app, "org-a", &url, &schema.name, 2, 60).await;
    let names: Vec<String> = (0..6).map(|i| format!("db-{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        app.create_integration(
            "org-a",
            &json!({
                "name": name, "integration_type": "postgres",
                "config": {"dynamic_credentials": [{"provider": "pg", "role": "readonly",
                           "env": {"username": format!("USER_{i}"), "password": format!("PASSWORD_{i}")}}]}
            }),
        )
        .await;
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (status, bundle) = resolve(&app, "org-a", Role::Worker, &names).await;
    assert_eq!(status, 200, "{bundle}");
    let ids: Vec<String> =
        bundle["leases"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 6);
    for id in &ids {
        wait_for_state(&app, "org-a", id, "revoked", Duration::from_secs(15)).await;
    }
    let events = audit(&app, "org-a", "lease.revoke").await;
    for id in &ids {
        let revocations =
            events.iter().filter(|e| e["resource_id"] == id.as_str() && e["outcome"] == "success").count();
        assert_eq!(revocations, 1, "lease {id}: {events:?}");
    }
}
