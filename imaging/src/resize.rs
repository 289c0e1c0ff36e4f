//! Cropping and resampling with fast_image_resize (Lanczos3 convolution,
//! SIMD; large reductions are box-filtered first). One [`Resampler`] is
//! reused for every variant of an image so its scratch buffers are
//! allocated once.
//!
//! Sources with alpha arrive already premultiplied (see `pixels`), so the
//! resizer is told not to premultiply again: that would copy the whole
//! source once per variant.

use fast_image_resize::{FilterType, MulDiv, ResizeAlg, ResizeOptions, Resizer};

use crate::error::ImagingError;
use crate::geometry::Rect;
use crate::pixels::{Layout, Pixels};

/// Reductions by more than this factor (on both axes) go in two steps.
const PRESHRINK_ABOVE: f64 = 3.0;
/// The first, box-filtered step stops at this multiple of the target size.
const PRESHRINK_TO: u32 = 2;

/// Resizer state shared by the variants of one image.
#[derive(Default)]
pub(crate) struct Resampler {
    resizer: Resizer,
    mul_div: MulDiv,
    /// Buffer of the intermediate raster of two-step reductions.
    scratch: Vec<u8>,
}

fn raster(w: u32, h: u32, layout: Layout, mut buffer: Vec<u8>) -> Result<Pixels, ImagingError> {
    let len = (w as usize)
        .checked_mul(h as usize)
        .and_then(|n| n.checked_mul(layout.channels()))
        .ok_or_else(|| ImagingError::LimitExceeded(format!("output {w}x{h} is too large")))?;
    buffer.resize(len, 0);
    Pixels::from_vec(w, h, layout, buffer)
}

impl Resampler {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The alpha (un)premultiplier, with the same CPU extensions as the resizer.
    pub(crate) fn mul_div(&self) -> &MulDiv {
        &self.mul_div
    }

    /// Resamples region `crop` of `src` to exactly `size`.
    ///
    /// The region may have fractional edges; it is clamped to the source.
    /// Lanczos3 does the work, in one pass from the source region, except for
    /// reductions by more than 3x: those are first box-filtered (area
    /// averaging, far cheaper per source pixel) to twice the target size,
    /// like libvips' shrink-then-reduce.
    pub(crate) fn resize(
        &mut self,
        src: &Pixels,
        crop: Rect,
        size: (u32, u32),
    ) -> Result<Pixels, ImagingError> {
        self.resize_filtered(src, crop, size, FilterType::Lanczos3)
    }

    /// [`Resampler::resize`] with `filter` in place of Lanczos3 (after any
    /// box pre-shrink).
    pub(crate) fn resize_filtered(
        &mut self,
        src: &Pixels,
        crop: Rect,
        size: (u32, u32),
        filter: FilterType,
    ) -> Result<Pixels, ImagingError> {
        let (sw, sh) = (f64::from(src.width()), f64::from(src.height()));
        let left = crop.left.clamp(0.0, sw - 1.0);
        let top = crop.top.clamp(0.0, sh - 1.0);
        let crop = Rect {
            left,
            top,
            width: crop.width.clamp(1.0, sw - left),
            height: crop.height.clamp(1.0, sh - top),
        };
        let (w, h) = size;
        let mut dst = raster(w, h, src.layout(), Vec::new())?;

        let reduction = (crop.width / f64::from(w)).min(crop.height / f64::from(h));
        let mid_size = w.checked_mul(PRESHRINK_TO).zip(h.checked_mul(PRESHRINK_TO));
        match mid_size {
            Some((mw, mh)) if reduction > PRESHRINK_ABOVE => {
                let scratch = std::mem::take(&mut self.scratch);
                let mut mid = raster(mw, mh, src.layout(), scratch)?;
                self.pass(src, &mut mid, crop, FilterType::Box)?;
                let whole = Rect {
                    left: 0.0,
                    top: 0.0,
                    width: f64::from(mw),
                    height: f64::from(mh),
                };
                self.pass(&mid, &mut dst, whole, filter)?;
                self.scratch = mid.into_vec();
            }
            _ => self.pass(src, &mut dst, crop, filter)?,
        }
        Ok(dst)
    }

    /// One convolution of region `crop` of `src` into the whole of `dst`.
    fn pass(
        &mut self,
        src: &Pixels,
        dst: &mut Pixels,
        crop: Rect,
        filter: FilterType,
    ) -> Result<(), ImagingError> {
        let options = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(filter))
            .crop(crop.left, crop.top, crop.width, crop.height)
            // Alpha is premultiplied once per source, not once per pass.
            .use_alpha(false);
        let view = src.view()?;
        let mut out = dst.view_mut()?;
        self.resizer
            .resize(&view, &mut out, &options)
            .map_err(|e| ImagingError::Encode(format!("resize failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_colour_stays_flat_and_crops_copy_exactly() {
        let src = Pixels::filled(64, 48, Layout::Rgb, [10, 200, 30, 0]);
        let mut r = Resampler::new();
        let full = Rect {
            left: 0.0,
            top: 0.0,
            width: 64.0,
            height: 48.0,
        };
        let out = r.resize(&src, full, (13, 7)).expect("resize");
        assert_eq!((out.width(), out.height()), (13, 7));
        assert!(out.data().chunks_exact(3).all(|p| p == [10, 200, 30]));

        let data: Vec<u8> = (0..4 * 4 * 3).map(|i| i as u8).collect();
        let src = Pixels::from_vec(4, 4, Layout::Rgb, data).expect("valid");
        let region = Rect {
            left: 1.0,
            top: 2.0,
            width: 2.0,
            height: 2.0,
        };
        let out = r.resize(&src, region, (2, 2)).expect("resize");
        assert_eq!(
            out.data(),
            &[27, 28, 29, 30, 31, 32, 39, 40, 41, 42, 43, 44]
        );
    }

    #[test]
    fn large_reductions_keep_edges_in_place() {
        // 120x60, black left half, white right half, reduced 12x (two steps).
        let data = (0..120 * 60)
            .flat_map(|i| if i % 120 < 60 { [0; 3] } else { [255; 3] })
            .collect();
        let src = Pixels::from_vec(120, 60, Layout::Rgb, data).expect("valid");
        let mut r = Resampler::new();
        let whole = Rect {
            left: 0.0,
            top: 0.0,
            width: 120.0,
            height: 60.0,
        };
        for _ in 0..2 {
            let out = r.resize(&src, whole, (10, 5)).expect("resize");
            for row in out.data().chunks_exact(30) {
                assert!(row[..12].iter().all(|&c| c < 3), "{row:?}");
                assert!(row[18..].iter().all(|&c| c > 252), "{row:?}");
            }
        }
    }
}
