//! Reference decoders for formats the test builds cannot decode themselves:
//! AVIF through libavif's `avifdec` (Debian `libavif-bin`, which the test
//! script installs). A missing tool fails the test that needs it.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// Decodes an AVIF with `avifdec` into 8-bit RGBA (straight alpha; opaque
/// images get alpha 255). Panics, naming the tool, when it is missing or
/// refuses the file: a test's output that libavif cannot read is a failure.
pub fn avif_to_rgba(avif: &[u8]) -> image::RgbaImage {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let stem = format!("pixpipe-avifdec-{}-{n}", std::process::id());
    let input: PathBuf = std::env::temp_dir().join(format!("{stem}.avif"));
    let output: PathBuf = std::env::temp_dir().join(format!("{stem}.png"));
    std::fs::write(&input, avif).expect("write the AVIF for avifdec");
    let run = Command::new("avifdec")
        .args(["--depth", "8"])
        .arg(&input)
        .arg(&output)
        .output();
    let _ = std::fs::remove_file(&input);
    let run = run.expect("avifdec runs (Debian package libavif-bin)");
    assert!(
        run.status.success(),
        "avifdec refused the file: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let png = std::fs::read(&output).expect("avifdec wrote a PNG");
    let _ = std::fs::remove_file(&output);
    image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .expect("avifdec's PNG decodes")
        .to_rgba8()
}
