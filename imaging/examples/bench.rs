//! Times `process` with the standard preset (thumb 300x300 cover JPEG q80,
//! medium inside 1024 WebP q80, large inside 2048 JPEG q85, never enlarged).
//!
//! `cargo run --release -p pixpipe-imaging --example bench -- [FILE...]`;
//! without files it times a synthetic 4000x3000 photo-like JPEG.

use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};
use pixpipe_imaging::{Fit, Format, Limits, Variant, process};

const RUNS: usize = 7;

fn preset() -> [Variant; 3] {
    let v = |side, fit, format, quality| Variant {
        quality,
        ..Variant::new(side, side, fit, format)
    };
    [
        v(300, Fit::Cover, Format::Jpeg, 80),
        v(1024, Fit::Inside, Format::Webp, 80),
        v(2048, Fit::Inside, Format::Jpeg, 85),
    ]
}

/// Smooth gradients plus noise, so the encoders have real work to do.
fn synthetic() -> Vec<u8> {
    let (w, h) = (4000, 3000);
    let mut seed = 0x2545_F491u32;
    let img = RgbImage::from_fn(w, h, |x, y| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let noise = ((seed >> 16) & 15) as u8;
        let r = (x * 239 / w) as u8;
        let g = (y * 239 / h) as u8;
        let b = ((x + y) / 29 % 240) as u8;
        Rgb([r + noise, g + noise, b + noise])
    });
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    img.write_with_encoder(encoder)
        .expect("encode synthetic image");
    out
}

fn main() {
    let inputs: Vec<(String, Vec<u8>)> = match std::env::args().skip(1).collect::<Vec<_>>() {
        files if files.is_empty() => vec![("synthetic 4000x3000 jpeg".into(), synthetic())],
        files => files
            .into_iter()
            .map(|f| {
                let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("{f}: {e}"));
                (f, bytes)
            })
            .collect(),
    };
    let variants = preset();
    let limits = Limits::default();
    for (name, bytes) in inputs {
        let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
        let mut sizes = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            match process(&bytes, &variants, &limits) {
                Ok(out) => {
                    sizes = out
                        .iter()
                        .map(|o| (o.width, o.height, o.bytes.len()))
                        .collect()
                }
                Err(e) => {
                    println!("{name}: {} ({e})", e.code());
                    break;
                }
            }
            times.push(start.elapsed());
        }
        times.sort();
        if let (Some(min), Some(median)) = (times.first(), times.get(times.len() / 2)) {
            println!(
                "{name}: {} bytes in, min {:.1} ms, median {:.1} ms, outputs {sizes:?}",
                bytes.len(),
                min.as_secs_f64() * 1e3,
                median.as_secs_f64() * 1e3
            );
        }
    }
}
