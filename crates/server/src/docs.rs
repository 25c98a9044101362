//! Swagger UI at `/docs`, from assets compiled into the binary (no CDN).
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::{Arc, OnceLock};
use utoipa_swagger_ui::Config;

fn config() -> Arc<Config<'static>> {
    static CONFIG: OnceLock<Arc<Config<'static>>> = OnceLock::new();
    CONFIG.get_or_init(|| Arc::new(Config::from("/api/openapi.json"))).clone()
}

pub async fn redirect() -> Redirect {
    Redirect::permanent("/docs/")
}

pub async fn serve(file: Option<Path<String>>) -> Response {
    let file = file.map(|Path(file)| file).unwrap_or_default();
    let file = if file.is_empty() { "index.html".to_owned() } else { file };
    match utoipa_swagger_ui::serve(&file, config()) {
        Ok(Some(asset)) => {
            ([(header::CONTENT_TYPE, asset.content_type)], asset.bytes.into_owned()).into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "serving the docs page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
