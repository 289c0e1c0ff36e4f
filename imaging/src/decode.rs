//! Decoding, once per input, into an 8-bit sRGB RGB or RGBA raster plus the
//! EXIF orientation (applied later, after resizing, by the pipeline).
//!
//! JPEG goes through [`crate::jpeg`] (libjpeg-turbo, CMYK/YCCK aware), HEIC
//! through [`crate::heic`] (heifer); PNG and
//! WebP through the `image` crate's decoders under `image::Limits`; GIF
//! through [`crate::gif_canvas`]. Embedded ICC profiles (JPEG APP2, PNG iCCP,
//! WebP ICCP) are applied by [`crate::colour`]. The orientation of PNG and
//! WebP comes from their `eXIf` / `EXIF` chunk, read by [`crate::exif`]
//! (with or without the `Exif\0\0` prefix); GIF has none.
//!
//! Animated GIF and WebP give their first frame only, on its canvas as
//! browsers paint it: see [`crate::gif_canvas`] and [`crate::webp_canvas`]
//! (the first frame of an animated WebP is decoded by the `image` crate as a
//! still image, then placed). 16-bit sources are reduced to 8 bits with
//! rounding (after any colour transform); greyscale is expanded to RGB; an
//! alpha channel that is opaque everywhere is dropped.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageResult};

use crate::colour::{self, Profile};
use crate::error::ImagingError;
use crate::exif;
use crate::options::Limits;
use crate::pixels::{Layout, Pixels};
use crate::probe::Probe;
use crate::sniff::SourceFormat;
use crate::{gif_canvas, webp_canvas};

/// A decoded source, still as stored (a JPEG perhaps at a reduced scale):
/// `orientation` turns it upright.
pub(crate) struct Decoded {
    pub pixels: Pixels,
    pub orientation: Orientation,
}

/// Test-only (feature `fault-injection`, never in a deployed build): decoding
/// a source that ends with these bytes panics inside the decoder guard, as a
/// third-party decoder might. A valid image with them appended gets past
/// sniffing and probing (both read the header only) to the decoder.
#[cfg(feature = "fault-injection")]
pub const FAULT_INJECTION_MARKER: &[u8] = b"pixpipe:panic";

/// Decodes `bytes`, whose header `probe` has already read and checked.
///
/// A panic inside a third-party decoder is caught and reported as `Corrupt`,
/// so that malformed input can never take the caller down.
/// A JPEG may be decoded at 1/`jpeg_shrink(orientation)` of its size.
pub(crate) fn decode(
    bytes: &[u8],
    probe: &Probe,
    limits: &Limits,
    jpeg_shrink: &dyn Fn(Orientation) -> u32,
) -> Result<Decoded, ImagingError> {
    let mut image_limits = image::Limits::default();
    image_limits.max_image_width = Some(limits.max_dimension);
    image_limits.max_image_height = Some(limits.max_dimension);
    image_limits.max_alloc = Some(limits.max_alloc);

    let format = probe.format.name();
    let run = || {
        #[cfg(feature = "fault-injection")]
        if bytes.ends_with(FAULT_INJECTION_MARKER) {
            panic!("fault injection: the source ends with the panic marker");
        }
        let orientation = || {
            exif::find_block(bytes)
                .map(exif::orientation)
                .unwrap_or(Orientation::NoTransforms)
        };
        let webp = |file: &[u8]| {
            read(
                WebPDecoder::new(Cursor::new(file)),
                image_limits.clone(),
                limits,
                format,
            )
        };
        match probe.format {
            SourceFormat::Jpeg => crate::jpeg::decode(bytes, limits, jpeg_shrink),
            SourceFormat::Png => Ok(Decoded {
                pixels: read(
                    PngDecoder::with_limits(Cursor::new(bytes), image_limits.clone()),
                    image_limits.clone(),
                    limits,
                    format,
                )?,
                orientation: orientation(),
            }),
            SourceFormat::Gif => Ok(Decoded {
                pixels: opaque(gif_canvas::decode(bytes, limits)?),
                orientation: Orientation::NoTransforms,
            }),
            SourceFormat::Webp => {
                let pixels = match webp_canvas::first_frame(bytes)? {
                    None => webp(bytes)?,
                    Some(first) => {
                        first.check_budget(limits)?;
                        opaque(first.place(webp(&first.still)?)?)
                    }
                };
                Ok(Decoded {
                    pixels,
                    orientation: orientation(),
                })
            }
            SourceFormat::Heic => crate::heic::decode(bytes, probe, limits),
        }
    };
    catch_unwind(AssertUnwindSafe(run))
        .unwrap_or_else(|_| Err(ImagingError::Corrupt(format!("{format} decoder failed"))))
}

/// Drops an alpha channel that is opaque everywhere.
fn opaque(mut pixels: Pixels) -> Pixels {
    pixels.drop_opaque_alpha();
    pixels
}

/// Decodes a still PNG or WebP (an animated WebP's first frame comes here
/// repackaged as one) with its ICC profile applied.
fn read<D: ImageDecoder>(
    decoder: ImageResult<D>,
    image_limits: image::Limits,
    limits: &Limits,
    format: &'static str,
) -> Result<Pixels, ImagingError> {
    let fail = |e| ImagingError::from_decode(e, format);
    let mut decoder = decoder.map_err(fail)?;

    // The decoder's idea of the size is what gets allocated: check it too.
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(ImagingError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    // An unreadable ICC profile is not worth failing the image for.
    let icc = decoder.icc_profile().ok().flatten();
    let profile = Profile::from_icc(icc.as_deref());
    drop(icc);
    decoder.set_limits(image_limits.clone()).map_err(fail)?;
    let mut budget = image_limits;
    budget.reserve(decoder.total_bytes()).map_err(fail)?;

    let image = DynamicImage::from_decoder(decoder).map_err(fail)?;
    let mut pixels = match profile.as_ref().and_then(|p| managed(&image, p)) {
        Some(managed) => managed?,
        None => into_pixels(image, profile.as_ref())?,
    };
    pixels.drop_opaque_alpha();
    Ok(pixels)
}

/// Colour-manages the types that need a new buffer anyway (grey, 16-bit):
/// `None` when the profile does not apply to this colour type.
fn managed(image: &DynamicImage, profile: &Profile) -> Option<Result<Pixels, ImagingError>> {
    let (w, h) = (image.width(), image.height());
    let (data, alpha) = match image {
        DynamicImage::ImageLuma8(b) => (colour::gray8(profile, b.as_raw(), false)?, false),
        DynamicImage::ImageLumaA8(b) => (colour::gray8(profile, b.as_raw(), true)?, true),
        DynamicImage::ImageLuma16(b) => (colour::sixteen(profile, b.as_raw(), true, false)?, false),
        DynamicImage::ImageLumaA16(b) => (colour::sixteen(profile, b.as_raw(), true, true)?, true),
        DynamicImage::ImageRgb16(b) => (colour::sixteen(profile, b.as_raw(), false, false)?, false),
        DynamicImage::ImageRgba16(b) => (colour::sixteen(profile, b.as_raw(), false, true)?, true),
        _ => return None,
    };
    let layout = if alpha { Layout::Rgba } else { Layout::Rgb };
    Some(Pixels::from_vec(w, h, layout, data))
}

/// Converts any decoded colour type to 8-bit RGB or RGBA, reusing the
/// buffer when it already is one (and converting 8-bit RGB(A) through an
/// RGB `profile` in place). 16-bit samples are rounded to 8 bits.
fn into_pixels(image: DynamicImage, profile: Option<&Profile>) -> Result<Pixels, ImagingError> {
    let (w, h) = (image.width(), image.height());
    match image {
        DynamicImage::ImageRgb8(b) => {
            let mut data = b.into_raw();
            if let Some(p) = profile {
                colour::rgb8_in_place(p, &mut data, false);
            }
            Pixels::from_vec(w, h, Layout::Rgb, data)
        }
        DynamicImage::ImageRgba8(b) => {
            let mut data = b.into_raw();
            if let Some(p) = profile {
                colour::rgb8_in_place(p, &mut data, true);
            }
            Pixels::from_vec(w, h, Layout::Rgba, data)
        }
        other if other.color().has_alpha() => {
            Pixels::from_vec(w, h, Layout::Rgba, other.into_rgba8().into_raw())
        }
        other => Pixels::from_vec(w, h, Layout::Rgb, other.into_rgb8().into_raw()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::probe;
    use image::{ImageFormat, Rgba, RgbaImage};

    fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).expect("encode test image");
        out.into_inner()
    }

    fn decode_all(bytes: &[u8]) -> Result<Decoded, ImagingError> {
        let limits = Limits::default();
        let p = probe(bytes, &limits)?;
        decode(bytes, &p, &limits, &|_| 1)
    }

    #[test]
    fn layouts() {
        let opaque = RgbaImage::from_pixel(4, 3, Rgba([1, 2, 3, 255]));
        let d = decode_all(&encode(opaque.into(), ImageFormat::Png)).expect("decodes");
        assert_eq!(d.pixels.layout(), Layout::Rgb);
        assert_eq!((d.pixels.width(), d.pixels.height()), (4, 3));

        let mut clear = RgbaImage::from_pixel(4, 3, Rgba([1, 2, 3, 255]));
        clear.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
        let d = decode_all(&encode(clear.into(), ImageFormat::Png)).expect("decodes");
        assert_eq!(d.pixels.layout(), Layout::Rgba);
        assert_eq!(d.orientation, Orientation::NoTransforms);
    }

    #[test]
    fn alloc_limit_is_enforced() {
        let img = RgbaImage::from_pixel(64, 64, Rgba([1, 2, 3, 4]));
        let bytes = encode(img.into(), ImageFormat::Png);
        let limits = Limits {
            max_alloc: 1000,
            ..Limits::default()
        };
        let p = probe(&bytes, &limits).expect("probe");
        assert!(matches!(
            decode(&bytes, &p, &limits, &|_| 1),
            Err(ImagingError::LimitExceeded(_))
        ));
    }
}
