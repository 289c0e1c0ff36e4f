//! Unit tests of the callback sender: signatures, backoff, refusals and the
//! status rules, against a raw HTTP listener on 127.0.0.1.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

fn secret() -> CallbackSecret {
    CallbackSecret::new("0123456789abcdef-test-secret").unwrap()
}

fn config(allow_private: bool) -> CallbackConfig {
    CallbackConfig {
        secret: Some(secret()),
        allow_private,
        max_attempts: 3,
        first_retry: Duration::from_millis(10),
        attempt_timeout: Duration::from_secs(5),
        max_concurrent: 2,
    }
}

fn notifier(allow_private: bool) -> Notifier {
    Notifier::new(config(allow_private), |_| b"{}".to_vec())
}

#[test]
fn signature_is_hmac_sha256_of_timestamp_dot_body() {
    // Computed independently with Python's hmac module.
    assert_eq!(
        signature(&secret(), 1_700_000_000, br#"{"id":"x"}"#),
        "t=1700000000,v1=25505ee297815b46a4a814514fdf4f24f8d584dc101590ed9fefa44d87f4b76e"
    );
    assert_ne!(
        signature(&secret(), 1_700_000_001, br#"{"id":"x"}"#),
        signature(&secret(), 1_700_000_000, br#"{"id":"x"}"#)
    );
}

#[test]
fn secrets_are_long_enough_and_never_printed() {
    assert!(CallbackSecret::new("too short").is_none());
    let shown = format!("{:?}", config(false));
    assert!(!shown.contains("test-secret"), "{shown}");
}

#[test]
fn backoff_doubles_with_bounded_jitter() {
    let base = Duration::from_millis(1000);
    for (attempt, nominal) in [(1, 1000), (2, 2000), (3, 4000), (4, 8000)] {
        for _ in 0..50 {
            let d = backoff(base, attempt).as_millis();
            assert!((nominal * 3 / 4..=nominal * 5 / 4).contains(&d), "{d}");
        }
    }
    assert!(
        backoff(base, 1000) >= base,
        "large attempt numbers do not overflow"
    );
}

#[test]
fn only_finished_jobs_have_events() {
    assert_eq!(event_of(JobStatus::Succeeded), Some("job.succeeded"));
    assert_eq!(event_of(JobStatus::Failed), Some("job.failed"));
    for s in [
        JobStatus::AwaitingUpload,
        JobStatus::Queued,
        JobStatus::Processing,
        JobStatus::Expired,
    ] {
        assert_eq!(event_of(s), None);
    }
}

#[tokio::test]
async fn internal_destinations_are_refused_before_connecting() {
    let n = notifier(false);
    for url in [
        "http://127.0.0.1:9/",
        "http://localhost:9/",
        "http://[::1]:9/",
        "http://169.254.169.254/",
    ] {
        let url = Url::parse(url).unwrap();
        let got = n.deliver(JobId::new(), &url, "job.succeeded", vec![]).await;
        assert!(
            matches!(got, Delivery::Refused { attempts: 1, .. }),
            "{url}: {got:?}"
        );
    }
}

/// A listener answering each connection with the next status of `statuses`
/// (the last one repeats); returns its URL and the request count.
async fn receiver(statuses: Vec<u16>) -> (Url, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/hook", listener.local_addr().unwrap())).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let status = statuses[n.min(statuses.len() - 1)];
            read_request(&mut conn).await;
            let reply =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = conn.write_all(reply.as_bytes()).await;
        }
    });
    (url, count)
}

/// Reads one request (head and `content-length` body), so that answering
/// never leaves unread bytes behind.
async fn read_request(conn: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return;
            }
        }
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[tokio::test]
async fn status_rules() {
    let n = notifier(true);
    let cases: [(Vec<u16>, Delivery, usize); 5] = [
        (
            vec![204],
            Delivery::Delivered {
                attempts: 1,
                status: 204,
            },
            1,
        ),
        (
            vec![503, 429, 200],
            Delivery::Delivered {
                attempts: 3,
                status: 200,
            },
            3,
        ),
        (
            vec![404],
            Delivery::Rejected {
                attempts: 1,
                status: 404,
            },
            1,
        ),
        (
            vec![302],
            Delivery::Rejected {
                attempts: 1,
                status: 302,
            },
            1,
        ),
        (
            vec![500],
            Delivery::Exhausted {
                attempts: 3,
                last: "status 500".into(),
            },
            3,
        ),
    ];
    for (statuses, want, requests) in cases {
        let (url, count) = receiver(statuses.clone()).await;
        let got = n
            .deliver(JobId::new(), &url, "job.failed", b"{}".to_vec())
            .await;
        assert_eq!(got, want, "{statuses:?}");
        assert_eq!(count.load(Ordering::SeqCst), requests, "{statuses:?}");
    }
}

#[tokio::test]
async fn connection_errors_are_retried_then_given_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    drop(listener);
    let got = notifier(true)
        .deliver(JobId::new(), &url, "job.failed", vec![])
        .await;
    assert!(
        matches!(got, Delivery::Exhausted { attempts: 3, .. }),
        "{got:?}"
    );
}
