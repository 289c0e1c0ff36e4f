//! The work budget at `POST /v1/jobs`: no output over `--max-pixels`, and no
//! more than 4 times that in all; presets and ordinary sets pass.

use serde_json::{Value, json};

use crate::common::{assert_problem, spawn_app, spawn_with};

fn variant(name: &str, side: u32, fit: &str) -> Value {
    json!({"name": name, "width": side, "height": side, "fit": fit, "format": "jpeg"})
}

fn job(extra: Value) -> Value {
    let mut body = json!({"content_type": "image/jpeg", "content_length": 1000});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    body
}

async fn post(app: &crate::common::TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(app.url("/v1/jobs"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_over_max_pixels_is_refused_for_every_fit() {
    let app = spawn_app().await;
    for fit in ["fill", "cover", "contain", "inside", "outside"] {
        let body = job(json!({"variants": [variant("huge", 8192, fit)]}));
        assert_problem(post(&app, body).await, 422, "work_budget_exceeded").await;
    }
    // The limit follows --max-pixels.
    let small = spawn_with(|a| a.job.max_pixels = 1_000_000).await;
    let body = job(json!({"variants": [variant("big", 1001, "inside")]}));
    let res = post(&small, body).await;
    assert_problem(res, 422, "work_budget_exceeded").await;
    let (status, created) = small
        .create(job(json!({"variants": [variant("fits", 1000, "inside")]})))
        .await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test(flavor = "multi_thread")]
async fn outputs_over_four_times_max_pixels_in_all_are_refused() {
    let app = spawn_app().await;
    let eight: Vec<Value> = (0..8)
        .map(|i| variant(&format!("v{i}"), 7000, "inside"))
        .collect();
    let res = post(&app, job(json!({"variants": eight}))).await;
    let detail = res.text().await.unwrap();
    assert!(detail.contains("work_budget_exceeded"), "{detail}");
    assert!(detail.contains("200000000"), "{detail}");
    let four: Vec<Value> = (0..4)
        .map(|i| variant(&format!("v{i}"), 7000, "inside"))
        .collect();
    let (status, created) = app.create(job(json!({"variants": four}))).await;
    assert_eq!(status, 201, "{created}");
}

#[tokio::test(flavor = "multi_thread")]
async fn presets_and_ordinary_sets_pass() {
    let app = spawn_app().await;
    for preset in ["standard", "modern", "seed"] {
        let (status, created) = app.create(job(json!({"preset": preset}))).await;
        assert_eq!(status, 201, "{preset}: {created}");
    }
    let fits = ["fill", "cover", "contain", "inside", "outside"];
    let uhd: Vec<Value> = (0..8)
        .map(|i| {
            let fit = fits[i % fits.len()];
            json!({"name": format!("uhd{i}"), "width": 3840, "height": 2160, "fit": fit, "format": "webp"})
        })
        .collect();
    let (status, created) = app.create(job(json!({"variants": uhd}))).await;
    assert_eq!(status, 201, "{created}");
}
