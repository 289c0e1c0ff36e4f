//! Shrink-on-load: a baseline JPEG whose variants are all small enough is
//! decoded at a reduced scale. Its outputs must match those made from the
//! same pixels at full size (a PNG of the decoded JPEG, which never
//! shrinks): same sizes, same crops, same orientation, close colours.

use crate::common::{encode, mean_difference, variant, with_exif_orientation};
use image::{DynamicImage, GrayImage, ImageFormat, Luma, Rgb, RgbImage};
use pixpipe_imaging::{Fit, Format, Gravity, Limits, Variant, process};

fn photo(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let ring = ((x as f64 - 500.0).hypot(y as f64 - 700.0) / 31.0).sin();
        Rgb([
            (127.0 + 90.0 * ring) as u8,
            (x * 255 / w) as u8,
            if x > w * 3 / 4 && y < h / 3 {
                250
            } else {
                (y * 200 / h) as u8
            },
        ])
    })
}

/// The same pixels as `jpeg` (orientation included), as a PNG.
fn as_png(jpeg: &[u8]) -> Vec<u8> {
    let decoded = image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg).expect("decodes");
    encode(&decoded, ImageFormat::Png)
}

fn compare(jpeg: &[u8], png: &[u8], variants: &[Variant]) {
    let limits = Limits::default();
    let shrunk = process(jpeg, variants, &limits).expect("jpeg");
    let full = process(png, variants, &limits).expect("png");
    for (a, b) in shrunk.iter().zip(&full) {
        let diff = mean_difference(a, b);
        assert!(
            diff < 2.5,
            "{}x{}: mean difference {diff:.2}",
            a.width,
            a.height
        );
    }
}

#[test]
fn small_variants_of_a_big_jpeg_match_a_full_size_decode() {
    let plain = encode(
        &DynamicImage::ImageRgb8(photo(1600, 1200)),
        ImageFormat::Jpeg,
    );
    let rotated = with_exif_orientation(&plain, 6);
    // Rotation 6 is applied to the PNG's pixels, not stored as a tag.
    let png = {
        let img = image::load_from_memory_with_format(&plain, ImageFormat::Jpeg).expect("decodes");
        encode(&img.rotate90(), ImageFormat::Png)
    };
    let smart = Variant {
        gravity: Gravity::Attention,
        ..variant(120, 120, Fit::Cover, Format::Png, true)
    };
    let variants = [
        variant(150, 150, Fit::Cover, Format::Png, true),
        variant(300, 300, Fit::Inside, Format::Png, true),
        variant(200, 100, Fit::Fill, Format::Png, true),
        smart,
    ];
    compare(&plain, &as_png(&plain), &variants);
    compare(&rotated, &png, &variants);
    let sizes: Vec<_> = process(&rotated, &variants, &Limits::default())
        .expect("jpeg")
        .iter()
        .map(|o| (o.width, o.height))
        .collect();
    assert_eq!(sizes, [(150, 150), (225, 300), (200, 100), (120, 120)]);
}

#[test]
fn grey_and_odd_sized_jpegs_shrink_too() {
    let grey = GrayImage::from_fn(1001, 777, |x, y| {
        let ring = ((x as f64 - 300.0).hypot(y as f64 - 200.0) / 23.0).sin();
        Luma([(120.0 + 80.0 * ring) as u8])
    });
    let jpeg = encode(&DynamicImage::ImageLuma8(grey), ImageFormat::Jpeg);
    let variants = [variant(100, 100, Fit::Inside, Format::Png, true)];
    compare(&jpeg, &as_png(&jpeg), &variants);
}
