//! pixpipe's pure image engine: sniff, probe with limits, decode once,
//! auto-orient, resize/crop, encode. No I/O, no async, no global state.
//!
//! # Layout
//! - `options`: the public option types ([`Variant`], [`Fit`], [`Format`], [`Limits`]).
//! - `error`: [`ImagingError`] and its stable codes.
//! - `sniff`: [`sniff`], format detection from magic bytes.
//! - `probe`: [`probe`], header-only dimensions, input limits, truncation checks.
//! - `decode`: one decode under `image::Limits` into an 8-bit raster + EXIF orientation.
//! - `gif_canvas`, `webp_canvas`: the first frame of a GIF or animated WebP on
//!   its canvas, as browsers paint it.
//! - `heic`: HEIC/HEIF with heifer: the container header for `probe`, the
//!   primary image, alpha, `irot`/`imir` or EXIF orientation, colour.
//! - `geometry`: pure arithmetic of fits, crops and orientation mapping.
//! - `pixels`: the raster type; premultiply, flatten, orient, pad.
//! - `resize`: crop + Lanczos3 resampling (box pre-shrink for >3x reductions),
//!   one resizer reused for all variants.
//! - `encode`: JPEG (libjpeg-turbo), PNG (image), WebP (libwebp).
//! - `gravity`: where `cover` crops: compass points and the smart crops.
//! - `watermark`: the PNG overlay ([`Watermark`]), scaled, placed, blended.
//! - `exif`: finds the EXIF block in a container and reads it (kamadak-exif, capped).
//! - `copyright`: reads the source's EXIF Copyright/Artist, writes a minimal EXIF block.
//! - `render`: one variant, from plan to encoded bytes.
//! - `jpeg`, `turbo`, `markers`: JPEG through libjpeg-turbo (full size or
//!   DCT-scaled), its warnings judged; the header segments it does not read.
//! - `exif`: the EXIF orientation, wherever a container carries it.
//! - `shrink`: how far a JPEG may be DCT-scaled on load for the variants asked.
//! - `cascade`: larger variants' rasters kept as sources of smaller ones.
//!
//! # Pipeline of [`process_with`] ([`process`] is the same without a watermark)
//! 1. [`probe`]: size, format and pixel limits are checked before any decoding.
//! 2. Decode once (a JPEG at 1/2, 1/4 or 1/8 scale when every variant
//!    allows, see `shrink`); note the EXIF orientation; premultiply alpha once.
//! 3. For each variant, largest first (outputs keep the order asked for):
//!    1. plan the fit on the upright (oriented) dimensions;
//!    2. when a larger variant's whole-image raster reduces at least 2x to
//!       this one, resample the planned crop from it with Catmull-Rom (see
//!       `cascade`);
//!    3. else map the planned crop back to the stored image and resample that
//!       region straight to the target size (one Lanczos3 pass; reductions
//!       over 3x are box-filtered to twice the target first, as libvips
//!       does), then orient the small result upright (cheaper than rotating
//!       the source);
//!    4. pad for `contain` with the background; draw the watermark;
//!       flatten onto the background (JPEG) or un-premultiply;
//! 4. Encode the finished rasters, on up to `Limits::max_threads` threads
//!    (largest first), writing no metadata but, on request, Copyright and
//!    Artist. The source is freed before encoding starts.

mod cascade;
mod colour;
mod copyright;
mod decode;
mod encode;
mod error;
mod exif;
mod geometry;
mod gif_canvas;
mod gravity;
mod heic;
mod jpeg;
mod markers;
mod pixels;
mod probe;
mod render;
mod resize;
mod shrink;
mod sniff;
mod turbo;
mod watermark;
mod webp_canvas;

pub mod options;

pub use error::ImagingError;
pub use options::{Colour, Fit, Format, Gravity, Limits, Variant, WatermarkPlacement};
pub use probe::{Probe, probe};
pub use sniff::{SourceFormat, sniff};
pub use watermark::{MAX_WATERMARK_BYTES, MAX_WATERMARK_SIDE, Watermark};

#[cfg(feature = "fault-injection")]
pub use decode::FAULT_INJECTION_MARKER;

use crate::cascade::Cascade;
use crate::copyright::Rights;
use crate::gravity::Thumbnail;
use crate::pixels::Pixels;
use crate::render::{Source, render, resampled_pixels};
use crate::resize::Resampler;

/// One encoded result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
}

/// Makes one [`Output`] per variant, in the same order, from one decode of
/// `bytes`. A variant that asks for a watermark fails with `watermark_unavailable`.
pub fn process(
    bytes: &[u8],
    variants: &[Variant],
    limits: &Limits,
) -> Result<Vec<Output>, ImagingError> {
    process_with(bytes, variants, limits, None)
}

/// [`process`], drawing `watermark` on the variants that ask for one.
pub fn process_with(
    bytes: &[u8],
    variants: &[Variant],
    limits: &Limits,
    watermark: Option<&Watermark>,
) -> Result<Vec<Output>, ImagingError> {
    if watermark.is_none() && variants.iter().any(|v| v.watermark.is_some()) {
        return Err(ImagingError::WatermarkMissing);
    }
    let probe = probe(bytes, limits)?;
    let full = (probe.width, probe.height);
    let jpeg_shrink = |orientation| shrink::allowed(full, orientation, variants);
    let decoded = decode::decode(bytes, &probe, limits, &jpeg_shrink)?;
    let orientation = decoded.orientation;
    let mut source = decoded.pixels;

    let mut resampler = Resampler::new();
    source.premultiply(resampler.mul_div())?;

    let smart = variants
        .iter()
        .any(|v| v.fit == Fit::Cover && v.gravity.anchor().is_none());
    let thumbnail = smart.then(|| Thumbnail::new(&source, orientation, full));
    let rights = if variants.iter().any(|v| v.keep_copyright) {
        Rights::read(bytes)
    } else {
        Rights::default()
    };
    let exif = rights.tiff();
    let shared = Source {
        pixels: &source,
        full,
        orientation,
        thumbnail: thumbnail.as_ref(),
        watermark,
        limits,
    };
    // Largest first; a stable sort keeps equal sizes in the order asked for.
    let mut order: Vec<usize> = (0..variants.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(resampled_pixels(&shared, &variants[i])));
    let mut cascade = Cascade::default();
    let mut finished: Vec<Option<Pixels>> = vec![None; variants.len()];
    for (n, &i) in order.iter().enumerate() {
        // The last variant has no smaller one to feed.
        let keep = n + 1 < order.len();
        finished[i] = Some(render(
            &shared,
            &variants[i],
            &mut resampler,
            &mut cascade,
            keep,
        )?);
    }
    // The source and the kept rasters are no longer needed while encoding
    // (`shared`, which borrows them, is not used past this point).
    drop((cascade, thumbnail, source));
    let jobs: Vec<encode::Job<'_>> = finished
        .iter()
        .flatten()
        .zip(variants)
        .map(|(pixels, variant)| encode::Job {
            pixels,
            variant,
            exif: exif.as_deref().filter(|_| variant.keep_copyright),
        })
        .collect();
    let encoded = encode::encode_all(&jobs, limits.max_threads)?;
    Ok(jobs
        .iter()
        .zip(encoded)
        .map(|(job, bytes)| Output {
            format: job.variant.format,
            width: job.pixels.width(),
            height: job.pixels.height(),
            bytes,
        })
        .collect())
}
