//! The measured requests. A scenario is a key, a name, a connection count
//! and a function from (connection, turn) to a request; adding one is adding
//! an entry to `standard` (or to a scaling step, for the large organization).
use crate::client::request;
use crate::load::MakeRequest;
use crate::seed::{KINDS, RESOLVED};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;

/// What a scenario measures, stable across runs and names: the JSON's `key`
/// and what the targets look rows up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Key {
    GetById,
    ListByType,
    ListByTag,
    Create,
    Update,
    Resolve,
    ConnectionTest,
    GetById1000,
    /// Get by id while searches that match nothing run on other connections.
    GetByIdBesideSearches,
    /// Those searches.
    SearchBesideGetById,
    ListByTypeScaled,
    ListByTagScaled,
    /// A search that matches nothing, alone on one connection.
    SearchScaled,
}

pub struct Scenario {
    pub key: Key,
    /// For people; `--only` matches it.
    pub name: String,
    pub connections: usize,
    pub make: MakeRequest,
    /// Integrations in the measured organization, for the scaling steps.
    pub org_size: Option<usize>,
    /// Load driven in the same window on connections of its own and
    /// reported as a row of its own: what this scenario competes with.
    pub beside: Option<Box<Scenario>>,
}

impl Scenario {
    fn new(key: Key, name: impl Into<String>, connections: usize, make: MakeRequest) -> Self {
        Self { key, name: name.into(), connections, make, org_size: None, beside: None }
    }

    fn in_org_of(mut self, size: usize) -> Self {
        self.org_size = Some(size);
        self
    }
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

/// Concurrent searches in the stall scenario, as many as the target names.
pub const SEARCHES: usize = 4;

/// Nothing seeded contains it: seeded names and descriptions are words,
/// digits and hexadecimal, so every search reads the whole organization.
const NO_MATCH: &str = "zzzz-nomatch";

const ITEMS: &str = "/api/v1/custom-integrations";

fn get_by_id(fixture: &Fixture, connections: usize, key: Key, name: impl Into<String>) -> Scenario {
    let (token, ids) = (fixture.token.clone(), fixture.ids.clone());
    let make: MakeRequest = Arc::new(move |conn, turn| {
        let id = &ids[(conn * 37 + turn as usize) % ids.len()];
        (request("GET", &format!("{ITEMS}/{id}"), &token, None), 200)
    });
    Scenario::new(key, name, connections, make)
}

/// The ceiling's scenario: the same requests as get by id.
pub fn ceiling(fixture: &Fixture, connections: usize) -> Scenario {
    get_by_id(fixture, connections, Key::GetById, "get by id")
}

/// A filtered list cycling through the `KINDS` values, each matching 50:
/// `filter` is the query up to the value's number (`tags=tag` asks for
/// `tag-0`, `tag-1`...).
fn list_by(fixture: &Fixture, connections: usize, filter: &'static str, key: Key, name: String) -> Scenario {
    let token = fixture.token.clone();
    let make: MakeRequest = Arc::new(move |conn, turn| {
        let kind = (conn + turn as usize) % KINDS;
        (request("GET", &format!("{ITEMS}?{filter}-{kind}"), &token, None), 200)
    });
    Scenario::new(key, name, connections, make)
}

fn search(fixture: &Fixture, connections: usize, key: Key, name: String) -> Scenario {
    let token = fixture.token.clone();
    let make: MakeRequest =
        Arc::new(move |_, _| (request("GET", &format!("{ITEMS}?q={NO_MATCH}"), &token, None), 200));
    Scenario::new(key, name, connections, make)
}

/// `100000` as `100,000`, as the scenario names write sizes.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn at(size: usize) -> String {
    format!("{} in the org", grouped(size))
}

pub fn standard(fixture: &Fixture, connections: usize) -> Vec<Scenario> {
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
        get_by_id(fixture, connections, Key::GetById, "get by id"),
        list_by(fixture, connections, "integration_type=type", Key::ListByType, "list by type (50)".into()),
        list_by(fixture, connections, "tags=tag", Key::ListByTag, "list by tag (50)".into()),
        Scenario::new(Key::Create, "create", connections, create),
        Scenario::new(Key::Update, "update", connections, update),
        Scenario::new(Key::Resolve, "resolve 5 integrations, 10 secrets", connections, resolve),
        Scenario::new(Key::ConnectionTest, "connection test of `true`", TEST_CONNECTIONS, connection_test),
    ]
}

/// Get by id on 1,000 connections at once; run on its own so the server's
/// peak memory during it can be read.
pub fn thousand(fixture: &Fixture) -> Scenario {
    get_by_id(fixture, 1000, Key::GetById1000, "get by id, 1,000 connections")
}

/// Get by id while `SEARCHES` connections loop a search that matches nothing
/// over the organization of `size`: whether a long read stalls short ones.
pub fn beside_searches(fixture: &Fixture, connections: usize, size: usize) -> Scenario {
    let readers = connections.saturating_sub(SEARCHES).max(1);
    let name = format!("get by id beside {SEARCHES} searches matching nothing, {}", at(size));
    let searches = search(
        fixture,
        SEARCHES,
        Key::SearchBesideGetById,
        format!("search matching nothing beside get by id, {}", at(size)),
    );
    let mut scenario = get_by_id(fixture, readers, Key::GetByIdBesideSearches, name).in_org_of(size);
    scenario.beside = Some(Box::new(searches.in_org_of(size)));
    scenario
}

/// The lists again and a search alone, in the organization of `size`.
pub fn scaled(fixture: &Fixture, connections: usize, size: usize) -> Vec<Scenario> {
    vec![
        list_by(
            fixture,
            connections,
            "integration_type=type",
            Key::ListByTypeScaled,
            format!("list by type (50), {}", at(size)),
        ),
        list_by(
            fixture,
            connections,
            "tags=tag",
            Key::ListByTagScaled,
            format!("list by tag (50), {}", at(size)),
        ),
        search(fixture, 1, Key::SearchScaled, format!("search matching nothing, {}", at(size))),
    ]
    .into_iter()
    .map(|scenario| scenario.in_org_of(size))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request line a scenario's first connection sends first.
    fn first_request(scenario: &Scenario) -> String {
        let bytes = (scenario.make)(0, 0).0;
        String::from_utf8(bytes).unwrap().lines().next().unwrap().to_owned()
    }

    /// The lists at scale ask exactly what they ask at 1,000: a filter that
    /// selects 50, not the whole organization.
    #[test]
    fn scaled_lists_filter_as_the_standard_ones() {
        let fixture = Fixture { token: "t".into(), ids: Arc::new(vec!["id".into()]), test_id: "t".into() };
        let standard: Vec<String> = standard(&fixture, 32)
            .iter()
            .filter(|s| s.name.starts_with("list by"))
            .map(first_request)
            .collect();
        let scaled: Vec<String> = scaled(&fixture, 32, 100_000)
            .iter()
            .filter(|s| s.name.starts_with("list by"))
            .map(first_request)
            .collect();
        assert_eq!(standard, scaled);
        assert!(
            scaled[0].contains("?integration_type=type-0 ") && scaled[1].contains("?tags=tag-0 "),
            "{scaled:?}"
        );
    }
}
