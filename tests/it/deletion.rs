//! Deletion is final: a job deleted while a worker processes it never
//! publishes results, and nothing of it is left served or on disk.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Photo, spawn_with};

/// Eight large variants of a 12 MP photo: seconds of work for one worker.
fn slow_variants() -> Value {
    let variants: Vec<Value> = (0..8)
        .map(|i| {
            json!({"name": format!("v{i}"), "width": 3000 - 100 * i, "height": 3000 - 100 * i,
                   "fit": "inside", "format": if i % 2 == 0 { "jpeg" } else { "webp" }})
        })
        .collect();
    json!({ "variants": variants })
}

fn result_urls(base: &str, created: &Value) -> Vec<String> {
    let id = created["id"].as_str().unwrap();
    created["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let ext = if v["format"] == "jpeg" { "jpg" } else { "webp" };
            format!(
                "{base}/blobs/results/{id}/{}.{ext}",
                v["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_deleted_while_processing_publishes_nothing() {
    // One worker: the second job runs only once the first delivery is over.
    let app = spawn_with(|a| a.workers = Some(1)).await;
    let bytes = Photo::Phone12mp.bytes().to_vec();
    let created = app.create_for(&bytes, "image/jpeg", slow_variants()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(app.upload(&created, bytes).await.status(), 200);

    let job_url = app.url(&format!("/v1/jobs/{id}"));
    let started = Instant::now();
    loop {
        let job: Value = app.get_json(&job_url).await;
        match job["status"].as_str() {
            Some("processing") => break,
            Some("queued" | "awaiting_upload") => {}
            _ => panic!("job should be processing: {job}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never processing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let deleted = app.client.delete(&job_url).send().await.unwrap();
    assert_eq!(deleted.status(), 204);

    let after = app
        .run_job(
            Photo::Png.bytes().to_vec(),
            "image/png",
            json!({"preset": "seed"}),
        )
        .await;
    assert_eq!(after["status"], "succeeded", "{after}");

    for url in result_urls(&app.base, &created) {
        let res = app.client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 404, "{url} is still served");
    }
    let results = app.data_dir.join("blobs").join("results");
    assert!(!results.join(&id).exists(), "results of {id} left on disk");
    let after_id = after["id"].as_str().unwrap();
    let res = app
        .client
        .delete(app.url(&format!("/v1/jobs/{after_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let left: Vec<_> = std::fs::read_dir(&results)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left under results: {left:?}");
}
