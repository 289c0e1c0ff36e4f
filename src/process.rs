//! `pixpipe process`: the standard engine over local files, no server.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow};
use pixpipe_core::spec;
use pixpipe_imaging::Limits;
use serde_json::json;

/// Processes every file, printing one JSON line each; returns how many failed.
pub fn run(preset: &str, out: &Path, files: &[PathBuf]) -> anyhow::Result<usize> {
    let preset = spec::preset(preset).ok_or_else(|| anyhow!("unknown preset {preset:?}"))?;
    let variants: Vec<_> = preset.variants.iter().map(|v| v.to_variant()).collect();
    let limits = Limits::default();
    let mut failed = 0;
    for file in files {
        let started = Instant::now();
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("image");
        let result = std::fs::read(file)
            .with_context(|| format!("reading {}", file.display()))
            .and_then(|bytes| {
                pixpipe_imaging::process(&bytes, &variants, &limits).map_err(anyhow::Error::from)
            });
        let line = match result {
            Ok(outputs) => {
                let dir = out.join(stem);
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let mut written = Vec::new();
                for (spec, output) in preset.variants.iter().zip(&outputs) {
                    let path = dir.join(format!("{}.{}", spec.name, output.format.extension()));
                    std::fs::write(&path, &output.bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                    written.push(json!({
                        "name": spec.name, "path": path, "width": output.width,
                        "height": output.height, "bytes": output.bytes.len(),
                    }));
                }
                json!({"file": file, "ok": true, "variants": written,
                       "ms": started.elapsed().as_secs_f64() * 1e3})
            }
            Err(error) => {
                failed += 1;
                let code = error
                    .downcast_ref::<pixpipe_imaging::ImagingError>()
                    .map_or("io_error", |e| pixpipe_core::FailureCode::from(e).as_str());
                json!({"file": file, "ok": false, "error": {"code": code, "message": format!("{error:#}")},
                       "ms": started.elapsed().as_secs_f64() * 1e3})
            }
        };
        println!("{line}");
    }
    Ok(failed)
}
