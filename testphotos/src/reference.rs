//! What tests compare outputs with: libavif's `avifdec` for AVIF, which the
//! test builds cannot decode themselves (Debian `libavif-bin`, installed by
//! the test script; a missing tool fails the test that needs it), an
//! independent Lanczos3 resampler, and the SSIMULACRA2 metric.

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

/// The SSIMULACRA2 score of `produced` against `reference` (same size, sRGB):
/// about 90 visually lossless, 70 high quality, 50 medium.
pub fn ssimulacra2(reference: &image::RgbImage, produced: &image::RgbImage) -> f64 {
    use ssimulacra2::{ColorPrimaries, Rgb, TransferCharacteristic, compute_frame_ssimulacra2};
    let frame = |img: &image::RgbImage| {
        let data = img
            .pixels()
            .map(|p| p.0.map(|c| f32::from(c) / 255.0))
            .collect();
        let (w, h) = img.dimensions();
        Rgb::new(
            data,
            w as usize,
            h as usize,
            TransferCharacteristic::SRGB,
            ColorPrimaries::BT709,
        )
        .expect("frame")
    };
    compute_frame_ssimulacra2(frame(reference), frame(produced)).expect("score")
}

/// `image` flattened onto white.
pub fn on_white(image: image::DynamicImage) -> image::RgbImage {
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    image::RgbImage::from_fn(w, h, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend =
            |c: u8| ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a)) + 127) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

/// The reference resampler: `image` resized to `size` with Lanczos3 in
/// floating point (the `image` crate's, independent of the engine's).
pub fn lanczos3(image: &image::RgbImage, size: (u32, u32)) -> image::RgbImage {
    use image::imageops::{self, FilterType};
    let float = image::DynamicImage::ImageRgb8(image.clone()).into_rgb32f();
    let resized = imageops::resize(&float, size.0, size.1, FilterType::Lanczos3);
    image::DynamicImage::ImageRgb32F(resized).into_rgb8()
}
