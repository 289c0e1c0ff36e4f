//! Encoding a finished raster: JPEG with jpeg-encoder (baseline, 4:2:0,
//! one interleaved scan, standard Huffman tables), lossy WebP with libwebp,
//! PNG with the `image` crate. No metadata is ever written.

use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
use webp::{PixelLayout, WebPConfig};

use crate::error::ImagingError;
use crate::options::Format;
use crate::pixels::{Layout, Pixels};

/// Largest side libwebp accepts.
const WEBP_MAX_SIDE: u32 = 16383;

/// Encodes `pixels` (straight alpha; for JPEG any alpha is ignored).
pub(crate) fn encode(
    pixels: &Pixels,
    format: Format,
    quality: u8,
) -> Result<Vec<u8>, ImagingError> {
    let quality = quality.clamp(1, 100);
    match format {
        Format::Jpeg => jpeg(pixels, quality),
        Format::Png => png(pixels),
        Format::Webp => webp(pixels, quality),
    }
}

fn too_big(format: &str, pixels: &Pixels, max: u32) -> ImagingError {
    ImagingError::Encode(format!(
        "{format} cannot store {}x{} (at most {max} pixels a side)",
        pixels.width(),
        pixels.height()
    ))
}

fn jpeg(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, ImagingError> {
    let (Ok(w), Ok(h)) = (
        u16::try_from(pixels.width()),
        u16::try_from(pixels.height()),
    ) else {
        return Err(too_big("jpeg", pixels, u32::from(u16::MAX)));
    };
    let color = match pixels.layout() {
        Layout::Rgb => ColorType::Rgb,
        Layout::Rgba => ColorType::Rgba,
    };
    let mut out = Vec::with_capacity(pixels.data().len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    // Optimised tables make jpeg-encoder write one scan per component
    // (non-interleaved). That is valid baseline JPEG, but zune-jpeg 0.5.15,
    // the decoder inside `image` 0.25, silently decodes such files with 4:2:0
    // chroma to garbage (zune-image issue #422), and libjpeg must buffer the
    // whole image to decode them. Standard tables keep a single interleaved
    // scan that every decoder handles, at a few percent more bytes.
    encoder.set_optimized_huffman_tables(false);
    encoder.set_progressive(false);
    encoder
        .encode(pixels.data(), w, h, color)
        .map_err(|e| ImagingError::Encode(format!("jpeg: {e}")))?;
    Ok(out)
}

fn png(pixels: &Pixels) -> Result<Vec<u8>, ImagingError> {
    let color = match pixels.layout() {
        Layout::Rgb => image::ExtendedColorType::Rgb8,
        Layout::Rgba => image::ExtendedColorType::Rgba8,
    };
    let mut out = Vec::with_capacity(pixels.data().len() / 2);
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(pixels.data(), pixels.width(), pixels.height(), color)
        .map_err(|e| ImagingError::Encode(format!("png: {e}")))?;
    Ok(out)
}

fn webp(pixels: &Pixels, quality: u8) -> Result<Vec<u8>, ImagingError> {
    if pixels.width() > WEBP_MAX_SIDE || pixels.height() > WEBP_MAX_SIDE {
        return Err(too_big("webp", pixels, WEBP_MAX_SIDE));
    }
    let layout = match pixels.layout() {
        Layout::Rgb => PixelLayout::Rgb,
        Layout::Rgba => PixelLayout::Rgba,
    };
    let mut config =
        WebPConfig::new().map_err(|()| ImagingError::Encode("webp: bad default config".into()))?;
    config.lossless = 0;
    config.quality = f32::from(quality);
    let encoder = webp::Encoder::new(pixels.data(), layout, pixels.width(), pixels.height());
    let memory = encoder
        .encode_advanced(&config)
        .map_err(|e| ImagingError::Encode(format!("webp: {e:?}")))?;
    Ok(memory.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_round_trips_its_size() {
        let px = Pixels::filled(17, 9, Layout::Rgb, [200, 10, 10, 0]);
        for (format, image_format) in [
            (Format::Jpeg, image::ImageFormat::Jpeg),
            (Format::Png, image::ImageFormat::Png),
            (Format::Webp, image::ImageFormat::WebP),
        ] {
            let bytes = encode(&px, format, 80).expect("encodes");
            let back = image::load_from_memory_with_format(&bytes, image_format).expect("decodes");
            assert_eq!((back.width(), back.height()), (17, 9), "{format:?}");
        }
    }

    /// Guards against non-interleaved JPEG output, which the `image` crate's
    /// decoder turns into garbage for block-aligned sizes.
    #[test]
    fn flat_jpegs_decode_to_their_colour() {
        for (w, h) in [(16, 16), (40, 20), (17, 9)] {
            let px = Pixels::filled(w, h, Layout::Rgb, [255, 255, 255, 0]);
            let bytes = encode(&px, Format::Jpeg, 80).expect("encodes");
            let back = image::load_from_memory(&bytes).expect("decodes").to_rgb8();
            assert!(
                back.pixels().all(|p| p.0.iter().all(|&c| c >= 250)),
                "{w}x{h}"
            );
        }
    }

    #[test]
    fn oversized_outputs_are_errors() {
        let px = Pixels::filled(16384, 1, Layout::Rgb, [0; 4]);
        assert!(matches!(
            encode(&px, Format::Webp, 80),
            Err(ImagingError::Encode(_))
        ));
        let px = Pixels::filled(65536, 1, Layout::Rgb, [0; 4]);
        assert!(matches!(
            encode(&px, Format::Jpeg, 80),
            Err(ImagingError::Encode(_))
        ));
    }
}
