//! A browser without JavaScript, for the console's tests.
use crate::harness::TestApp;
use patchbay_domain::Role;
use reqwest::{StatusCode, header};

/// A browser without JavaScript: a session cookie and the page's CSRF token.
pub struct Visitor {
    pub http: reqwest::Client,
    pub base: String,
    pub cookie: String,
    pub csrf: String,
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of the first `name="csrf"` field in a page.
fn csrf_of(html: &str) -> String {
    let start = html.find(r#"name="csrf" value=""#).expect("the page has a CSRF field") + 19;
    html[start..].split('"').next().unwrap().to_owned()
}

impl Visitor {
    pub async fn sign_in(app: &TestApp, org: &str, role: Role) -> Self {
        let http = no_redirects();
        let response = http
            .post(format!("{}/signin", app.base))
            .form(&[("token", app.token(org, role))])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let mut visitor = Self { http, base: app.base.clone(), cookie, csrf: String::new() };
        let (_, html) = visitor.get("/integrations").await;
        visitor.csrf = csrf_of(&html);
        visitor
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(header::COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    async fn send_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let request = self.http.post(format!("{}{path}", self.base)).header(header::COOKIE, &self.cookie);
        request.form(fields).send().await.unwrap()
    }

    /// Posts a form; the status and where it redirects to, if it does.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, Option<String>) {
        let response = self.send_form(path, fields).await;
        let location = response.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        (response.status(), location)
    }

    /// Posts a form; the status and the page it answers with.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let response = self.send_form(path, fields).await;
        (response.status(), response.text().await.unwrap())
    }
}
