//! The measured requests. A scenario is a name, a connection count and a
//! function from (connection, turn) to a request; adding one is adding an
//! entry to `standard`.
use crate::client::request;
use crate::load::MakeRequest;
use crate::seed::{KINDS, RESOLVED};
use serde_json::json;
use std::sync::Arc;

pub struct Scenario {
    pub name: &'static str,
    pub connections: usize,
    pub make: MakeRequest,
}

/// What the scenarios need to know about the seeded data.
pub struct Fixture {
    pub token: String,
    pub ids: Arc<Vec<String>>,
    /// The integration whose connection test is `true`.
    pub test_id: String,
}

/// Connections for the connection-test scenario: as many as the embedded
/// worker runs tests at once, so the figure is a test's cost, not queueing.
const TEST_CONNECTIONS: usize = 2;

const ITEMS: &str = "/api/v1/custom-integrations";

pub fn get_by_id(fixture: &Fixture, connections: usize, name: &'static str) -> Scenario {
    let (token, ids) = (fixture.token.clone(), fixture.ids.clone());
    let make: MakeRequest = Arc::new(move |conn, turn| {
        let id = &ids[(conn * 37 + turn as usize) % ids.len()];
        (request("GET", &format!("{ITEMS}/{id}"), &token, None), 200)
    });
    Scenario { name, connections, make }
}

pub fn list_by_type(fixture: &Fixture, connections: usize, name: &'static str) -> Scenario {
    let token = fixture.token.clone();
    let make: MakeRequest = Arc::new(move |conn, turn| {
        let kind = (conn + turn as usize) % KINDS;
        (request("GET", &format!("{ITEMS}?integration_type=type-{kind}"), &token, None), 200)
    });
    Scenario { name, connections, make }
}

pub fn standard(fixture: &Fixture, connections: usize) -> Vec<Scenario> {
    let token = fixture.token.clone();
    let by_tag: MakeRequest = Arc::new(move |conn, turn| {
        let tag = (conn + turn as usize) % KINDS;
        (request("GET", &format!("{ITEMS}?tags=tag-{tag}"), &token, None), 200)
    });
    let token = fixture.token.clone();
    let run = uuid::Uuid::new_v4().simple().to_string();
    let create: MakeRequest = Arc::new(move |conn, turn| {
        let body = crate::seed::integration(&format!("new-{run}-{conn}-{turn}"), "created", &["new"]);
        (request("POST", ITEMS, &token, Some(&body)), 201)
    });
    let (token, ids) = (fixture.token.clone(), fixture.ids.clone());
    let update: MakeRequest = Arc::new(move |conn, turn| {
        let id = &ids[(conn * 31 + turn as usize) % ids.len()];
        let body = json!({"description": format!("revision {turn} from connection {conn}")}).to_string();
        (request("PUT", &format!("{ITEMS}/{id}"), &token, Some(&body)), 200)
    });
    let token = fixture.token.clone();
    let names: Vec<String> = (0..RESOLVED).map(|j| format!("resolve-{j}")).collect();
    let resolve_body = json!({ "names": names }).to_string();
    let resolve: MakeRequest = Arc::new(move |_, _| {
        (request("POST", &format!("{ITEMS}/resolve"), &token, Some(&resolve_body)), 200)
    });
    let token = fixture.token.clone();
    let test_path = format!("{ITEMS}/{}/test", fixture.test_id);
    let connection_test: MakeRequest = Arc::new(move |_, _| (request("POST", &test_path, &token, None), 200));
    vec![
        get_by_id(fixture, connections, "get by id"),
        list_by_type(fixture, connections, "list by type (50)"),
        Scenario { name: "list by tag (50)", connections, make: by_tag },
        Scenario { name: "create", connections, make: create },
        Scenario { name: "update", connections, make: update },
        Scenario { name: "resolve 5 integrations, 10 secrets", connections, make: resolve },
        Scenario { name: "connection test of `true`", connections: TEST_CONNECTIONS, make: connection_test },
        get_by_id(fixture, 1000, "get by id, 1,000 connections"),
    ]
}
