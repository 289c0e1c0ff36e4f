//! The pixpipe API as the uploader calls it: create a job, PUT its source to
//! the signed URL, long-poll it to the end, delete it. Every call is bounded
//! in time and in the bytes read back; errors become a [`Failure`] with the
//! API's problem `code` or a local one. The API key goes only to the API,
//! never to the upload URL, and no message ever carries a URL.

use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use reqwest::header::{AUTHORIZATION, ETAG, HeaderMap, HeaderName, HeaderValue, IF_NONE_MATCH};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde_json::{Value, json};

use super::Failure;
use super::source::Announcement;

/// Seconds each long poll asks the server to hold the request.
const WAIT_SECS: u64 = 20;
/// Time limit of an ordinary API call.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// An upload that moves no byte for this long is abandoned.
const STALL: Duration = Duration::from_secs(60);
/// Largest job document read back.
const MAX_JOB_BYTES: usize = 1 << 20;
/// Largest error body read back.
const MAX_ERROR_BYTES: usize = 64 << 10;
/// Consecutive transport or 5xx errors tolerated while waiting.
const MAX_WAIT_ERRORS: u32 = 5;

/// A job's status is one of these once it will not change any more.
pub fn is_terminal(status: &str) -> bool {
    matches!(status, "succeeded" | "failed" | "expired")
}

/// What became of a job whose upload was not confirmed.
pub enum Settled {
    /// It was still waiting for its upload and is now deleted.
    Deleted,
    /// The server has its source after all: it goes on processing.
    Uploaded(Value),
    /// Neither could be established.
    Unknown(Failure),
}

pub struct Api {
    http: reqwest::Client,
    base: String,
    auth: Option<HeaderValue>,
}

impl Api {
    /// A client for the API at `base` (`http` or `https`), sending `key` as a bearer token.
    pub fn new(base: &str, key: Option<&str>) -> anyhow::Result<Api> {
        let url = Url::parse(base).map_err(|e| anyhow::anyhow!("invalid --api URL: {e}"))?;
        anyhow::ensure!(
            matches!(url.scheme(), "http" | "https") && url.query().is_none(),
            "invalid --api URL: use http(s)://host[:port][/prefix]"
        );
        let auth = match key.map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                    anyhow::anyhow!("the API key has characters a header cannot carry")
                })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("pixpipe-upload/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Api {
            http,
            base: base.trim_end_matches('/').to_owned(),
            auth,
        })
    }

    fn call(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(CALL_TIMEOUT);
        match &self.auth {
            Some(auth) => request.header(AUTHORIZATION, auth.clone()),
            None => request,
        }
    }

    /// `POST /v1/jobs` for a file; returns the created job with its `upload` ticket.
    pub async fn create(&self, source: &Announcement, preset: &str) -> Result<Value, Failure> {
        let body = json!({
            "content_type": source.content_type,
            "content_length": source.len,
            "filename": source.filename,
            "preset": preset,
        });
        let res = send(self.call(Method::POST, "/v1/jobs").json(&body)).await?;
        let job = expect_json(res, StatusCode::CREATED).await?;
        if job["id"].as_str().is_none() || !job["upload"]["url"].is_string() {
            return Err(Failure::new(
                "unexpected_response",
                "the created job has no id or upload URL",
            ));
        }
        Ok(job)
    }

    /// Sends `body` to the job's upload URL with exactly the returned headers.
    /// Gives up when no byte moves for a minute.
    pub async fn upload(
        &self,
        created: &Value,
        body: reqwest::Body,
        bar: &ProgressBar,
    ) -> Result<(), Failure> {
        let ticket = &created["upload"];
        let bad =
            |what: &str| Failure::new("unexpected_response", format!("upload ticket: {what}"));
        let method = ticket["method"].as_str().unwrap_or("PUT");
        let method = Method::from_bytes(method.as_bytes()).map_err(|_| bad("invalid method"))?;
        let url = ticket["url"].as_str().ok_or_else(|| bad("no url"))?;
        let url = Url::parse(url).map_err(|_| bad("invalid url"))?;
        let mut headers = HeaderMap::new();
        for (name, value) in ticket["headers"].as_object().into_iter().flatten() {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad("header name"))?;
            let value = value
                .as_str()
                .and_then(|v| HeaderValue::from_str(v).ok())
                .ok_or_else(|| bad("header value"))?;
            headers.insert(name, value);
        }
        let send = self
            .http
            .request(method, url)
            .headers(headers)
            .body(body)
            .send();
        tokio::pin!(send);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        let (mut seen, mut moved) = (bar.position(), Instant::now());
        let res = loop {
            tokio::select! {
                res = &mut send => break res.map_err(|e| transport("upload_failed", e))?,
                _ = tick.tick() => {
                    if bar.position() != seen {
                        (seen, moved) = (bar.position(), Instant::now());
                    } else if moved.elapsed() >= STALL {
                        return Err(Failure::new(
                            "upload_stalled",
                            format!("no progress for {}s after {seen} bytes", STALL.as_secs()),
                        ));
                    }
                }
            }
        };
        if !res.status().is_success() {
            return Err(failure_from(res).await);
        }
        drop(read_capped(res, MAX_ERROR_BYTES).await);
        Ok(())
    }

    /// `GET /v1/jobs/{id}`.
    pub async fn get(&self, id: &str) -> Result<Value, Failure> {
        let res = send(self.call(Method::GET, &format!("/v1/jobs/{id}"))).await?;
        expect_json(res, StatusCode::OK).await
    }

    /// `DELETE /v1/jobs/{id}`.
    pub async fn delete(&self, id: &str) -> Result<(), Failure> {
        let res = send(self.call(Method::DELETE, &format!("/v1/jobs/{id}"))).await?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(failure_from(res).await)
        }
    }

    /// Deletes the job if it still waits for its upload; otherwise reports it as uploaded.
    pub async fn settle(&self, id: &str) -> Settled {
        match self.get(id).await {
            Ok(job) if job["status"] == "awaiting_upload" => match self.delete(id).await {
                Ok(()) => Settled::Deleted,
                Err(failure) => Settled::Unknown(failure),
            },
            Ok(job) => Settled::Uploaded(job),
            Err(failure) => Settled::Unknown(failure),
        }
    }

    /// Long-polls the job until it is terminal or `deadline` passes; `seen`
    /// gets every new version of the job.
    pub async fn wait(
        &self,
        id: &str,
        deadline: Instant,
        mut seen: impl FnMut(&Value),
    ) -> Result<Value, Failure> {
        let path = format!("/v1/jobs/{id}?wait={WAIT_SECS}");
        let (mut etag, mut errors) = (None::<HeaderValue>, 0u32);
        loop {
            if Instant::now() >= deadline {
                return Err(Failure::new(
                    "wait_timeout",
                    format!("job {id} did not finish in time"),
                ));
            }
            let started = Instant::now();
            let mut request = self
                .call(Method::GET, &path)
                .timeout(Duration::from_secs(WAIT_SECS + 15));
            if let Some(tag) = &etag {
                request = request.header(IF_NONE_MATCH, tag.clone());
            }
            let res = match send(request).await {
                Ok(res) if !res.status().is_server_error() => res,
                Ok(res) => {
                    errors += 1;
                    if errors >= MAX_WAIT_ERRORS {
                        return Err(failure_from(res).await);
                    }
                    tokio::time::sleep(Duration::from_millis(500 << errors)).await;
                    continue;
                }
                Err(failure) => {
                    errors += 1;
                    if errors >= MAX_WAIT_ERRORS {
                        return Err(failure);
                    }
                    tokio::time::sleep(Duration::from_millis(500 << errors)).await;
                    continue;
                }
            };
            errors = 0;
            if res.status() == StatusCode::NOT_MODIFIED {
                // A server that does not hold requests answers at once: slow down.
                if started.elapsed() < Duration::from_secs(1) {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                continue;
            }
            let new_etag = res.headers().get(ETAG).cloned();
            let job = expect_json(res, StatusCode::OK).await?;
            seen(&job);
            if job["status"].as_str().is_some_and(is_terminal) {
                return Ok(job);
            }
            if new_etag.is_none() && started.elapsed() < Duration::from_secs(1) {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            etag = new_etag;
        }
    }
}

async fn send(request: RequestBuilder) -> Result<Response, Failure> {
    request
        .send()
        .await
        .map_err(|e| transport("api_unreachable", e))
}

/// A transport error with its causes, without the URL it was sent to.
fn transport(code: &str, error: reqwest::Error) -> Failure {
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    Failure::new(code, detail)
}

async fn expect_json(res: Response, want: StatusCode) -> Result<Value, Failure> {
    if res.status() != want {
        return Err(failure_from(res).await);
    }
    let body = read_capped(res, MAX_JOB_BYTES).await?;
    serde_json::from_slice(&body).map_err(|e| {
        Failure::new(
            "unexpected_response",
            format!("the API sent invalid JSON: {e}"),
        )
    })
}

/// The response body, failing once it passes `cap` bytes.
async fn read_capped(mut res: Response, cap: usize) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| transport("api_unreachable", e))?
    {
        if body.len() + chunk.len() > cap {
            return Err(Failure::new(
                "unexpected_response",
                format!("response body over {cap} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error response as a failure: the problem document's code and detail
/// when there is one, else the status (and an XML error code, as object
/// stores send).
async fn failure_from(res: Response) -> Failure {
    let status = res.status();
    let body = read_capped(res, MAX_ERROR_BYTES).await.unwrap_or_default();
    failure_from_body(status, &body)
}

pub(crate) fn failure_from_body(status: StatusCode, body: &[u8]) -> Failure {
    if let Ok(problem) = serde_json::from_slice::<Value>(body)
        && let Some(code) = problem["code"].as_str()
    {
        let detail = problem["detail"]
            .as_str()
            .or(problem["title"].as_str())
            .unwrap_or("");
        return Failure::new(code, format!("{detail} (HTTP {})", status.as_u16()));
    }
    let text = String::from_utf8_lossy(body);
    let xml_code = text
        .split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code)
        .filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric()));
    let detail = match xml_code {
        Some(code) => format!("HTTP {status} ({code})"),
        None => format!("HTTP {status}"),
    };
    Failure::new("unexpected_response", detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_bodies_keep_their_code_and_detail() {
        let body = br#"{"type":"urn:pixpipe:problem:unauthorized","title":"Unauthorized","status":401,"detail":"unknown API key","code":"unauthorized"}"#;
        let failure = failure_from_body(StatusCode::UNAUTHORIZED, body);
        assert_eq!(failure.code, "unauthorized");
        assert_eq!(failure.detail, "unknown API key (HTTP 401)");

        let xml =
            b"<Error><Code>SignatureDoesNotMatch</Code><StringToSign>secret</StringToSign></Error>";
        let failure = failure_from_body(StatusCode::FORBIDDEN, xml);
        assert_eq!(failure.code, "unexpected_response");
        assert_eq!(failure.detail, "HTTP 403 Forbidden (SignatureDoesNotMatch)");
        assert!(!failure.detail.contains("secret"));

        let failure = failure_from_body(StatusCode::BAD_GATEWAY, b"<html>");
        assert_eq!(failure.detail, "HTTP 502 Bad Gateway");
    }

    #[test]
    fn api_urls_are_checked() {
        assert!(Api::new("http://127.0.0.1:8080/", None).is_ok());
        assert!(Api::new("ftp://example.com", None).is_err());
        assert!(Api::new("not a url", None).is_err());
        assert!(Api::new("http://h", Some("bad\nkey")).is_err());
    }
}
