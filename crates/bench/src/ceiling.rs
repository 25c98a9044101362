//! The ceiling: an axum handler answering the same JSON as a get by id,
//! from memory, in a process of its own like the server. The server can
//! get no faster than this on the same machine and client.
use axum::Router;
use axum::http::header;
use axum::routing::get;

pub fn serve(address: &str) -> anyhow::Result<()> {
    let body = std::env::var("PATCHBAY_BENCH_CEILING_BODY")?;
    let body: &'static str = Box::leak(body.into_boxed_str());
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let app = Router::new().route(
            "/api/v1/custom-integrations/{id}",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }),
        );
        let listener = tokio::net::TcpListener::bind(address).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}
