//! The console (issue 24): the web page at `/` for the people who will not write GraphQL —
//! clerks, township officers, analysts. Its files (`assets/console/`) are embedded in the
//! binary and served under `/console/…`; it talks to the server only through the public
//! GraphQL API, and loads nothing from off the server (ECharts and graphql-ws are vendored
//! under `assets/console/vendor/`, sources and licences in `fixtures/SOURCES.md`).
//!
//! While developing, `PAICHA_CONSOLE_DIR=assets/console` makes the server read the same files
//! from disk at each request, so a page can be edited without a rebuild. Only the files listed
//! in [`FILES`] are served either way.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// An embedded console file: its path under `assets/console/` and its bytes.
struct File {
    path: &'static str,
    body: &'static [u8],
}

macro_rules! files {
    ($($path:literal),* $(,)?) => {
        &[$(File { path: $path, body: include_bytes!(concat!("../../assets/console/", $path)) }),*]
    };
}

/// Every file of the console. A file added to `assets/console/` is served once listed here
/// (a test names any left out).
const FILES: &[File] = files![
    "index.html",
    "style.css",
    "app.js",
    "api.js",
    "ui.js",
    "pages/briefing.js",
    "pages/persons.js",
    "pages/person.js",
    "pages/review.js",
    "pages/followup.js",
    "pages/letters.js",
    "pages/imports.js",
    "pages/reports.js",
    "vendor/echarts-6.1.0/echarts.common.min.js",
    "vendor/echarts-6.1.0/LICENSE",
    "vendor/echarts-6.1.0/NOTICE",
    "vendor/graphql-ws-6.4.2/graphql-ws.min.js",
    "vendor/graphql-ws-6.4.2/LICENSE.md",
];

/// Where the page may load from and connect to: this server only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The console's routes: the page at `/` and its files under `/console/`. They hold no data
/// and need no token; the page asks for one.
pub(super) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { serve("index.html") }))
        .route(
            "/console/{*path}",
            get(|Path(path): Path<String>| async move { serve(&path) }),
        )
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

fn serve(path: &str) -> Response {
    let Some(file) = FILES.iter().find(|f| f.path == path) else {
        return (StatusCode::NOT_FOUND, "没有这个文件").into_response();
    };
    // Vendored files carry their version in their path and never change under it; the
    // console's own files are revalidated on every load.
    let cache = if path.starts_with("vendor/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let body = match std::env::var_os("PAICHA_CONSOLE_DIR") {
        Some(dir) => match std::fs::read(std::path::Path::new(&dir).join(file.path)) {
            Ok(bytes) => bytes.into(),
            Err(_) => axum::body::Body::from(file.body),
        },
        None => axum::body::Body::from(file.body),
    };
    (
        [
            (header::CONTENT_TYPE, content_type(path)),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_disk(dir: &std::path::Path, prefix: &str, found: &mut Vec<String>) {
        let entries = std::fs::read_dir(dir).expect("assets/console is readable");
        for entry in entries {
            let entry = entry.expect("entry");
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.path().is_dir() {
                on_disk(&entry.path(), &format!("{name}/"), found);
            } else {
                found.push(name);
            }
        }
    }

    #[test]
    fn every_file_of_the_console_is_served() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/console");
        let mut found = Vec::new();
        on_disk(&root, "", &mut found);
        let missing: Vec<_> = found
            .iter()
            .filter(|f| !FILES.iter().any(|served| served.path == f.as_str()))
            .collect();
        assert!(missing.is_empty(), "list these in FILES: {missing:?}");
    }

    #[test]
    fn the_page_and_modules_load_only_from_this_server() {
        for file in FILES.iter().filter(|f| !f.path.starts_with("vendor/")) {
            let text = std::str::from_utf8(file.body).expect("UTF-8");
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "{}",
                file.path
            );
        }
        let page = std::str::from_utf8(FILES[0].body).expect("UTF-8");
        for script in FILES
            .iter()
            .filter(|f| f.path.starts_with("vendor/") && f.path.ends_with(".js"))
        {
            assert!(
                page.contains(&format!("/console/{}", script.path)),
                "{}",
                script.path
            );
        }
    }

    #[test]
    fn an_unknown_path_is_not_found() {
        assert_eq!(serve("../Cargo.toml").status(), StatusCode::NOT_FOUND);
        assert_eq!(serve("index.html").status(), StatusCode::OK);
    }
}
