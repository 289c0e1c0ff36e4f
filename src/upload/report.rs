//! What the uploader tells the user: result lines, failure lines, and after
//! Ctrl-C which jobs to delete and which go on without us.

use serde_json::Value;

use super::Failure;

/// Where a file's job stands on the server, as far as the uploader knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Slot {
    /// No job asked for yet (or the create call was refused).
    #[default]
    Idle,
    /// A create call is in flight: its answer may still name a job.
    Creating,
    /// The job exists; its upload has not been confirmed.
    Created(String),
    /// The server has the source; the latest job document seen.
    Uploaded(Value),
    /// Finished and reported.
    Done,
}

/// What to do with one file's job after an interruption.
#[derive(Debug, PartialEq)]
pub enum Cleanup {
    /// Check the job and delete it if it still waits for its upload.
    Settle { index: usize, id: String },
    /// The job has its source and keeps processing on the server.
    Continues { index: usize, job: Value },
}

/// The clean-up after an interruption, given the slots once no create call
/// is in flight any more.
pub fn cleanup_plan(slots: &[Slot]) -> Vec<Cleanup> {
    slots
        .iter()
        .enumerate()
        .filter_map(|(index, slot)| match slot {
            Slot::Created(id) => Some(Cleanup::Settle {
                index,
                id: id.clone(),
            }),
            Slot::Uploaded(job) => Some(Cleanup::Continues {
                index,
                job: job.clone(),
            }),
            Slot::Idle | Slot::Creating | Slot::Done => None,
        })
        .collect()
}

/// The failure a finished job stands for, if it did not succeed.
pub fn job_failure(job: &Value) -> Option<Failure> {
    let status = job["status"].as_str().unwrap_or("unknown");
    if status == "succeeded" {
        return None;
    }
    let code = job["error"]["code"].as_str().unwrap_or(status);
    let message = job["error"]["message"].as_str().unwrap_or("");
    let id = job["id"].as_str().unwrap_or("?");
    Some(Failure::new(
        code,
        format!("job {id} {status}: {message}").trim_end_matches([' ', ':']),
    ))
}

/// The lines printed for a succeeded job: a header, the source's facts and
/// the placeholder (when the server sent them), one line per result (name,
/// WxH, format, URL), then the variants the server skipped and why.
pub fn result_lines(name: &str, job: &Value) -> Vec<String> {
    let id = job["id"].as_str().unwrap_or("?");
    let mut lines = vec![format!("{name}: succeeded (job {id})")];
    lines.extend(source_line(&job["source"]));
    lines.extend(placeholder_line(&job["placeholder"]));
    let results = job["results"].as_array().map_or(&[][..], Vec::as_slice);
    // Names line up in a column at least 8 wide (`medium-avif` is wider).
    let width = results
        .iter()
        .filter_map(|r| r["name"].as_str())
        .map(str::len)
        .fold(8, usize::max);
    for result in results {
        let format = result["content_type"]
            .as_str()
            .map_or("?", |ct| ct.strip_prefix("image/").unwrap_or(ct));
        let size = format!(
            "{}x{}",
            result["width"].as_u64().unwrap_or(0),
            result["height"].as_u64().unwrap_or(0)
        );
        lines.push(format!(
            "  {:<width$} {:>9}  {:<5} {}",
            result["name"].as_str().unwrap_or("?"),
            size,
            format,
            result["url"].as_str().unwrap_or("")
        ));
    }
    for skipped in job["skipped"].as_array().into_iter().flatten() {
        lines.push(format!(
            "  skipped: {} ({})",
            skipped["name"].as_str().unwrap_or("?"),
            skipped["skipped"].as_str().unwrap_or("?")
        ));
    }
    lines
}

/// `  source: jpeg 640x427, 112525 bytes, ICC "Adobe RGB (1998)", removed exif, xmp`:
/// the uploaded file as the worker read it (size once upright); frames and
/// the EXIF orientation only when they are not 1.
fn source_line(source: &Value) -> Option<String> {
    let format = source["format"].as_str()?;
    let mut line = format!(
        "  source: {format} {}x{}, {} bytes",
        source["width"].as_u64().unwrap_or(0),
        source["height"].as_u64().unwrap_or(0),
        source["bytes"].as_u64().unwrap_or(0)
    );
    match source["frames"].as_u64() {
        Some(frames) if frames > 1 => line.push_str(&format!(", {frames} frames")),
        _ => {}
    }
    match source["orientation"].as_u64() {
        Some(o) if o > 1 => line.push_str(&format!(", orientation {o} applied")),
        _ => {}
    }
    if let Some(icc) = source["icc_profile"].as_str() {
        line.push_str(&format!(", ICC {icc:?}"));
    }
    let removed: Vec<&str> = source["metadata_removed"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if !removed.is_empty() {
        line.push_str(&format!(", removed {}", removed.join(", ")));
    }
    Some(line)
}

/// `  placeholder: #rrggbb thumbhash <base64> blurhash <hash>`: what a page
/// paints while the results load.
fn placeholder_line(placeholder: &Value) -> Option<String> {
    let colour = placeholder["dominant_color"].as_str()?;
    Some(format!(
        "  placeholder: {colour} thumbhash {} blurhash {}",
        placeholder["thumbhash"].as_str().unwrap_or("?"),
        placeholder["blurhash"]["hash"].as_str().unwrap_or("?")
    ))
}

/// The status shown for a job whose source has been sent.
pub fn status_message(job: &Value) -> String {
    let status = match job["status"].as_str() {
        // The server has the bytes but has not queued the job yet.
        Some("awaiting_upload") => "uploaded",
        Some(status) => status,
        None => "unknown",
    };
    match job["attempts"].as_u64() {
        Some(n) if n > 1 => format!("{status} (attempt {n})"),
        _ => status.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn interrupted_jobs_are_settled_or_left_running() {
        let job = json!({"id": "b", "status": "processing"});
        let slots = vec![
            Slot::Created("a".into()),
            Slot::Uploaded(job.clone()),
            Slot::Idle,
            Slot::Done,
            Slot::Created("e".into()),
        ];
        assert_eq!(
            cleanup_plan(&slots),
            vec![
                Cleanup::Settle {
                    index: 0,
                    id: "a".into()
                },
                Cleanup::Continues { index: 1, job },
                Cleanup::Settle {
                    index: 4,
                    id: "e".into()
                },
            ]
        );
    }

    #[test]
    fn failed_jobs_carry_their_error_code() {
        let failed = json!({"id": "j", "status": "failed",
            "error": {"code": "not_an_image", "message": "the uploaded file is not an image"}});
        let failure = job_failure(&failed).unwrap();
        assert_eq!(failure.code, "not_an_image");
        assert_eq!(
            failure.detail,
            "job j failed: the uploaded file is not an image"
        );
        let expired = json!({"id": "j", "status": "expired", "error": null});
        assert_eq!(job_failure(&expired).unwrap().code, "expired");
        assert!(job_failure(&json!({"status": "succeeded"})).is_none());
    }

    #[test]
    fn results_print_source_placeholder_name_size_format_url_and_skips() {
        let job = json!({"id": "j", "status": "succeeded", "results": [
            {"name": "thumb", "url": "http://h/t.jpg", "content_type": "image/jpeg", "width": 300, "height": 300},
        ]});
        assert_eq!(
            result_lines("a.jpg", &job),
            vec![
                "a.jpg: succeeded (job j)".to_owned(),
                "  thumb      300x300  jpeg  http://h/t.jpg".to_owned()
            ]
        );
        let job = json!({"id": "j", "status": "succeeded",
            "source": {"format": "heic", "width": 3024, "height": 4032, "has_alpha": false,
                "frames": 1, "icc_profile": "Display P3", "orientation": 6, "bytes": 1604773,
                "metadata_removed": ["exif", "gps"]},
            "placeholder": {"thumbhash": "3OcRJYB4d3h/iIeHeEh3eIhw+j2w", "dominant_color": "#5b7a99",
                "blurhash": {"hash": "LKO2:N%2Tw=w]~RBVZRi};RPxuwH", "components_x": 4, "components_y": 3}},
            "results": [
                {"name": "thumb", "url": "http://h/t.webp", "content_type": "image/webp", "width": 300, "height": 300},
                {"name": "large-avif", "url": "http://h/l.avif", "content_type": "image/avif", "width": 640, "height": 427},
            ],
            "skipped": [{"name": "medium-avif", "skipped": "budget"}]});
        assert_eq!(
            result_lines("b.heic", &job)[1..],
            [
                "  source: heic 3024x4032, 1604773 bytes, orientation 6 applied, ICC \"Display P3\", removed exif, gps",
                "  placeholder: #5b7a99 thumbhash 3OcRJYB4d3h/iIeHeEh3eIhw+j2w blurhash LKO2:N%2Tw=w]~RBVZRi};RPxuwH",
                "  thumb        300x300  webp  http://h/t.webp",
                "  large-avif   640x427  avif  http://h/l.avif",
                "  skipped: medium-avif (budget)",
            ]
        );
        assert_eq!(
            status_message(&json!({"status": "processing", "attempts": 2})),
            "processing (attempt 2)"
        );
    }
}
