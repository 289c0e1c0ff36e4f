//! The browser upload page (the files of `web/`, embedded in the binary).
//!
//! - [`router`]: the local server serves it at `/`, with a `/config.js` that
//!   points the page at this same origin.
//! - [`build`]: `pixpipe web build` writes it as static files for any host,
//!   with `config.js` pointing at the given API base URL.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use url::Url;

/// The page.
pub const INDEX_HTML: &str = include_str!("../web/index.html");
/// Its script.
pub const APP_JS: &str = include_str!("../web/app.js");
/// Its style sheet.
pub const STYLE_CSS: &str = include_str!("../web/style.css");
/// The ThumbHash decoder the script imports to paint placeholders: the npm
/// package `thumbhash`'s one ES module, vendored under its MIT licence
/// header (the page has no bundler; `web/package.json` pins the version and
/// the browser tests check the copy against it).
pub const THUMBHASH_JS: &str = include_str!("../web/thumbhash.js");

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// What the page may load: its own files, and images, API calls and uploads
/// from anywhere (results and signed upload URLs may live on other hosts).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src * data: blob:; connect-src *; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// `config.js` for an API at `api` (`""`: the page's own origin).
pub fn config_js(api: &str) -> String {
    let quoted = serde_json::to_string(api).unwrap_or_else(|_| "\"\"".to_owned());
    format!(
        "// Where the pixpipe API is: \"\" means the origin this page is served from.\n\
         window.PIXPIPE_API = {quoted};\n"
    )
}

/// `GET /`, `/index.html`, `/app.js`, `/thumbhash.js`, `/style.css` and
/// `/config.js` (same origin).
pub fn router() -> Router {
    Router::new()
        .route("/", get(|| async { page(HTML, INDEX_HTML) }))
        .route("/index.html", get(|| async { page(HTML, INDEX_HTML) }))
        .route("/app.js", get(|| async { page(JS, APP_JS) }))
        .route("/thumbhash.js", get(|| async { page(JS, THUMBHASH_JS) }))
        .route("/style.css", get(|| async { page(CSS, STYLE_CSS) }))
        .route("/config.js", get(|| async { page(JS, config_js("")) }))
}

fn page(content_type: &'static str, body: impl Into<String>) -> axum::response::Response {
    let mut response = body.into().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if content_type == HTML {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    response
}

/// Checks an API base URL for `config.js`: empty (same origin) or an
/// `http(s)://` URL without query, fragment or credentials, in its
/// normalised form (lower-case scheme and host, no default port) and
/// without a trailing slash.
pub fn api_base(raw: &str) -> anyhow::Result<String> {
    let api = raw.trim().trim_end_matches('/');
    if api.is_empty() {
        return Ok(String::new());
    }
    if let Some(c) = api
        .chars()
        .find(|c| matches!(c, '?' | '#' | '"' | '\'' | '<' | '>' | '\\') || !c.is_ascii_graphic())
    {
        bail!("--api {raw:?} may not contain {c:?}");
    }
    let url = Url::parse(api).with_context(|| {
        format!("--api {raw:?} must be an http:// or https:// URL (or \"\" for the same origin)")
    })?;
    // `https:host` parses as `https://host`, but is not what was meant.
    let slashed = api
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    if !matches!(url.scheme(), "http" | "https") || slashed.as_deref() != Some(url.scheme()) {
        bail!("--api {raw:?} must be an http:// or https:// URL");
    }
    if !url.username().is_empty() || url.password().is_some() {
        bail!("--api {raw:?} carries credentials");
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Writes `index.html`, `app.js`, `thumbhash.js`, `style.css` and
/// `config.js` (pointing at `api`) into `out`, creating it. Returns the
/// files written.
pub fn build(api: &str, out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let api = api_base(api)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let files = [
        ("index.html", INDEX_HTML.to_owned()),
        ("app.js", APP_JS.to_owned()),
        ("thumbhash.js", THUMBHASH_JS.to_owned()),
        ("style.css", STYLE_CSS.to_owned()),
        ("config.js", config_js(&api)),
    ];
    let mut written = Vec::with_capacity(files.len());
    for (name, contents) in files {
        let path = out.join(name);
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_points_at_the_api() {
        assert_eq!(
            config_js("https://api.example.com").lines().last(),
            Some("window.PIXPIPE_API = \"https://api.example.com\";")
        );
        assert!(config_js("").contains("window.PIXPIPE_API = \"\";"));
    }

    #[test]
    fn api_base_is_checked() {
        assert_eq!(
            api_base("https://api.example.com/").unwrap(),
            "https://api.example.com"
        );
        assert_eq!(
            api_base("http://127.0.0.1:8080/base").unwrap(),
            "http://127.0.0.1:8080/base"
        );
        assert_eq!(api_base("").unwrap(), "");
        assert_eq!(
            api_base("HTTPS://API.Example.com:443/v1/").unwrap(),
            "https://api.example.com/v1"
        );
        for bad in [
            "api.example.com",
            "ftp://x",
            "https://",
            "https://u:p@x",
            "https://x/?q=1",
            "https://x/\"",
            "https://x/a b",
            "https:x",
            "https://u@x",
            "https://x:99999",
            "https://[::1",
        ] {
            assert!(api_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn build_writes_the_five_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        let files = build("https://api.example.com", &out).unwrap();
        assert_eq!(files.len(), 5);
        let thumbhash = std::fs::read_to_string(out.join("thumbhash.js")).unwrap();
        assert!(thumbhash.contains("export function thumbHashToDataURL"));
        let config = std::fs::read_to_string(out.join("config.js")).unwrap();
        assert!(config.contains("\"https://api.example.com\""));
        let index = std::fs::read_to_string(out.join("index.html")).unwrap();
        assert!(index.contains("src=\"config.js\"") && index.contains("type=\"file\""));
        assert!(build("nope", &out).is_err());
    }
}
