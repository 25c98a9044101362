//! The console's audit page: who by email where the console knows it,
//! links to what each event is about, details as readable pairs, and the
//! menu entry only for the role that may read the log.
use super::visitor::Visitor;
use crate::harness::TestApp;
use patchbay_domain::Role;
use serde_json::json;

async fn the_audit_page_names_people_links_resources_and_reads_as_text(app: TestApp) {
    let id = app
        .create_integration(
            "acme",
            &json!({"name": "orders-db", "integration_type": "postgres", "config": {}}),
        )
        .await;
    let resolve = "/api/v1/custom-integrations/resolve?dry_run=true";
    let (status, _) =
        app.send_json(reqwest::Method::POST, resolve, "acme", &json!({"names": ["orders-db"]})).await;
    assert_eq!(status, 200);

    let admin = Visitor::sign_in(&app, "acme", Role::Admin).await;
    let (_, nav) = admin.get("/integrations").await;
    assert!(nav.contains(r#"href="/audit""#), "an admin has the menu entry");
    let (_, html) = admin.get("/audit?action=integration.create").await;
    // The signed-in user's own events show the email their token carries.
    assert!(html.contains("dev@acme.example"), "{html}");
    assert!(html.contains(&format!(r#"<a href="/integrations/{id}">orders-db</a>"#)), "{html}");
    assert!(html.contains(&format!(r#"href="/integrations/{id}/revisions/1""#)), "{html}");
    assert!(!html.contains("{&quot;") && !html.contains("{\""), "no raw JSON: {html}");

    let (_, html) = admin.get("/audit?action=integration.resolve").await;
    let details = &html[html.find("<dl class=\"detail\"").expect("details as a list")..];
    assert!(details.contains("<dt>dry run</dt><dd>yes</dd>"), "{details}");
    assert!(details.contains(&format!(r#"<a href="/integrations/{id}">orders-db</a> (rev 1)"#)), "{details}");

    for role in [Role::Member, Role::Viewer, Role::Worker] {
        let visitor = Visitor::sign_in(&app, "acme", role).await;
        let (_, html) = visitor.get("/integrations").await;
        assert!(!html.contains(r#"href="/audit""#), "{role} cannot read the audit log, so no menu entry");
    }
}

crate::both_backends!(the_audit_page_names_people_links_resources_and_reads_as_text);
