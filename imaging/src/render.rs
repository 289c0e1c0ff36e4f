//! Making one variant from the decoded, premultiplied source: plan the fit,
//! place the crop by gravity, resample (from the source, or from a larger
//! variant's raster: see `cascade`), orient, pad onto the background, draw
//! the watermark, flatten or un-premultiply; the raster is then encoded.

use image::metadata::Orientation;

use crate::cascade::Cascade;
use crate::error::ImagingError;
use crate::geometry::{plan_variant, transposes, upright};
use crate::gravity::{Thumbnail, place};
use crate::options::{Colour, Fit, Format, Limits, Variant};
use crate::pixels::{Layout, Pixels};
use crate::resize::Resampler;
use crate::watermark::{Watermark, apply};

/// What every variant of one image shares.
pub(crate) struct Source<'a> {
    /// The decoded image as stored, premultiplied; perhaps smaller than
    /// `full` (shrunk on load).
    pub pixels: &'a Pixels,
    /// The stored size of the image, on which every variant is planned.
    pub full: (u32, u32),
    pub orientation: Orientation,
    /// The smart-crop analysis copy, when some variant needs it.
    pub thumbnail: Option<&'a Thumbnail>,
    pub watermark: Option<&'a Watermark>,
    pub limits: &'a Limits,
}

/// How many pixels `variant` resamples to: the order of making variants,
/// largest first, so that smaller ones can start from larger ones.
pub(crate) fn resampled_pixels(src: &Source<'_>, variant: &Variant) -> u64 {
    let (w, h) = plan_variant(upright(src.full, src.orientation), variant).size;
    u64::from(w) * u64::from(h)
}

/// Makes one variant's finished raster, ready to encode. A larger raster
/// kept in `cascade` may be its source; with `keep`, its own whole-image
/// raster is kept for smaller variants.
pub(crate) fn render(
    src: &Source<'_>,
    variant: &Variant,
    resampler: &mut Resampler,
    cascade: &mut Cascade,
    keep: bool,
) -> Result<Pixels, ImagingError> {
    let orientation = src.orientation;
    let (ow, oh) = upright(src.full, orientation);
    let mut p = plan_variant((ow, oh), variant);
    check_output_size(p.canvas, src.limits)?;
    check_output_size(p.size, src.limits)?;
    if variant.fit == Fit::Cover {
        // A crop at scale 1 keeps whole pixels.
        let exact = (f64::from(p.size.0), f64::from(p.size.1)) == (p.crop.width, p.crop.height);
        p.crop = place(p.crop, (ow, oh), variant.gravity, src.thumbnail, exact);
    }

    let level = cascade.source_for((ow, oh), p.crop, p.size);
    let mut upright = match level {
        Some((level, crop)) => {
            resampler.resize_filtered(level, crop, p.size, crate::cascade::FILTER)?
        }
        None => {
            // A source shrunk on load by s has ceil(side / s) pixels, each
            // standing for s stored ones (the last one partly padding).
            let shrink = f64::from(src.full.0.div_ceil(src.pixels.width().max(1)));
            let crop = p
                .crop
                .to_stored(ow, oh, orientation)
                .scaled(1.0 / shrink, 1.0 / shrink);
            let stored_size = if transposes(orientation) {
                (p.size.1, p.size.0)
            } else {
                p.size
            };
            resampler
                .resize(src.pixels, crop, stored_size)?
                .orient(orientation)
        }
    };
    if keep && Cascade::keeps(p.crop, (ow, oh), p.size) {
        cascade.keep(upright.clone());
    }

    let jpeg = variant.format == Format::Jpeg;
    let has_alpha = upright.layout() == Layout::Rgba;
    let background = variant.background.unwrap_or(if has_alpha && !jpeg {
        Colour::TRANSPARENT
    } else {
        Colour::WHITE
    });
    let (cw, ch) = p.canvas;
    let pads = (cw, ch) != p.size;
    // A see-through background on a PNG or WebP needs an alpha channel.
    if pads && !jpeg && background.0[3] < 255 {
        upright = upright.with_alpha();
    }
    let flat = background.over_white();
    let fill = if jpeg {
        [flat[0], flat[1], flat[2], 255]
    } else {
        background.premultiplied()
    };
    let mut finished = upright.pad(cw, ch, p.offset.0, p.offset.1, fill)?;

    if let Some(placement) = &variant.watermark {
        let mark = src.watermark.ok_or(ImagingError::WatermarkMissing)?;
        apply(&mut finished, mark, placement, resampler)?;
    }
    if jpeg {
        finished.flatten_premultiplied_on(flat);
    } else {
        finished.unpremultiply(resampler.mul_div())?;
    }

    Ok(finished)
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
