//! GraphiQL, served whole from the binary: the page (`assets/graphiql/index.html`) and the
//! vendored GraphiQL, React and ReactDOM builds it loads (`assets/vendor/`, sources and
//! licences in `fixtures/SOURCES.md`). Nothing on the page points off the server, so GraphiQL
//! works on a network without internet.
//!
//! The assets live under paths that carry their version: a browser may keep them for a year
//! (`immutable`); an upgrade changes the paths, and the page itself is revalidated each time.

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// `Cache-Control` of a versioned asset: its content never changes under its path.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A vendored file and the path it is served at.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// An asset from `assets/vendor/`, served under `/assets/graphiql/` at the same relative path.
macro_rules! vendored {
    ($file:literal, $content_type:expr) => {
        Asset {
            path: concat!("/assets/graphiql/", $file),
            content_type: $content_type,
            body: include_bytes!(concat!("../../assets/vendor/", $file)),
        }
    };
}

/// Every file the page loads, and the licence of each package (MIT, which asks that the
/// notice travel with the copies).
const ASSETS: &[Asset] = &[
    vendored!("react-18.3.1/react.production.min.js", JAVASCRIPT),
    vendored!("react-18.3.1/LICENSE", TEXT),
    vendored!("react-dom-18.3.1/react-dom.production.min.js", JAVASCRIPT),
    vendored!("react-dom-18.3.1/LICENSE", TEXT),
    vendored!("graphiql-4.1.2/graphiql.min.js", JAVASCRIPT),
    vendored!("graphiql-4.1.2/graphiql.min.css", CSS),
    vendored!("graphiql-4.1.2/LICENSE", TEXT),
];

const PAGE: &str = include_str!("../../assets/graphiql/index.html");

/// Where the page template takes GraphiQL's opening tabs, a JSON array.
const TABS_PLACEHOLDER: &str = "__DEFAULT_TABS__";

/// The routes of the vendored assets. They hold no data and need no token.
pub(super) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    ASSETS.iter().fold(Router::new(), |router, asset| {
        router.route(asset.path, get(move || async move { serve(asset) }))
    })
}

fn serve(asset: &'static Asset) -> Response {
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, IMMUTABLE),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body,
    )
        .into_response()
}

/// The GraphiQL page, opening with one tab per `(title, query)` of `examples`. It names its
/// assets by version, so a browser asks again for it each time (`no-cache`).
pub(super) fn page(examples: &[(&str, &str)]) -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], Html(html(examples))).into_response()
}

fn html(examples: &[(&str, &str)]) -> String {
    let tabs: Vec<Value> = examples
        .iter()
        .map(|(_, query)| serde_json::json!({ "query": query }))
        .collect();
    // Inside a <script> element, `</` could close it early; `<\/` is the same JSON string.
    let tabs = Value::Array(tabs).to_string().replace("</", "<\\/");
    PAGE.replacen(TABS_PLACEHOLDER, &tabs, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_every_vendored_script_and_style() {
        for asset in ASSETS.iter().filter(|a| a.content_type != TEXT) {
            assert!(PAGE.contains(asset.path), "{} is not loaded", asset.path);
        }
    }

    #[test]
    fn the_page_template_takes_the_tabs_once() {
        assert_eq!(PAGE.matches(TABS_PLACEHOLDER).count(), 1);
    }

    #[test]
    fn a_query_cannot_close_the_script_element() {
        let html = html(&[("tab", "{ a } # </script><script>alert(1)")]);
        assert_eq!(
            html.matches("</script>").count(),
            PAGE.matches("</script>").count()
        );
        assert!(html.contains(r#"[{"query":"{ a } # <\/script><script>alert(1)"}]"#));
    }
}
