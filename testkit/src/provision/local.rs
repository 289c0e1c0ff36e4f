//! SDK settings for a local AWS-protocol server (moto): [`local_sdk`] for a
//! given endpoint, [`local_sdk_from_env`] for the one in `AWS_ENDPOINT_URL`
//! once it accepts connections.

use std::time::Duration;

use aws_config::SdkConfig;
use thiserror::Error;

/// How long [`local_sdk_from_env`] waits for the server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Why `AWS_ENDPOINT_URL` names no usable local server.
#[derive(Debug, Error)]
pub enum LocalEndpointError {
    #[error("AWS_ENDPOINT_URL is not set")]
    Unset,
    #[error("AWS_ENDPOINT_URL {0:?} is not an http(s) URL with a host")]
    NotAUrl(String),
    #[error("nothing answers at AWS_ENDPOINT_URL={endpoint}")]
    Unreachable {
        endpoint: String,
        #[source]
        source: std::io::Error,
    },
    #[error("AWS_ENDPOINT_URL={0} did not answer within 3 s")]
    TimedOut(String),
}

/// SDK settings for a local AWS-protocol server at `endpoint`: the region
/// from `AWS_REGION` (default `us-east-1`) and, unless the environment has
/// credentials, dummy ones (a local server does not check them).
pub async fn local_sdk(endpoint: &str) -> SdkConfig {
    let region = std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty());
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(pixpipe_aws::http_client())
        .region(aws_config::Region::new(
            region.unwrap_or_else(|| "us-east-1".to_owned()),
        ))
        .endpoint_url(endpoint);
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
        loader = loader.credentials_provider(aws_sdk_s3::config::Credentials::new(
            "local",
            "local",
            None,
            None,
            "pixpipe-local-endpoint",
        ));
    }
    loader.load().await
}

/// [`local_sdk`] of `AWS_ENDPOINT_URL`, after checking that it accepts a
/// TCP connection within 3 s.
pub async fn local_sdk_from_env() -> Result<SdkConfig, LocalEndpointError> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(LocalEndpointError::Unset)?;
    let (host, port) =
        host_port(&endpoint).ok_or_else(|| LocalEndpointError::NotAUrl(endpoint.clone()))?;
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(_)) => Ok(local_sdk(&endpoint).await),
        Ok(Err(source)) => Err(LocalEndpointError::Unreachable { endpoint, source }),
        Err(_) => Err(LocalEndpointError::TimedOut(endpoint)),
    }
}

/// Host and port of an `http://` or `https://` URL (default ports 80 and 443).
fn host_port(url: &str) -> Option<(String, u16)> {
    let (rest, default_port) = if let Some(rest) = url.strip_prefix("http://") {
        (rest, 80)
    } else {
        (url.strip_prefix("https://")?, 443)
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            (host, port.parse().ok()?)
        }
        _ => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn reads_host_and_port() {
        assert_eq!(
            host_port("http://127.0.0.1:5055"),
            Some(("127.0.0.1".into(), 5055))
        );
        assert_eq!(
            host_port("https://s3.example.com/x"),
            Some(("s3.example.com".into(), 443))
        );
        assert_eq!(host_port("http://[::1]:9000/"), Some(("::1".into(), 9000)));
        assert_eq!(
            host_port("http://localhost"),
            Some(("localhost".into(), 80))
        );
        assert_eq!(host_port("ftp://host"), None);
        assert_eq!(host_port("http://:80"), None);
        assert_eq!(host_port("http://h:notaport"), None);
    }
}
