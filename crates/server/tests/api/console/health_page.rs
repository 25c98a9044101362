//! Integration health in the console: a badge per integration in the list,
//! the state with its last result on the detail page, and the connection
//! test's schedule, set in the form.
use super::visitor::Visitor;
use crate::harness::TestApp;
use patchbay_domain::Role;
use patchbay_worker::Step;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const INTEGRATIONS: &str = "/api/v1/custom-integrations";

fn with_test(name: &str, command: &str) -> Value {
    json!({"name": name, "integration_type": "custom",
           "config": {"connection_test": {"enabled": true, "command": command, "timeout": 5}}})
}

/// The list's Health cell in the row that links to `id`.
fn health_cell<'h>(html: &'h str, id: &str) -> &'h str {
    let row = &html[html.find(&format!(r#"href="/integrations/{id}""#)).expect("a row")..];
    let cell = &row[row.find(r#"data-label="Health""#).unwrap()..];
    &cell[..cell.find("</td>").unwrap()]
}

/// The detail page's Health fact.
fn health_fact(html: &str) -> &str {
    let fact = &html[html.find(r#"<dd class="health">"#).expect("a health fact")..];
    &fact[..fact.find("</dd>").unwrap()]
}

async fn health_shows_in_the_list_and_on_the_detail_page(app: TestApp) {
    let good = app.create_integration("acme", &with_test("good", "true")).await;
    let hostile = "echo '<script>alert(1)</script>'; exit 3";
    let bad = app.create_integration("acme", &with_test("<b>bad</b>", hostile)).await;
    let untested = app.create_integration("acme", &with_test("untested", "true")).await;
    let worker = app.worker("acme", 0).await;
    for id in [&good, &bad] {
        let path = format!("{INTEGRATIONS}/{id}/test?wait=false");
        assert_eq!(app.send_json(Method::POST, &path, "acme", &json!(null)).await.0, 202);
        assert_eq!(worker.try_run_one().await.unwrap(), Step::Ran);
    }

    let viewer = Visitor::sign_in(&app, "acme", Role::Viewer).await;
    let (status, list) = viewer.get("/integrations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("<th>Health</th>"), "{list}");
    assert!(health_cell(&list, &good).contains(r#"<span class="badge ok">healthy</span>"#), "{list}");
    assert!(health_cell(&list, &bad).contains(r#"<span class="badge bad">failing</span>"#), "{list}");
    assert!(health_cell(&list, &untested).contains(r#"<span class="badge neutral">unknown</span>"#));

    let (_, detail) = viewer.get(&format!("/integrations/{bad}")).await;
    let fact = health_fact(&detail);
    assert!(fact.contains(r#"<span class="badge bad">failing</span> since <time datetime="20"#), "{fact}");
    assert!(fact.contains("1 consecutive failure"), "{fact}");
    assert!(fact.contains(r#"last test <span class="badge bad">failed</span> <time"#), "{fact}");
    assert!(detail.contains(" · timeout 5 s · on demand"), "{detail}");
    for raw in ["<script>alert", "<b>bad"] {
        assert!(!detail.contains(raw) && !list.contains(raw), "{raw} is shown unescaped");
    }
    assert!(detail.contains("&lt;script&gt;alert(1)"), "the command and its output are shown escaped");

    let (_, detail) = viewer.get(&format!("/integrations/{good}")).await;
    let fact = health_fact(&detail);
    assert!(fact.contains("badge ok\">healthy</span> since") && !fact.contains("consecutive"), "{fact}");
    assert!(fact.contains("last test <span class=\"badge ok\">passed</span>"), "{fact}");
    let (_, detail) = viewer.get(&format!("/integrations/{untested}")).await;
    let fact = health_fact(&detail);
    assert!(
        fact.contains("badge neutral\">unknown</span> <span class=\"muted\">no test result yet"),
        "{fact}"
    );
    assert!(!fact.contains("last test"), "{fact}");

    let scheduled = json!({"name": "scheduled", "integration_type": "custom", "config": {
        "connection_test": {"command": "true", "timeout": 5, "interval_seconds": 3600}}});
    let scheduled = app.create_integration("acme", &scheduled).await;
    let (_, detail) = viewer.get(&format!("/integrations/{scheduled}")).await;
    assert!(detail.contains(" · timeout 5 s · every 3600 s"), "{detail}");
}

async fn the_interval_round_trips_through_the_form_and_a_bad_one_is_refused_beside_it(app: TestApp) {
    let member = Visitor::sign_in(&app, "acme", Role::Member).await;
    let (_, blank) = member.get("/integrations/new").await;
    assert!(blank.contains(r#"id="test_interval" name="test_interval" inputmode="numeric" value="""#));
    let created = [
        ("csrf", member.csrf.as_str()),
        ("name", "db"),
        ("integration_type", "postgres"),
        ("test_enabled", "on"),
        ("test_command", "pg_isready"),
        ("test_timeout", "5"),
        ("test_interval", " 60 "),
    ];
    let (status, location) = member.submit("/integrations/new", &created).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = location.unwrap().trim_start_matches("/integrations/").split('?').next().unwrap().to_owned();
    let path = format!("{INTEGRATIONS}/{id}");
    let (_, stored) = app.get("acme", Role::Viewer, &path).await;
    assert_eq!(stored["config"]["connection_test"]["interval_seconds"], 60, "{stored}");

    let edit = format!("/integrations/{id}/edit");
    let (_, form) = member.get(&edit).await;
    assert!(form.contains(r#"name="test_interval" inputmode="numeric" value="60""#), "{form}");
    let fields = |interval: &'static str, revision: &'static str| {
        let mut fields = created.to_vec();
        fields.retain(|(key, _)| *key != "test_interval");
        fields.extend([("test_interval", interval), ("revision", revision), ("status", "active")]);
        fields
    };

    for (typed, expected) in [
        ("0", "greater than or equal to 1"),
        ("604801", "less than or equal to 604800"),
        ("hourly", "valid integer"),
    ] {
        let (status, html) = member.post(&edit, &fields(typed, "1")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        let field = &html[html.find(r#"id="test_interval""#).unwrap()..];
        let field = &field[..field.find("</div>").unwrap()];
        assert!(field.contains("test_interval-error") && field.contains(expected), "{typed}: {field}");
        assert!(field.contains(&format!(r#"value="{typed}""#)), "the typed value is kept: {field}");
    }
    let (_, unchanged) = app.get("acme", Role::Viewer, &path).await;
    assert_eq!(unchanged["config"]["connection_test"]["interval_seconds"], 60, "nothing was saved");

    // Emptied: the test runs only when asked, and the key is gone.
    let (status, _) = member.submit(&edit, &fields("", "1")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, stored) = app.get("acme", Role::Viewer, &path).await;
    assert_eq!(
        stored["config"]["connection_test"],
        json!({"enabled": true, "command": "pg_isready", "timeout": 5})
    );
    let (_, form) = member.get(&edit).await;
    assert!(form.contains(r#"name="test_interval" inputmode="numeric" value="""#), "{form}");
    let (_, detail) = member.get(&format!("/integrations/{id}")).await;
    assert!(detail.contains("on demand"), "{detail}");
}

crate::both_backends!(
    health_shows_in_the_list_and_on_the_detail_page,
    the_interval_round_trips_through_the_form_and_a_bad_one_is_refused_beside_it,
);
