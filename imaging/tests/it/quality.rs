//! Output quality of the standard job's shapes on photo-like inputs (the
//! generated photos of `pixpipe-testphotos` and its one real photograph): each variant is
//! compared with a reference made independently (the `image` crate's
//! floating-point Lanczos3 resize of the upright source, same crop) by the
//! SSIMULACRA2 metric, and must score at least [`MIN_SCORE`].
//!
//! SSIMULACRA2 reads roughly: 90 visually lossless, 70 high quality, 50
//! medium. The engine's resampling differs from the reference only by
//! rounding and its box pre-shrink, so the score mostly measures the
//! encoders at the preset's qualities (JPEG 80/85, WebP 80). Measured on
//! these inputs: JPEG outputs 80.6 to 83.4, WebP outputs 66.5 to 82.7 (the
//! grass texture of the generated scene is the hardest case for WebP).

use image::imageops;
use image::{DynamicImage, ImageDecoder, RgbImage};
use pixpipe_imaging::{Fit, Format, Limits, Variant, process};
use pixpipe_testphotos::Photo;
pub(crate) use pixpipe_testphotos::reference::{lanczos3, on_white, ssimulacra2};

/// The bound every standard-job output must reach: between "medium" (50)
/// and "high quality" (70), a few points under the worst WebP measured.
const MIN_SCORE: f64 = 65.0;

/// Photos of each kind: the 12 MP phone geometry, an EXIF-rotated JPEG, a
/// WebP and a PNG with graded transparency. Not [`Photo::Rocket`]: it carries
/// an Adobe RGB ICC profile, which the engine honours and the reference
/// decoder here ignores (`colour.rs` tests ICC conversion against its own
/// reference).
const PHOTOS: [Photo; 4] = [Photo::Phone12mp, Photo::Rotated, Photo::Webp, Photo::Alpha];

/// The standard preset's variants (`core`'s `spec::preset("standard")`;
/// the engine crate cannot depend on `core`, so they are spelled out here).
fn standard() -> Vec<Variant> {
    let v = |side: u32, fit, format, quality| Variant {
        quality,
        ..Variant::new(side, side, fit, format)
    };
    vec![
        v(300, Fit::Cover, Format::Jpeg, 80),
        v(1024, Fit::Inside, Format::Webp, 80),
        v(2048, Fit::Inside, Format::Jpeg, 85),
    ]
}

#[test]
fn standard_outputs_score_high_quality_against_a_reference_resize() {
    let variants = standard();
    let mut failures = Vec::new();
    for photo in PHOTOS {
        let name = photo.file_name();
        let bytes = photo.bytes();
        let upright = upright_on_white(bytes);
        let outputs = process(bytes, &variants, &Limits::default()).expect("process");
        for (variant, output) in variants.iter().zip(&outputs) {
            let produced = image::load_from_memory(&output.bytes).expect("decode output");
            let produced = on_white(produced);
            let reference = reference(&upright, variant, produced.dimensions());
            let score = ssimulacra2(&reference, &produced);
            println!(
                "{name} {}x{} {:?}: SSIMULACRA2 {score:.1}",
                output.width, output.height, output.format
            );
            if score < MIN_SCORE {
                failures.push(format!(
                    "{name} {}x{}: {score:.1}",
                    output.width, output.height
                ));
            }
        }
    }
    assert!(failures.is_empty(), "below {MIN_SCORE}: {failures:?}");
}

/// The source decoded by `image`, turned upright, flattened onto white.
pub(crate) fn upright_on_white(bytes: &[u8]) -> RgbImage {
    let mut decoder = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .expect("guess format")
        .into_decoder()
        .expect("decoder");
    let orientation = decoder.orientation().expect("orientation");
    let mut image = DynamicImage::from_decoder(decoder).expect("decode source");
    image.apply_orientation(orientation);
    on_white(image)
}

/// The reference: the centred crop a `cover` fit keeps (the whole image
/// otherwise), resized with Lanczos3 in floating point to the output's size.
pub(crate) fn reference(upright: &RgbImage, variant: &Variant, size: (u32, u32)) -> RgbImage {
    let (w, h) = upright.dimensions();
    let (crop_w, crop_h) = match variant.fit {
        Fit::Cover => {
            let target = f64::from(variant.width) / f64::from(variant.height);
            if f64::from(w) / f64::from(h) > target {
                ((f64::from(h) * target).round() as u32, h)
            } else {
                (w, (f64::from(w) / target).round() as u32)
            }
        }
        _ => (w, h),
    };
    let cropped = imageops::crop_imm(upright, (w - crop_w) / 2, (h - crop_h) / 2, crop_w, crop_h);
    lanczos3(&cropped.to_image(), size)
}
