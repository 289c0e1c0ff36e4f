//! Example bodies for the OpenAPI document: one job through its life, and
//! one problem per error response. Only the document uses them.

use serde_json::{Value, json};

use crate::problem::{ApiError, Code};

const ID: &str = "0193a5f2-7c4e-7b1a-9d3e-2f6a8c1b4e5d";
const BASE: &str = "http://127.0.0.1:8080";

fn variants() -> Value {
    json!([
        {"name": "thumb", "width": 300, "height": 300, "fit": "cover", "format": "jpeg",
         "quality": 80, "without_enlargement": true},
        {"name": "medium", "width": 1024, "height": 1024, "fit": "inside", "format": "webp",
         "quality": 80, "without_enlargement": true},
        {"name": "large", "width": 2048, "height": 2048, "fit": "inside", "format": "jpeg",
         "quality": 85, "without_enlargement": true},
    ])
}

fn job(status: &str, results: Value, attempts: u32) -> Value {
    json!({
        "id": ID,
        "status": status,
        "created_at": "2026-11-26T18:00:00Z",
        "updated_at": if attempts == 0 { "2026-11-26T18:00:00Z" } else { "2026-11-26T18:00:02Z" },
        "filename": "dragonfly.jpg",
        "content_type": "image/jpeg",
        "content_length": 1604773,
        "preset": "standard",
        "variants": variants(),
        "attempts": attempts,
        "results": results,
        "skipped": [],
        "placeholder": null,
        "source": null,
        "error": null,
        "upload_expires_at": "2026-11-26T18:15:00Z"
    })
}

/// The body of `POST /v1/jobs`.
pub fn create_request() -> Value {
    json!({
        "content_type": "image/jpeg",
        "content_length": 1604773,
        "filename": "dragonfly.jpg",
        "preset": "standard"
    })
}

/// A job just created, with its upload instructions.
pub fn created_job() -> Value {
    let mut body = job("awaiting_upload", json!([]), 0);
    body["upload"] = json!({
        "method": "PUT",
        "url": format!("{BASE}/uploads/{ID}?ct=image%2Fjpeg&len=1604773&exp=1795629300&sig=3f9c…"),
        "headers": {"Content-Type": "image/jpeg", "Content-Length": "1604773"},
        "expires_at": "2026-11-26T18:15:00Z"
    });
    body
}

/// A job that has succeeded.
pub fn succeeded_job() -> Value {
    let result = |name: &str, ext: &str, ct: &str, w: u32, h: u32, bytes: u64| {
        json!({
            "name": name,
            "url": format!("{BASE}/blobs/results/{ID}/{name}.{ext}"),
            "content_type": ct,
            "width": w,
            "height": h,
            "bytes": bytes,
            "encoder": null
        })
    };
    // What the server reported for the 12 MP corpus photo of the benchmarks.
    let mut body = job(
        "succeeded",
        json!([
            result("thumb", "jpg", "image/jpeg", 300, 300, 22680),
            result("medium", "webp", "image/webp", 1024, 768, 75296),
            result("large", "jpg", "image/jpeg", 2048, 1536, 417164),
        ]),
        1,
    );
    body["placeholder"] = json!({
        "thumbhash": "kggKFwKKiIiPiGd2mXdnh3h3ZgcVsFID",
        "blurhash": {"hash": "LHBf|ao~s=og%jbKofS7Iwn#owo#", "components_x": 4, "components_y": 3},
        "dominant_color": "#070700"
    });
    body["source"] = json!({
        "format": "jpeg", "width": 4032, "height": 3024, "has_alpha": false, "frames": 1,
        "icc_profile": null, "orientation": 1, "bytes": 1604773, "metadata_removed": []
    });
    body
}

/// A page of the caller's jobs.
pub fn job_page() -> Value {
    json!({"items": [succeeded_job()], "next_cursor": null})
}

/// A problem body as the server sends it for `code`.
pub fn problem(code: Code, detail: &str) -> Value {
    serde_json::to_value(ApiError::new(code, detail).problem()).unwrap_or(Value::Null)
}

pub fn malformed() -> Value {
    problem(
        Code::MalformedRequest,
        "Failed to deserialize the JSON body into the target type: missing field `content_length`",
    )
}

pub fn bad_wait() -> Value {
    problem(Code::InvalidRequest, "wait must be 0 to 20 seconds")
}

pub fn bad_limit() -> Value {
    problem(Code::InvalidRequest, "limit must be 1 to 100")
}

pub fn unauthorized() -> Value {
    problem(Code::Unauthorized, "send Authorization: Bearer <api key>")
}

pub fn job_not_found() -> Value {
    problem(Code::JobNotFound, "no such job")
}

pub fn too_large() -> Value {
    problem(
        Code::PayloadTooLarge,
        "declared content length 99999999 is over the limit of 26214400 bytes",
    )
}

pub fn unsupported() -> Value {
    problem(
        Code::UnsupportedMediaType,
        "content type \"image/tiff\" is not an accepted image type",
    )
}

pub fn unknown_preset() -> Value {
    problem(Code::UnknownPreset, "unknown preset \"huge\"")
}

pub fn internal() -> Value {
    problem(Code::Internal, "internal error; see the server log")
}

pub fn insufficient_storage() -> Value {
    problem(
        Code::InsufficientStorage,
        "the server's storage is full; retry later",
    )
}
