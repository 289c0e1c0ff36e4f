//! Variants made from a larger variant's raster (the cascade) look like the
//! same variants made alone from the source, whatever order they are asked
//! in, and come back in the order asked for.

use crate::common::{encode, mean_difference, variant, with_exif_orientation};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use pixpipe_imaging::{Fit, Format, Limits, process};

/// Detail at several scales, so that resampling differences show.
fn detailed(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let ring = ((x as f64 - 600.0).hypot(y as f64 - 400.0) / 9.0).sin();
        let checks = if (x / 37 + y / 23) % 2 == 0 { 40 } else { 0 };
        Rgb([
            (127.0 + 100.0 * ring) as u8,
            ((x * 255 / w) as u8).saturating_add(checks),
            ((y * 255 / h) as u8).saturating_sub(checks),
        ])
    })
}

#[test]
fn cascaded_variants_match_direct_ones_in_the_order_asked() {
    let png = encode(
        &DynamicImage::ImageRgb8(detailed(1600, 1200)),
        ImageFormat::Png,
    );
    let jpeg = with_exif_orientation(
        &encode(
            &DynamicImage::ImageRgb8(detailed(1600, 1200)),
            ImageFormat::Jpeg,
        ),
        6,
    );
    // Smallest first, as the standard preset asks; PNG so no codec loss.
    let asked = [
        variant(150, 150, Fit::Cover, Format::Png, true),
        variant(400, 400, Fit::Inside, Format::Png, true),
        variant(800, 800, Fit::Inside, Format::Png, true),
    ];
    let limits = Limits::default();
    for source in [png, jpeg] {
        let together = process(&source, &asked, &limits).expect("process");
        let sizes: Vec<_> = together.iter().map(|o| (o.width, o.height)).collect();
        let upright = sizes[2].0 == 800;
        let expected = if upright {
            [(150, 150), (400, 300), (800, 600)]
        } else {
            [(150, 150), (300, 400), (600, 800)]
        };
        assert_eq!(sizes, expected);
        for (variant, cascaded) in asked.iter().zip(&together) {
            let alone = process(&source, std::slice::from_ref(variant), &limits).expect("alone");
            let diff = mean_difference(cascaded, &alone[0]);
            assert!(
                diff < 2.0,
                "{}x{}: mean difference {diff:.2}",
                cascaded.width,
                cascaded.height
            );
        }
    }
}
