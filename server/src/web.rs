//! The Leptos side of the router: server-rendered pages, server functions and the static files
//! of the hydrated site (`/pkg/*`, built by `scripts/build-site.sh`).
//!
//! Works without cargo-leptos: `LeptosOptions` is built here instead of read from
//! `Cargo.toml` metadata or `LEPTOS_*` variables. When `<site_root>/pkg` is missing the pages are
//! still rendered; only hydration (and so the page's interactivity) is absent.

use std::path::PathBuf;
use std::sync::Arc;

use app::api::CabinetContext;
use app::{shell, App};
use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::Response,
    Router,
};
use leptos::{config::LeptosOptions, context::provide_context};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::services::ServeDir;

/// Name of the wasm-bindgen output: `/pkg/ducatpay.js`, `/pkg/ducatpay_bg.wasm`,
/// `/pkg/ducatpay.css`.
pub const OUTPUT_NAME: &str = "ducatpay";

/// Routes for every page of the app, the server functions, `/pkg/*`, and a fallback that renders
/// the app's "not found" page with status 404.
///
/// The returned router has a fallback, so merge it into a router that has none
/// (axum panics when both sides of `merge` have one).
///
/// `cabinet` is handed to the cabinet's server functions and pages through Leptos context
/// (the engine, the mailer and the sign-in policy); without it they answer "internal error".
pub fn leptos_router(site_root: PathBuf, cabinet: Option<CabinetContext>) -> Router {
    let options = leptos_options(&site_root);
    let pkg_dir = site_root.join("pkg");
    let routes = generate_route_list(App);
    let context = move || {
        if let Some(c) = cabinet.clone() {
            provide_context(c);
        }
    };

    Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        // `build-site.sh` writes `.gz` copies next to the files.
        .nest_service("/pkg", ServeDir::new(pkg_dir).precompressed_gzip())
        .fallback({
            let context: Arc<dyn Fn() + Send + Sync> = Arc::new(context);
            move |State(options): State<LeptosOptions>, req: Request| not_found(options, context.clone(), req)
        })
        .with_state(options)
}

fn leptos_options(site_root: &std::path::Path) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg") // served by the `nest_service("/pkg", …)` above
        .build()
}

async fn not_found(options: LeptosOptions, context: Arc<dyn Fn() + Send + Sync>, req: Request) -> Response {
    let render = leptos_axum::render_app_to_stream_with_context(
        {
            let options = options.clone();
            let context = context.clone();
            move || {
                provide_context(options.clone());
                context();
            }
        },
        move || shell(options.clone()),
    );
    let mut res = render(req).await;
    // Keep a status the app chose itself (a redirect, say); otherwise this is a 404.
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::NOT_FOUND;
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{to_bytes, Body};
    use axum::http::header;
    use tower::ServiceExt;

    async fn get(router: Router, uri: &str) -> (StatusCode, String, String) {
        let res = router
            .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        let status = res.status();
        let content_type = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = to_bytes(res.into_body(), usize::MAX).await.expect("body");
        (status, content_type, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn start_page_is_rendered_on_the_server_without_a_site_dir() {
        let dir = tempfile::tempdir().expect("tempdir");
        let router = leptos_router(dir.path().join("missing"), None);

        let (status, content_type, html) = get(router, "/").await;

        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/html"), "{content_type}");
        assert!(html.contains("<title>DucatPay</title>"), "{html}");
        assert!(html.contains("<h1>DucatPay</h1>"), "{html}");
        assert!(html.contains("/pkg/ducatpay.js"), "hydration script: {html}");
        assert!(html.contains("/pkg/ducatpay_bg.wasm"), "wasm preload: {html}");
        assert!(html.contains("/pkg/ducatpay.css"), "stylesheet: {html}");
    }

    #[tokio::test]
    async fn unknown_path_renders_the_not_found_page_with_404() {
        let dir = tempfile::tempdir().expect("tempdir");
        let router = leptos_router(dir.path().to_path_buf(), None);

        let (status, content_type, html) = get(router, "/no/such/page").await;

        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(content_type.starts_with("text/html"), "{content_type}");
        assert!(html.contains("There is no page at this address."), "{html}");
    }

    #[tokio::test]
    async fn pkg_files_are_served_from_the_site_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&pkg).expect("mkdir");
        std::fs::write(pkg.join("ducatpay.css"), "body{}").expect("write");

        let router = leptos_router(dir.path().to_path_buf(), None);
        let (status, content_type, body) = get(router.clone(), "/pkg/ducatpay.css").await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/css"), "{content_type}");
        assert_eq!(body, "body{}");

        let (status, _, _) = get(router, "/pkg/ducatpay.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
