//! pixpipe's pure image engine: sniff, probe with limits, decode once,
//! auto-orient, resize/crop, encode. No I/O, no async, no global state.
//!
//! # Layout
//! - `options`: the public option types ([`Variant`], [`Fit`], [`Format`], [`Limits`]).
//! - `error`: [`ImagingError`] and its stable codes.
//! - `sniff`: [`sniff`], format detection from magic bytes.
//! - `probe`: [`probe`], header-only dimensions, input limits, truncation checks.
//! - `decode`: one decode under `image::Limits` into an 8-bit raster + EXIF orientation.
//! - `geometry`: pure arithmetic of fits, crops and orientation mapping.
//! - `pixels`: the raster type; premultiply, flatten, orient, pad.
//! - `resize`: crop + Lanczos3 resampling (box pre-shrink for >3x reductions),
//!   one resizer reused for all variants.
//! - `encode`: JPEG (jpeg-encoder), PNG (image), WebP (libwebp).
//!
//! # Pipeline of [`process`]
//! 1. [`probe`]: size, format and pixel limits are checked before any decoding.
//! 2. Decode once; note the EXIF orientation; premultiply alpha once.
//! 3. For each variant, in order:
//!    1. plan the fit on the upright (oriented) dimensions;
//!    2. map the planned crop back to the stored image and resample that
//!       region straight to the target size (one Lanczos3 pass; reductions
//!       over 3x are box-filtered to twice the target first, as libvips does);
//!    3. orient the small result upright (cheaper than rotating the source);
//!    4. pad for `contain`; flatten onto white (JPEG) or un-premultiply;
//!    5. encode, writing no metadata.

mod decode;
mod encode;
mod error;
mod geometry;
mod pixels;
mod probe;
mod resize;
mod sniff;

pub mod options;

pub use error::ImagingError;
pub use options::{Fit, Format, Limits, Variant};
pub use probe::{Probe, probe};
pub use sniff::{SourceFormat, sniff};

use image::metadata::Orientation;

use crate::geometry::{plan, transposes};
use crate::pixels::{Layout, Pixels};
use crate::resize::Resampler;

/// One encoded result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// Makes one [`Output`] per variant, in the same order, from one decode of `bytes`.
pub fn process(
    bytes: &[u8],
    variants: &[Variant],
    limits: &Limits,
) -> Result<Vec<Output>, ImagingError> {
    let probe = probe(bytes, limits)?;
    let decoded = decode::decode(bytes, &probe, limits)?;
    let orientation = decoded.orientation;
    let mut source = decoded.pixels;

    let mut resampler = Resampler::new();
    source.premultiply(resampler.mul_div())?;

    variants
        .iter()
        .map(|variant| render(&source, orientation, variant, limits, &mut resampler))
        .collect()
}

/// Makes one variant from the decoded (premultiplied) source.
fn render(
    source: &Pixels,
    orientation: Orientation,
    variant: &Variant,
    limits: &Limits,
    resampler: &mut Resampler,
) -> Result<Output, ImagingError> {
    let (sw, sh) = (source.width(), source.height());
    let (ow, oh) = if transposes(orientation) {
        (sh, sw)
    } else {
        (sw, sh)
    };
    let p = plan(
        ow,
        oh,
        variant.width,
        variant.height,
        variant.fit,
        variant.without_enlargement,
    );
    check_output_size(p.canvas, limits)?;
    check_output_size(p.size, limits)?;

    let crop = p.crop.to_stored(ow, oh, orientation);
    let stored_size = if transposes(orientation) {
        (p.size.1, p.size.0)
    } else {
        p.size
    };
    let resized = resampler.resize(source, crop, stored_size)?;
    let upright = resized.orient(orientation);

    let alpha = upright.layout() == Layout::Rgba;
    let keeps_alpha = alpha && variant.format != Format::Jpeg;
    // Premultiplied transparent is all zeros; opaque white is the same either way.
    let background = if keeps_alpha {
        [0, 0, 0, 0]
    } else {
        [255, 255, 255, 255]
    };
    let (cw, ch) = p.canvas;
    let mut finished = upright.pad(cw, ch, p.offset.0, p.offset.1, background)?;
    if keeps_alpha {
        finished.unpremultiply(resampler.mul_div())?;
    } else {
        finished.flatten_premultiplied_on_white();
    }

    let bytes = encode::encode(&finished, variant.format, variant.quality)?;
    Ok(Output {
        format: variant.format,
        width: finished.width(),
        height: finished.height(),
        bytes,
    })
}

/// Outputs obey the same size limits as inputs (an `outside` fit of a thin
/// source can otherwise ask for a gigantic canvas).
fn check_output_size((w, h): (u32, u32), limits: &Limits) -> Result<(), ImagingError> {
    if w > limits.max_dimension
        || h > limits.max_dimension
        || u64::from(w) * u64::from(h) > limits.max_pixels
    {
        return Err(ImagingError::LimitExceeded(format!(
            "output would be {w}x{h}, over the limits ({} pixels, {} a side)",
            limits.max_pixels, limits.max_dimension
        )));
    }
    Ok(())
}
