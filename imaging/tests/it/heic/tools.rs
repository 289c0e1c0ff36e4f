//! libheif's command-line tools (Debian's libheif-examples) as the reference:
//! `heif-enc` makes test files, `heif-convert` decodes them; and the same
//! files decoded by pixpipe through `process` with a same-size PNG variant.

use std::path::Path;
use std::process::Command;

use image::{DynamicImage, ImageFormat, RgbaImage};
use pixpipe_imaging::{Fit, Format, Limits, Variant, process};

/// Runs `tool` with `args` in `dir`; fails the test, naming the Debian
/// package, when the tool is missing.
fn run(tool: &str, args: &[&str], dir: &Path) {
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is needed (Debian package libheif-examples): {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Encodes `img` (8-bit, or 16-bit for a 10-bit file) with `heif-enc`.
pub fn heif_enc(img: &DynamicImage, args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    img.save_with_format(dir.path().join("in.png"), ImageFormat::Png)
        .expect("write png");
    let mut all = args.to_vec();
    all.extend(["-o", "out.heic", "in.png"]);
    run("heif-enc", &all, dir.path());
    std::fs::read(dir.path().join("out.heic")).expect("heif-enc output")
}

/// Encodes a JPEG file with `heif-enc`, which copies its EXIF and XMP
/// segments into items and its ICC profile into a `colr` box.
pub fn heif_enc_jpeg(jpeg: &[u8], args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("in.jpg"), jpeg).expect("write jpeg");
    let mut all = args.to_vec();
    all.extend(["-o", "out.heic", "in.jpg"]);
    run("heif-enc", &all, dir.path());
    std::fs::read(dir.path().join("out.heic")).expect("heif-enc output")
}

/// libheif's decode of `heic` (its alpha kept, `irot`/`imir` applied, no
/// colour conversion), rounded to 8 bits.
pub fn heif_convert(heic: &[u8]) -> RgbaImage {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("in.heic"), heic).expect("write heic");
    run(
        "heif-convert",
        &["--quiet", "in.heic", "out.png"],
        dir.path(),
    );
    image::open(dir.path().join("out.png"))
        .expect("heif-convert output")
        .to_rgba8()
}

/// pixpipe's decode of `heic`: a same-size PNG variant through `process`.
pub fn pixpipe(heic: &[u8], width: u32, height: u32) -> RgbaImage {
    let variant = Variant {
        without_enlargement: true,
        ..Variant::new(width, height, Fit::Fill, Format::Png)
    };
    let out = process(heic, &[variant], &Limits::default()).expect("pixpipe decodes the HEIC");
    assert_eq!((out[0].width, out[0].height), (width, height));
    image::load_from_memory_with_format(&out[0].bytes, ImageFormat::Png)
        .expect("output decodes")
        .to_rgba8()
}

/// Mean absolute difference per channel (R, G, B, A).
pub fn mean_difference(a: &RgbaImage, b: &RgbaImage) -> [f64; 4] {
    assert_eq!(a.dimensions(), b.dimensions(), "same size");
    let mut sum = [0u64; 4];
    for (p, q) in a.pixels().zip(b.pixels()) {
        for (s, (x, y)) in sum.iter_mut().zip(p.0.iter().zip(q.0)) {
            *s += u64::from(x.abs_diff(y));
        }
    }
    let n = f64::from(a.width()) * f64::from(a.height());
    sum.map(|s| s as f64 / n)
}

/// Asserts every channel's mean difference is at most `bound`.
pub fn assert_close(case: &str, ours: &RgbaImage, reference: &RgbaImage, bound: f64) {
    let diff = mean_difference(ours, reference);
    println!("{case}: mean difference per channel {diff:.3?}");
    assert!(
        diff.iter().all(|&d| d <= bound),
        "{case}: mean difference {diff:.3?} over {bound}"
    );
}
