//! GraphiQL without internet: the page and everything it loads come from the hub itself.

use reqwest::Url;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};

use crate::helpers::TestApp;

crate::on_every_backend!(
    graphiql_loads_only_what_its_own_server_serves,
    graphiql_names_no_address_off_the_server,
);

/// The GraphiQL page as a browser asks for it: no token, HTML accepted.
async fn browser_page(app: &TestApp) -> (Url, reqwest::Response) {
    let url = Url::parse(&app.graphql_url()).expect("URL");
    let page = app
        .client
        .get(url.clone())
        .header("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
        .send()
        .await
        .expect("GET GraphiQL");
    (url, page)
}

/// The values of the `src` and `href` attributes of an HTML document.
fn linked_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in ["src=", "href="] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let value = &rest[1..];
            if let Some(end) = value.find(quote) {
                urls.push(value[..end].to_string());
            }
        }
    }
    urls
}

async fn graphiql_loads_only_what_its_own_server_serves(app: TestApp) {
    let (page_url, page) = browser_page(&app).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("HTML");

    let links = linked_urls(&html);
    assert!(
        links.len() >= 4,
        "React, ReactDOM, GraphiQL and its styles: {links:?}"
    );
    for link in links {
        let url = page_url.join(&link).expect("a URL");
        assert_eq!(url.origin(), page_url.origin(), "{link} is off the server");

        // Without a token, as the browser loads it.
        let asset = app.client.get(url).send().await.expect("GET asset");
        assert_eq!(asset.status(), 200, "{link}");
        let header = |name| {
            asset
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let content_type = header(CONTENT_TYPE);
        let expected = if link.ends_with(".js") {
            "text/javascript"
        } else if link.ends_with(".css") {
            "text/css"
        } else {
            panic!("{link}: neither a script nor a style sheet");
        };
        assert!(content_type.starts_with(expected), "{link}: {content_type}");
        // The paths carry the version: a browser keeps the files.
        let cache = header(CACHE_CONTROL);
        assert!(
            cache.contains("immutable") && cache.contains("max-age=31536000"),
            "{cache}"
        );
        let body = asset.bytes().await.expect("body");
        assert!(body.len() > 1000, "{link}: {} bytes", body.len());
    }
}

async fn graphiql_names_no_address_off_the_server(app: TestApp) {
    let (_, page) = browser_page(&app).await;
    assert_eq!(page.status(), 200);
    let cache = page
        .headers()
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let html = page.text().await.expect("HTML");

    assert!(!html.contains("://"), "an absolute URL on the page");
    assert!(
        !html.contains("\"//") && !html.contains("'//"),
        "a scheme-relative URL"
    );
    // The page names its assets' versions, so it is fetched again rather than kept.
    assert_eq!(cache.as_deref(), Some("no-cache"));
    // Today's behaviour: the endpoints, and the example questions as opening tabs.
    assert!(html.contains("'/graphql'") && html.contains("'/graphql/ws'"));
    for (title, query) in paicha::http::EXAMPLES {
        let tab = serde_json::to_string(query).expect("JSON");
        assert!(html.contains(&tab), "{title} is a tab");
    }
}
