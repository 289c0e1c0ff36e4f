//! Connection hygiene of the listener: half-open connections neither starve
//! real clients nor outlive the header-read timeout, idle ones are closed,
//! the connection cap makes room by closing waiting ones, a trickling upload
//! is abandoned (408) so that its retry succeeds, and a stop drains within
//! its time whatever the clients do.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{Photo, ServeProcess, spawn_with};

/// A connection that sent half a request line and keeps quiet.
async fn half_open(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(b"GET /healthz HT").await.expect("write");
    stream
}

/// Reads until the server closes the connection (`Some(bytes)`), or `None`
/// if it is still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut read = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return read,
                Ok(n) => read.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok()
}

fn addr_of(base: &str) -> SocketAddr {
    base.trim_start_matches("http://")
        .parse()
        .expect("a socket address")
}

/// `PUT` of the job's upload with its signed headers and the first `sent`
/// bytes of `bytes`, the rest left unsent.
async fn partial_upload(created: &Value, bytes: &[u8], sent: usize) -> TcpStream {
    let url = url::Url::parse(created["upload"]["url"].as_str().unwrap()).unwrap();
    let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut head = format!(
        "PUT {}?{} HTTP/1.1\r\nhost: {addr}\r\n",
        url.path(),
        url.query().unwrap()
    );
    for (name, value) in created["upload"]["headers"].as_object().unwrap() {
        head.push_str(&format!("{name}: {}\r\n", value.as_str().unwrap()));
    }
    head.push_str("\r\n");
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&bytes[..sent]).await.unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread")]
async fn half_open_connections_do_not_starve_clients() {
    let data = tempfile::tempdir().unwrap();
    let app = ServeProcess::start(&["--data-dir", data.path().to_str().unwrap()], |c| {
        c.env("RUST_LOG", "warn");
    })
    .await;
    let addr = addr_of(&app.base);
    let mut held = Vec::new();
    for _ in 0..1100 {
        held.push(half_open(addr).await);
    }
    let started = Instant::now();
    let (status, created) = app
        .create(json!({"content_type": "image/jpeg", "content_length": 1000}))
        .await;
    assert_eq!(status, 201, "{created}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    healthz_within_a_second(&app).await;
    // The half-open connections are all still there, only waiting.
    assert!(
        closed_within(&mut held[0], Duration::from_millis(10))
            .await
            .is_none()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn header_read_and_idle_timeouts_close_connections() {
    let app = spawn_with(|a| {
        a.conn.header_read_timeout_secs = 1;
        a.conn.idle_timeout_secs = 2;
    })
    .await;
    let addr = app.server.addr.unwrap();
    let started = Instant::now();
    let mut half = half_open(addr).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    for stream in [&mut half, &mut silent] {
        let read = closed_within(stream, Duration::from_secs(5)).await;
        assert_eq!(read.as_deref(), Some(&b""[..]), "closed without an answer");
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );

    // A kept-alive connection is answered, then closed after the idle timeout.
    let mut kept = TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    let answered = Instant::now();
    // Still open past the header-read timeout: idle is timed on its own.
    assert!(
        closed_within(&mut kept, Duration::from_millis(1500))
            .await
            .is_none()
    );
    let read = closed_within(&mut kept, Duration::from_secs(3)).await;
    assert_eq!(read.as_deref(), Some(&b""[..]));
    let idle = answered.elapsed();
    assert!(
        idle >= Duration::from_millis(1900) && idle < Duration::from_secs(4),
        "{idle:?}"
    );
    app.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn at_the_connection_cap_waiting_connections_make_room() {
    let app = spawn_with(|a| a.conn.max_connections = 20).await;
    let addr = app.server.addr.unwrap();
    let mut held = Vec::new();
    for _ in 0..100 {
        held.push(half_open(addr).await);
    }
    healthz_within_a_second(&app).await;
    // The oldest half-open ones were closed to let the newer ones in.
    let closed = join_all(
        held.iter_mut()
            .map(|s| closed_within(s, Duration::from_millis(500))),
    )
    .await;
    let closed = closed.iter().filter(|c| c.is_some()).count();
    assert!((80..100).contains(&closed), "{closed} of 100 closed");
    app.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trickling_upload_is_abandoned_and_its_retry_succeeds() {
    let app = spawn_with(|a| a.conn.body_read_timeout_secs = 1).await;
    let bytes = Photo::Rocket.bytes().to_vec();
    let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
    let stream = partial_upload(&created, &bytes, 100).await;
    let (mut reader, mut writer) = stream.into_split();
    // One byte every 200 ms: 5 B/s, far under the minimum rate.
    let rest = bytes[100..].to_vec();
    let trickle = tokio::spawn(async move {
        for byte in rest {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut response));
    let _ = read.await.expect("answered within 5 s");
    let took = started.elapsed();
    trickle.abort();
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains("application/problem+json") && text.contains("\"code\":\"request_timeout\""),
        "{text}"
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );

    // The upload lock is released: the part file is gone and a retry lands.
    let part = app
        .data_dir
        .join("blobs/uploads")
        .join(format!("{}.part", created["id"].as_str().unwrap()));
    assert!(!part.exists(), "{} is left", part.display());
    let res = app.upload(&created, bytes).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let job = app
        .wait_done(created["id"].as_str().unwrap(), Duration::from_secs(60))
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    app.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_drains_within_its_time_despite_stalled_clients() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let mut app = ServeProcess::start(&["--data-dir", dir, "--shutdown-drain-secs", "2"], |c| {
        c.env("RUST_LOG", "warn");
    })
    .await;
    let addr = addr_of(&app.base);
    let mut half = half_open(addr).await;
    // An upload stalled halfway: in flight, its body never ending.
    let bytes = Photo::Rocket.bytes().to_vec();
    let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
    let mut stalled = partial_upload(&created, &bytes, bytes.len() / 2).await;
    // A long poll in flight finishes within the drain time.
    let id = created["id"].as_str().unwrap();
    let poll = app
        .client
        .get(app.url(&format!("/v1/jobs/{id}?wait=1")))
        .send();
    let poll = tokio::spawn(poll);
    tokio::time::sleep(Duration::from_millis(300)).await;

    app.terminate();
    let took = app.exited().await;
    assert!(took < Duration::from_secs(4), "stopped after {took:?}");
    assert!(
        closed_within(&mut half, Duration::from_millis(100))
            .await
            .is_some()
    );
    assert!(
        closed_within(&mut stalled, Duration::from_millis(100))
            .await
            .is_some()
    );
    let res = poll.await.unwrap().expect("the long poll is answered");
    assert_eq!(res.status(), 200);
    let part = data.path().join("blobs/uploads").join(format!("{id}.part"));
    assert!(!part.exists(), "{} is left", part.display());
}

/// `GET /healthz` answers 200 in under a second.
async fn healthz_within_a_second(app: &crate::common::Api) {
    let started = Instant::now();
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}
