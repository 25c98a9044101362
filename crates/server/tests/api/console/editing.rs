//! Editing through the console without a browser: file rows, deleting and
//! restoring, and multi-line secret values sent as a browser sends them
//! (every line break as CRLF).
use super::visitor::Visitor;
use crate::harness::TestApp;
use patchbay_domain::Role;
use reqwest::StatusCode;
use serde_json::json;

/// The part of a page from `start` up to `end` (or to the page's end).
fn between<'h>(html: &'h str, start: &str, end: &str) -> &'h str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start} in {html}"));
    let rest = &html[from..];
    rest.find(end).map_or(rest, |to| &rest[..to])
}

async fn file_rows_save_and_errors_land_in_their_row(app: TestApp) {
    let id = app
        .create_integration(
            "acme",
            &json!({"name": "app", "integration_type": "custom", "config": {"files": [
                {"path": "~/.a", "content": "keep\r\n", "mode": "0600"},
                {"path": "~/.b", "secret_ref": "B"}]}}),
        )
        .await;
    let member = Visitor::sign_in(&app, "acme", Role::Member).await;
    let (_, form) = member.get(&format!("/integrations/{id}/edit")).await;
    assert!(form.contains(r#"id="file_path-0" name="file_path" value="~/.a""#), "{form}");
    assert!(form.contains(r#"id="file_secret-1" name="file_secret" value="B""#));
    assert!(form.contains(r#"id="file_path-2" name="file_path" value="""#), "a spare row for a new file");
    assert!(!form.contains("name=\"files\""), "no JSON textarea");
    let original = serde_json::to_string("keep\r\n").unwrap();

    let rows = |new_mode: &'static str| {
        let mut fields = vec![
            ("revision", "1".to_owned()),
            ("name", "app".into()),
            ("integration_type", "custom".into()),
            ("status", "active".into()),
        ];
        let row = |path: &str,
                   source: &str,
                   content: &str,
                   endings: &str,
                   secret: &str,
                   mode: &str,
                   original: &str| {
            [
                ("file_path", path.to_owned()),
                ("file_source", source.into()),
                ("file_content", content.into()),
                ("file_endings", endings.into()),
                ("file_secret", secret.into()),
                ("file_mode", mode.into()),
                ("file_description", String::new()),
                ("file_original", original.into()),
            ]
        };
        // As a browser sends it: the untouched text with CRLF line breaks.
        fields.extend(row("~/.a", "content", "keep\r\n", "crlf", "", "0600", &original));
        fields.extend(row("~/.b", "secret", "", "lf", "B", "", ""));
        fields.extend(row("~/.c", "content", "line 1\r\nline 2", "lf", "", new_mode, ""));
        fields.push(("file_remove", "1".into()));
        fields
    };
    let member = &member;
    let post = |fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("csrf", member.csrf.clone()));
        let path = format!("/integrations/{id}/edit");
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            member.post(&path, &pairs).await
        }
    };

    // A bad mode is reported in its row, and every row is kept as typed.
    let (status, html) = post(rows("0999")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let third = between(&html, r#"id="file_path-2""#, "file_path-3");
    assert!(third.contains("mode: "), "the error is in the third row: {third}");
    assert_eq!(html.matches("file-row invalid").count(), 1, "only that row is marked");
    assert!(third.contains(r#"value="0999""#) && third.contains("line 1\nline 2"), "{third}");
    assert!(between(&html, r#"id="file_remove-1""#, ">").contains("checked"), "the removal is kept");

    // Corrected, it saves: the stored file untouched, the removed one gone, the new one with its mode.
    let (status, html) = post(rows("0640")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (_, saved) = app.get("acme", Role::Member, &format!("/api/v1/custom-integrations/{id}")).await;
    assert_eq!(
        saved["config"]["files"],
        json!([
            {"path": "~/.a", "content": "keep\r\n", "secret_ref": null, "mode": "0600", "description": null},
            {"path": "~/.c", "content": "line 1\nline 2", "secret_ref": null, "mode": "0640", "description": null}
        ])
    );
}

async fn deleting_asks_first_and_a_deleted_integration_can_be_restored(app: TestApp) {
    let id = app
        .create_integration(
            "acme",
            &json!({"name": "db", "integration_type": "postgres",
                    "config": {"connection_test": {"enabled": true, "command": "true"}}}),
        )
        .await;
    let detail = format!("/integrations/{id}");
    let viewer = Visitor::sign_in(&app, "acme", Role::Viewer).await;
    let (_, html) = viewer.get(&detail).await;
    assert!(!html.contains("/delete"), "a viewer sees no Delete");

    let member = Visitor::sign_in(&app, "acme", Role::Member).await;
    let (_, html) = member.get(&detail).await;
    assert!(html.contains(&format!(r#"href="/integrations/{id}/delete""#)) && html.contains("Run test"));
    // Delete leads to a confirmation, not straight to the deletion.
    let (status, confirm) = member.get(&format!("{detail}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Delete db?") && confirm.contains(r#"name="revision" value="1""#), "{confirm}");
    let (_, current) = app.get("acme", Role::Member, &format!("/api/v1/custom-integrations/{id}")).await;
    assert_eq!(current["status"], "active", "showing the confirmation deleted nothing");

    // A stale confirmation is refused rather than deleting a newer revision.
    let path = format!("/api/v1/custom-integrations/{id}");
    let (status, _) = app.send_json(reqwest::Method::PUT, &path, "acme", &json!({"description": "v2"})).await;
    assert_eq!(status, 200);
    let (status, html) =
        member.post(&format!("{detail}/delete"), &[("csrf", &member.csrf), ("revision", "1")]).await;
    assert_ne!(status, StatusCode::SEE_OTHER, "{html}");
    let (status, _) =
        member.post(&format!("{detail}/delete"), &[("csrf", &member.csrf), ("revision", "2")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, current) = app.get("acme", Role::Member, &path).await;
    assert_eq!(current["status"], "deleted");

    // Deleted: no Run test, no Edit, no Delete; a Restore button instead.
    let (_, html) = member.get(&format!("{detail}?notice=deleted")).await;
    assert!(html.contains("Integration deleted"), "{html}");
    for gone in ["Run test", "/edit\"", "/delete\""] {
        assert!(!html.contains(gone), "a deleted integration shows {gone}");
    }
    assert!(
        html.contains(&format!(r#"action="/integrations/{id}/undelete""#)) && html.contains("Restore db")
    );
    let (_, html) = viewer.get(&detail).await;
    assert!(!html.contains("/undelete"), "a viewer cannot restore");
    let (status, _) =
        member.post(&format!("{detail}/undelete"), &[("csrf", &member.csrf), ("revision", "3")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, current) = app.get("acme", Role::Member, &path).await;
    assert_eq!(current["status"], "active");
    let (_, html) = member.get(&detail).await;
    assert!(html.contains("Run test") && !html.contains("/undelete"));
}

async fn a_multi_line_secret_keeps_its_line_endings(app: TestApp) {
    let member = Visitor::sign_in(&app, "acme", Role::Member).await;
    let (_, page) = member.get("/secrets").await;
    assert!(page.contains(r#"<textarea class="mono masked" id="value" name="value""#), "{page}");
    // A browser sends every line break as CRLF, whatever was typed.
    let typed = "-----BEGIN KEY-----\r\nAAAA\r\n-----END KEY-----\r\n";
    for (name, endings, stored) in
        [("UNIX_KEY", "lf", "-----BEGIN KEY-----\nAAAA\n-----END KEY-----\n"), ("WINDOWS_KEY", "crlf", typed)]
    {
        let fields =
            [("csrf", member.csrf.as_str()), ("name", name), ("value", typed), ("line_endings", endings)];
        let (status, _) = member.post("/secrets", &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, value) = app.secret_value("acme", name).await;
        assert_eq!(status, 200);
        assert_eq!(value["value"], stored, "{name}");
    }
}

async fn the_form_shows_the_real_grammar_and_warns_about_near_misses(app: TestApp) {
    let member = Visitor::sign_in(&app, "acme", Role::Member).await;
    let (_, form) = member.get("/integrations/new").await;
    assert!(form.contains("{{.secret.NAME}} inserts vault secret NAME"), "{form}");
    assert!(!form.contains("{{secrets.NAME}}"), "the hint shows only the syntax that works");

    let fields = [
        ("csrf", member.csrf.as_str()),
        ("name", "ci"),
        ("integration_type", "github"),
        ("env_vars", "GH_TOKEN={{secrets.GH_TOKEN}}\nOK={{.secret.GH_TOKEN}}\n"),
        ("file_path", "~/.netrc"),
        ("file_source", "content"),
        ("file_content", "password {{env.PW}}"),
        ("file_endings", "lf"),
        ("file_secret", ""),
        ("file_mode", ""),
        ("file_description", ""),
        ("file_original", ""),
    ];
    let (status, location) = member.submit("/integrations/new", &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "saved: a near miss is a warning, not an error");
    let location = location.unwrap();
    assert!(location.ends_with("/edit?notice=created-warnings"), "back to the form: {location}");
    let (_, html) = member.get(&location).await;
    assert!(html.contains("notice warn"), "{html}");
    let env = between(&html, r#"id="env_vars-warning""#, "</ul>");
    assert!(env.contains("GH_TOKEN: `{{secrets.GH_TOKEN}}` is not a reference"), "{env}");
    assert!(env.contains("write `{{.secret.GH_TOKEN}}`") && !env.contains("OK:"), "{env}");
    assert!(between(&html, r#"id="file_warning-0""#, "</ul>").contains("{{.env.PW}}"), "{html}");

    // The integration's page says the same, and a corrected form saves to it.
    let detail = location.trim_end_matches("/edit?notice=created-warnings");
    let (_, page) = member.get(detail).await;
    assert!(between(&page, "class=\"warnings\"", "</div>").contains("env var GH_TOKEN"), "{page}");
    let id = detail.rsplit('/').next().unwrap();
    let fixed = [
        ("csrf", member.csrf.as_str()),
        ("revision", "1"),
        ("name", "ci"),
        ("integration_type", "github"),
        ("status", "active"),
        ("env_vars", "GH_TOKEN={{.secret.GH_TOKEN}}"),
    ];
    let (_, location) = member.submit(&format!("/integrations/{id}/edit"), &fixed).await;
    assert_eq!(location, Some(format!("/integrations/{id}?notice=saved")));
    let (_, page) = member.get(detail).await;
    assert!(!page.contains("class=\"warnings\""), "no warning left");
}

crate::both_backends!(
    the_form_shows_the_real_grammar_and_warns_about_near_misses,
    file_rows_save_and_errors_land_in_their_row,
    deleting_asks_first_and_a_deleted_integration_can_be_restored,
    a_multi_line_secret_keeps_its_line_endings,
);
