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
//! - `encode`: JPEG (libjpeg-turbo), PNG (image), WebP (libwebp), AVIF (rav1e).
//! - `avif`: the AVIF encoder and the per-job CPU budget that picks its speed.
//! - `placeholder`: ThumbHash, BlurHash and dominant colour of the smallest
//!   variant that shows the whole picture.
//! - `facts`: what the source was (format, upright size, alpha, frames, ICC
//!   profile, orientation, metadata the outputs drop).
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
//! 4. Compute the placeholder from the smallest finished raster that shows
//!    the whole picture (see `placeholder`); plan the
//!    AVIF outputs against the job's CPU budget (`avif`).
//! 5. Encode the finished rasters, on up to `Limits::max_threads` threads
//!    (largest first), writing no metadata but, on request, Copyright and
//!    Artist. The source is freed before encoding starts. An AVIF the budget
//!    skips is not encoded; the others still are.

pub mod avif;
mod cascade;
mod colour;
mod copyright;
mod decode;
mod encode;
mod error;
mod exif;
mod facts;
mod geometry;
mod gif_canvas;
mod gravity;
mod heic;
mod jpeg;
mod markers;
mod pixels;
mod placeholder;
mod probe;
mod render;
mod resize;
mod shrink;
mod sniff;
mod turbo;
mod watermark;
mod webp_canvas;

pub mod options;

pub use avif::AvifPlan;
pub use error::ImagingError;
pub use facts::{Metadata, SourceFacts};
pub use options::{
    Colour, DEFAULT_AVIF_BUDGET, Fit, Format, Gravity, Limits, Variant, WatermarkPlacement,
};
pub use placeholder::{BLURHASH_COMPONENTS, Placeholder};
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
    /// The rav1e speed an AVIF was encoded at (chosen by the job's budget);
    /// `None` for other formats.
    pub avif_speed: Option<u8>,
}

/// Everything one run of the engine makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    /// One per variant, in the order asked for; `None` for an AVIF variant
    /// skipped because the job's AVIF budget could not afford it.
    pub outputs: Vec<Option<Output>>,
    pub source: SourceFacts,
    /// From the smallest variant that shows the whole picture.
    pub placeholder: Option<Placeholder>,
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

/// [`process`], drawing `watermark` on the variants that ask for one. An
/// AVIF variant the budget skips is left out of the list.
pub fn process_with(
    bytes: &[u8],
    variants: &[Variant],
    limits: &Limits,
    watermark: Option<&Watermark>,
) -> Result<Vec<Output>, ImagingError> {
    make(bytes, variants, limits, watermark).map(|m| m.outputs.into_iter().flatten().collect())
}

/// [`process_with`], also reporting the source's facts, the placeholder,
/// and which AVIF variants the budget skipped.
pub fn make(
    bytes: &[u8],
    variants: &[Variant],
    limits: &Limits,
    watermark: Option<&Watermark>,
) -> Result<Made, ImagingError> {
    if watermark.is_none() && variants.iter().any(|v| v.watermark.is_some()) {
        return Err(ImagingError::WatermarkMissing);
    }
    let probe = probe(bytes, limits)?;
    let full = (probe.width, probe.height);
    let jpeg_shrink = |orientation| shrink::allowed(full, orientation, variants);
    let decoded = decode::decode(bytes, &probe, limits, &jpeg_shrink)?;
    let orientation = decoded.orientation;
    let mut source = decoded.pixels;
    let scan = facts::scan(bytes, probe.format);
    let upright = if geometry::transposes(orientation) {
        (probe.height, probe.width)
    } else {
        full
    };
    let facts = SourceFacts {
        format: probe.format,
        width: upright.0,
        height: upright.1,
        has_alpha: source.layout() == pixels::Layout::Rgba,
        frames: scan.frames,
        icc_profile: scan.icc_profile,
        orientation: orientation.to_exif(),
        bytes: bytes.len() as u64,
        metadata_removed: scan.metadata_removed,
    };

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
    let finished: Vec<Pixels> = finished.into_iter().flatten().collect();
    let placeholder = placeholder::pick(&finished, variants).and_then(placeholder::compute);
    let avif_outputs: Vec<Option<avif::AvifOutput>> = finished
        .iter()
        .zip(variants)
        .map(|(p, v)| {
            (v.format == Format::Avif).then(|| avif::AvifOutput {
                width: p.width(),
                height: p.height(),
                alpha: p.layout() == pixels::Layout::Rgba,
            })
        })
        .collect();
    let plans = avif::plan(&avif_outputs, limits);
    let (index, jobs): (Vec<usize>, Vec<encode::Job<'_>>) = finished
        .iter()
        .zip(variants)
        .zip(&plans)
        .enumerate()
        .filter_map(|(i, ((pixels, variant), plan))| {
            let avif_speed = match plan {
                Some(AvifPlan::Skip) => return None,
                Some(AvifPlan::Speed(speed)) => *speed,
                None => 0,
            };
            let exif = exif.as_deref().filter(|_| variant.keep_copyright);
            Some((
                i,
                encode::Job {
                    pixels,
                    variant,
                    exif,
                    avif_speed,
                },
            ))
        })
        .unzip();
    let encoded = encode::encode_all(&jobs, limits.max_threads)?;
    let mut outputs: Vec<Option<Output>> = vec![None; variants.len()];
    for ((i, job), bytes) in index.into_iter().zip(&jobs).zip(encoded) {
        outputs[i] = Some(Output {
            format: job.variant.format,
            width: job.pixels.width(),
            height: job.pixels.height(),
            bytes,
            avif_speed: (job.variant.format == Format::Avif).then_some(job.avif_speed),
        });
    }
    Ok(Made {
        outputs,
        source: facts,
        placeholder,
    })
}
