//! End to end in local mode: a photo through the API exactly as a
//! client sends it (create → signed PUT → poll), then the published files.

use crate::common::{Photo, spawn_app};
use image::{GenericImageView, ImageFormat};
use serde_json::{Value, json};

fn decode(bytes: &[u8]) -> (ImageFormat, image::DynamicImage) {
    let format = image::guess_format(bytes).expect("known format");
    (format, image::load_from_memory(bytes).expect("decodes"))
}

async fn check_results(
    app: &crate::common::TestApp,
    job: &Value,
) -> Vec<(String, image::DynamicImage)> {
    let mut images = Vec::new();
    for result in job["results"].as_array().unwrap() {
        let (headers, bytes) = app.get_bytes(result["url"].as_str().unwrap()).await;
        assert_eq!(
            headers["content-type"],
            result["content_type"].as_str().unwrap()
        );
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            bytes.len() as u64,
            result["bytes"].as_u64().unwrap(),
            "bytes of {result}"
        );
        let (format, img) = decode(&bytes);
        let expected = match result["content_type"].as_str().unwrap() {
            "image/jpeg" => ImageFormat::Jpeg,
            "image/webp" => ImageFormat::WebP,
            "image/png" => ImageFormat::Png,
            other => panic!("unexpected type {other}"),
        };
        assert_eq!(format, expected);
        assert_eq!(
            img.dimensions(),
            (
                result["width"].as_u64().unwrap() as u32,
                result["height"].as_u64().unwrap() as u32
            )
        );
        images.push((result["name"].as_str().unwrap().to_owned(), img));
    }
    images
}

#[tokio::test(flavor = "multi_thread")]
async fn standard_job_publishes_three_variants() {
    let app = spawn_app().await;
    let bytes = Photo::Phone12mp.bytes().to_vec();
    let job = app
        .run_job(bytes, "image/jpeg", json!({"filename": "dragonfly.jpg"}))
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["attempts"], 1);
    assert_eq!(job["filename"], "dragonfly.jpg");
    let images = check_results(&app, &job).await;
    let dims: Vec<_> = images
        .iter()
        .map(|(n, i)| (n.as_str(), i.dimensions()))
        .collect();
    assert_eq!(
        dims,
        [
            ("thumb", (300, 300)),
            ("medium", (1024, 768)),
            ("large", (2048, 1536))
        ]
    );
    assert_eq!(job["results"][1]["content_type"], "image/webp");
}

/// Orientation 6 means "rotate 90° clockwise to display": the stored pixels are
/// landscape, the photo is portrait.
#[tokio::test(flavor = "multi_thread")]
async fn exif_rotated_photo_comes_out_upright() {
    let app = spawn_app().await;
    let bytes = Photo::Rotated.bytes().to_vec();
    let stored = image::load_from_memory(&bytes).unwrap(); // no orientation applied
    assert_eq!(stored.dimensions(), (3264, 2448));
    let job = app.run_job(bytes, "image/jpeg", json!({})).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let images = check_results(&app, &job).await;
    let (_, large) = &images[2];
    assert_eq!(large.dimensions(), (1536, 2048));

    let upright = stored
        .rotate90()
        .resize_exact(96, 128, image::imageops::FilterType::Triangle);
    let wrong = stored
        .rotate270()
        .resize_exact(96, 128, image::imageops::FilterType::Triangle);
    let ours = large.resize_exact(96, 128, image::imageops::FilterType::Triangle);
    let (good, bad) = (mean_abs_diff(&ours, &upright), mean_abs_diff(&ours, &wrong));
    assert!(
        good < 6.0,
        "upright output differs from the rotated source by {good}"
    );
    assert!(
        bad > 3.0 * good,
        "the test image cannot tell rotations apart ({good} vs {bad})"
    );
}

fn mean_abs_diff(a: &image::DynamicImage, b: &image::DynamicImage) -> f64 {
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_preset_gives_one_300_square_jpeg() {
    let app = spawn_app().await;
    let bytes = Photo::Portrait.bytes().to_vec();
    let job = app
        .run_job(bytes, "image/jpeg", json!({"preset": "seed"}))
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let images = check_results(&app, &job).await;
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].0, "seed");
    assert_eq!(images[0].1.dimensions(), (300, 300));
    assert_eq!(job["results"][0]["content_type"], "image/jpeg");
}

#[tokio::test(flavor = "multi_thread")]
async fn custom_variants_and_other_formats() {
    let app = spawn_app().await;
    let bytes = Photo::Alpha.bytes().to_vec();
    let variants = json!([
        {"name": "square", "width": 200, "height": 200, "fit": "contain", "format": "png", "quality": 90},
        {"name": "wide", "width": 400, "height": 100, "fit": "fill", "format": "jpeg", "quality": 70},
        {"name": "cover", "width": 640, "height": 640, "fit": "outside", "format": "webp", "quality": 60},
    ]);
    let job = app
        .run_job(bytes, "image/png", json!({"variants": variants}))
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["preset"], Value::Null);
    let images = check_results(&app, &job).await;
    let dims: Vec<_> = images.iter().map(|(_, i)| i.dimensions()).collect();
    assert_eq!(dims, [(200, 200), (400, 100), (1024, 640)]);
    assert!(images[0].1.color().has_alpha(), "PNG output keeps alpha");

    let webp = Photo::Webp.bytes().to_vec();
    let job = app.run_job(webp, "image/webp", json!({})).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    check_results(&app, &job).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn list_get_etag_and_delete() {
    let app = spawn_app().await;
    let bytes = Photo::Rocket.bytes().to_vec();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let created = app.create_for(&bytes, "image/jpeg", json!({})).await;
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    // Newest first, two pages.
    let page: Value = app.get_json(app.url("/v1/jobs?limit=2")).await;
    let first: Vec<_> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(first, [ids[2].as_str(), ids[1].as_str()]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page: Value = app
        .get_json(app.url(&format!("/v1/jobs?limit=2&cursor={cursor}")))
        .await;
    assert_eq!(page["items"][0]["id"], ids[0].as_str());
    assert_eq!(page["next_cursor"], Value::Null);

    // ETag / If-None-Match.
    let url = app.url(&format!("/v1/jobs/{}", ids[0]));
    let res = app.client.get(&url).send().await.unwrap();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let res = app
        .client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let res = app
        .client
        .get(&url)
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // A finished job deleted: record, source and results go.
    let job = app
        .run_job(bytes.clone(), "image/jpeg", json!({"preset": "seed"}))
        .await;
    let result_url = job["results"][0]["url"].as_str().unwrap().to_owned();
    let job_url = app.url(&format!("/v1/jobs/{}", job["id"].as_str().unwrap()));
    let res = app.client.delete(&job_url).send().await.unwrap();
    assert_eq!(res.status(), 204);
    crate::common::assert_problem(
        app.client.get(&job_url).send().await.unwrap(),
        404,
        "job_not_found",
    )
    .await;
    assert_eq!(
        app.client.get(&result_url).send().await.unwrap().status(),
        404
    );
    let source = app
        .data_dir
        .join("blobs/uploads")
        .join(job["id"].as_str().unwrap());
    assert!(!source.exists(), "source removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_routes() {
    let app = spawn_app().await;
    let presets: Value = app.get_json(app.url("/v1/presets")).await;
    let names: Vec<_> = presets
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["standard", "modern", "seed"]);
    let health: Value = app.get_json(app.url("/healthz")).await;
    assert_eq!(health["status"], "ok");
    let docs = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "offline reference page");
    assert!(!html.contains("cdn."), "no CDN in the reference page");
    crate::common::assert_problem(
        app.client.get(app.url("/nope")).send().await.unwrap(),
        404,
        "not_found",
    )
    .await;
}
