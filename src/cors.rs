//! CORS of the HTTP server (`--cors-origins` / `PIXPIPE_CORS_ORIGINS`): which
//! browser origins may call the API, PUT to the signed upload URLs and read
//! results. Off by default; `*` allows every origin.

use std::time::Duration;

use anyhow::{Context, bail};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Response, header};
use tower_http::cors::{AllowOrigin, CorsLayer};
use url::Url;

/// The origins a browser may send requests from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No cross-origin access (the default).
    None,
    /// Any origin (`*`).
    Any,
    /// These exact origins, e.g. `https://app.example.com`.
    List(Vec<String>),
}

/// How long a browser may cache a preflight answer.
pub const MAX_AGE: Duration = Duration::from_secs(3600);

impl CorsOrigins {
    /// Parses a comma-separated list of origins (`scheme://host[:port]`) or `*`.
    pub fn parse(csv: &str) -> anyhow::Result<CorsOrigins> {
        let entries: Vec<&str> = csv
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if entries.is_empty() {
            return Ok(CorsOrigins::None);
        }
        if entries.contains(&"*") {
            if entries.len() > 1 {
                bail!("--cors-origins: `*` allows every origin and cannot be combined with others");
            }
            return Ok(CorsOrigins::Any);
        }
        let mut origins = Vec::with_capacity(entries.len());
        for entry in entries {
            let origin = parse_origin(entry)
                .with_context(|| format!("--cors-origins: {entry:?} is not an origin"))?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Ok(CorsOrigins::List(origins))
    }

    /// The layer that answers preflights and marks responses, or `None` when off.
    pub fn layer(&self) -> Option<CorsLayer> {
        let allow = match self {
            CorsOrigins::None => return None,
            CorsOrigins::Any => AllowOrigin::any(),
            CorsOrigins::List(list) => AllowOrigin::list(
                list.iter()
                    .filter_map(|o| HeaderValue::from_str(o).ok())
                    .collect::<Vec<_>>(),
            ),
        };
        Some(
            CorsLayer::new()
                .allow_origin(allow)
                .allow_methods([
                    Method::GET,
                    Method::HEAD,
                    Method::POST,
                    Method::PUT,
                    Method::DELETE,
                ])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::IF_NONE_MATCH,
                    HeaderName::from_static("idempotency-key"),
                ])
                .expose_headers([header::ETAG, header::LOCATION])
                .max_age(MAX_AGE),
        )
    }

    /// `app` with CORS applied to every route (API, uploads, results, the page).
    pub fn apply(&self, app: Router) -> Router {
        match self.layer() {
            None => app,
            Some(layer) => app
                .layer(layer)
                .layer(axum::middleware::map_response(drop_partial_cors)),
        }
    }
}

/// `scheme://host[:port]` as browsers send it in `Origin`: lower case,
/// IDNA host, no default port, no path, no trailing slash.
fn parse_origin(raw: &str) -> anyhow::Result<String> {
    // The URL parser would drop tabs and newlines, and read `https:host` as
    // `https://host`; an origin has neither.
    if let Some(c) = raw.chars().find(|c| c.is_whitespace() || c.is_control()) {
        bail!("an origin has no {c:?}");
    }
    let trimmed = raw.trim_end_matches('/');
    if !trimmed.contains("://") {
        bail!("expected scheme://host[:port]");
    }
    let url = Url::parse(trimmed)?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("the scheme must be http or https");
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        bail!("an origin has no path, query or fragment");
    }
    if !url.username().is_empty() || url.password().is_some() {
        bail!("an origin has no user");
    }
    Ok(url.origin().ascii_serialization())
}

/// A request from an origin that is not allowed gets no `Access-Control-*`
/// headers at all (the CORS layer would still list methods and headers in a
/// preflight answer).
async fn drop_partial_cors(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        let names: Vec<HeaderName> = headers
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for name in names {
            headers.remove(name);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_off() {
        assert_eq!(CorsOrigins::parse("").unwrap(), CorsOrigins::None);
        assert_eq!(CorsOrigins::parse(" , ").unwrap(), CorsOrigins::None);
        assert!(CorsOrigins::None.layer().is_none());
    }

    #[test]
    fn star_means_any_and_stands_alone() {
        assert_eq!(CorsOrigins::parse("*").unwrap(), CorsOrigins::Any);
        let err = CorsOrigins::parse("*,https://a.example").unwrap_err();
        assert!(err.to_string().contains("cannot be combined"), "{err}");
    }

    #[test]
    fn origins_are_normalised_and_deduplicated() {
        let parsed = CorsOrigins::parse(
            "https://App.Example.com/, http://127.0.0.1:5173,https://app.example.com",
        )
        .unwrap();
        assert_eq!(
            parsed,
            CorsOrigins::List(vec![
                "https://app.example.com".into(),
                "http://127.0.0.1:5173".into()
            ])
        );
        assert_eq!(
            CorsOrigins::parse("http://[::1]:8080").unwrap(),
            CorsOrigins::List(vec!["http://[::1]:8080".into()])
        );
        // What a browser puts in `Origin`: no default port, an IDNA host.
        assert_eq!(
            CorsOrigins::parse("https://app.example.com:443,http://Bücher.example:8080").unwrap(),
            CorsOrigins::List(vec![
                "https://app.example.com".into(),
                "http://xn--bcher-kva.example:8080".into()
            ])
        );
    }

    #[test]
    fn bad_origins_are_refused_with_the_entry_named() {
        for bad in [
            "app.example.com",
            "ftp://app.example.com",
            "https://",
            "https://app.example.com/path",
            "https://app.example.com?q",
            "https://user@app.example.com",
            "https://app.example.com:99999",
            "https://app example.com",
            "https:app.example.com",
            "https://app.example.com#",
            "https://:pw@app.example.com",
        ] {
            let err = CorsOrigins::parse(bad).unwrap_err();
            assert!(format!("{err:#}").contains(bad), "{bad}: {err:#}");
        }
        // The URL parser alone would drop the tab.
        assert!(CorsOrigins::parse("https://app.exa\tmple.com").is_err());
    }
}
