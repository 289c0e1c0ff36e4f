//! HEIC through the HTTP API in local mode: created as `image/heic`,
//! uploaded, processed into the standard variants; an AVIF declared as HEIF
//! fails with `unsupported_format`. (The AWS backend runs the same HEIC job
//! in `aws_backend.rs`.)

use crate::common::spawn_app;
use image::GenericImageView;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_heic_job_succeeds() {
    let app = spawn_app().await;
    let job = app
        .run_job(
            crate::common::heic(1600, 1200),
            "image/heic",
            json!({"filename": "IMG_0001.HEIC"}),
        )
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let mut sizes = Vec::new();
    for result in job["results"].as_array().unwrap() {
        let (_, bytes) = app.get_bytes(result["url"].as_str().unwrap()).await;
        let img = image::load_from_memory(&bytes).expect("result decodes");
        assert_eq!(
            (u64::from(img.width()), u64::from(img.height())),
            (
                result["width"].as_u64().unwrap(),
                result["height"].as_u64().unwrap()
            )
        );
        // The disc left of centre is red: the colours survived.
        let [r, g, b, _] = img.get_pixel(img.width() * 3 / 10, img.height() * 2 / 5).0;
        assert!(r > 150 && g < 90 && b < 110, "red disc: {r},{g},{b}");
        sizes.push(img.dimensions());
    }
    assert_eq!(sizes, [(300, 300), (1024, 768), (1600, 1200)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_avif_sent_as_heif_is_unsupported() {
    let app = spawn_app().await;
    let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf\0\0\0\x08mdat".to_vec();
    let job = app.run_job(avif, "image/heif", json!({})).await;
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["error"]["code"], "unsupported_format", "{job}");
}
