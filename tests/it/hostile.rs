//! Hostile and broken uploads fail their job quickly with a specific code,
//! memory stays bounded, and the server keeps serving.
//!
//! The server runs as a child process, so its peak RSS (VmHWM) measures just
//! the server and these inputs.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::common::{Photo, ServeProcess};
use serde_json::json;

/// The stated bound on the server process (API, workers, storage).
const PEAK_RSS_BOUND_MIB: u64 = 256;

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

/// A greyscale PNG of `width` × `height` whose IDAT holds `rows` rows of zeros.
pub fn png(width: u32, height: u32, rows: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    png_chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; width as usize + 1];
    for _ in 0..rows {
        z.write_all(&row).unwrap();
    }
    png_chunk(&mut out, b"IDAT", &z.finish().unwrap());
    png_chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_inputs_fail_fast_with_codes() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let app = ServeProcess::start(&["--data-dir", dir, "--workers", "2"], |c| {
        c.env("RUST_LOG", "warn");
    })
    .await;
    let photo = Photo::Phone12mp.bytes().to_vec();
    let bomb = png(20_000, 20_000, 20_000);
    assert!(
        bomb.len() < 1_000_000,
        "the bomb is small on the wire: {} bytes",
        bomb.len()
    );
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("zero bytes", Vec::new(), "image/jpeg", "not_an_image"),
        (
            "text as JPEG",
            b"hello, this is not a photo\n".repeat(40),
            "image/jpeg",
            "not_an_image",
        ),
        (
            "truncated JPEG",
            photo[..photo.len() / 2].to_vec(),
            "image/jpeg",
            "truncated_image",
        ),
        (
            "PNG claiming 100000x100000",
            png(100_000, 100_000, 1),
            "image/png",
            "too_many_pixels",
        ),
        (
            "PNG decompression bomb",
            bomb,
            "image/png",
            "too_many_pixels",
        ),
        (
            "TIFF declared as PNG",
            b"II*\0\x08\0\0\0".repeat(8),
            "image/png",
            "unsupported_format",
        ),
    ];
    for (what, bytes, content_type, code) in cases {
        let started = Instant::now();
        let job = app.run_job(bytes, content_type, json!({})).await;
        assert_eq!(job["status"], "failed", "{what}: {job}");
        assert_eq!(job["error"]["code"], code, "{what}: {job}");
        assert!(
            job["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert_eq!(job["results"].as_array().unwrap().len(), 0);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what} took {:?}",
            started.elapsed()
        );
    }
    // Still serving: a real photo goes through after all that.
    let job = app
        .run_job(Photo::Rocket.bytes().to_vec(), "image/jpeg", json!({}))
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let peak = app.peak_rss_mib();
    assert!(
        peak < PEAK_RSS_BOUND_MIB,
        "peak RSS {peak} MiB is over {PEAK_RSS_BOUND_MIB} MiB"
    );
    app.stop().await;
}
