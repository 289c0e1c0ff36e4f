//! Shrink-on-load: when every variant is a large enough reduction, a lossy
//! JPEG is decoded straight at 1/2, 1/4 or 1/8 of its size (libjpeg's DCT
//! scaling, see `jpeg`), which skips most of the inverse DCT, the colour
//! conversion and the resizing work of the full-size pixels.
//!
//! The rule is sharp's default (`fastShrinkOnLoad`): shrink on load by `s`
//! only if no variant then needs enlarging, that is every variant still
//! reduces the decoded region by at least 1 afterwards. libvips' own
//! `thumbnail` keeps a factor of 2 for the final resampling; at 1/8 the DCT
//! scaling is an exact 8x8 block mean, so the Lanczos3 pass that follows
//! still shapes the result, and the seed thumbnail of a 12 MP photo decodes at
//! 1/8 instead of 1/4, costing little more than libjpeg's own 1/8 decode.
//! Variants are still planned on the full-size image (see `render`), so
//! output sizes never depend on the shrink.

use image::metadata::Orientation;

use crate::geometry::{plan_variant, upright};
use crate::options::Variant;

/// Reduction left to the resizer after shrinking on load, at least.
const LEFT_TO_RESIZE: f64 = 1.0;

/// The largest DCT shrink (1, 2, 4 or 8) that leaves every variant of the
/// stored `full`-size image, turned upright by `orientation`, a reduction
/// of at least [`LEFT_TO_RESIZE`].
pub(crate) fn allowed(full: (u32, u32), orientation: Orientation, variants: &[Variant]) -> u32 {
    let size = upright(full, orientation);
    let least = variants
        .iter()
        .map(|v| {
            let p = plan_variant(size, v);
            let rx = p.crop.width / f64::from(p.size.0.max(1));
            let ry = p.crop.height / f64::from(p.size.1.max(1));
            rx.min(ry)
        })
        .fold(f64::INFINITY, f64::min);
    [8, 4, 2]
        .into_iter()
        .find(|&s| least >= LEFT_TO_RESIZE * f64::from(s))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{Fit, Format};

    fn v(w: u32, h: u32, fit: Fit) -> Variant {
        Variant::new(w, h, fit, Format::Jpeg)
    }

    #[test]
    fn no_variant_is_left_to_enlarge() {
        let none = Orientation::NoTransforms;
        let full = (4032, 3024);
        // 300x300 cover: 3024/300 = 10.1, so 1/8 (1.26x left).
        assert_eq!(allowed(full, none, &[v(300, 300, Fit::Cover)]), 8);
        assert_eq!(allowed(full, none, &[v(300, 300, Fit::Fill)]), 8);
        assert_eq!(allowed(full, none, &[v(400, 400, Fit::Cover)]), 4);
        assert_eq!(allowed(full, none, &[v(1500, 1500, Fit::Inside)]), 2);
        // The 2048 variant of the standard job rules out any shrink.
        let standard = [v(300, 300, Fit::Cover), v(2048, 2048, Fit::Inside)];
        assert_eq!(allowed(full, none, &standard), 1);
        // Orientation decides which side a non-square box constrains.
        let tall = [v(1000, 500, Fit::Inside)];
        assert_eq!(allowed((4000, 1000), none, &tall), 4);
        assert_eq!(allowed((4000, 1000), Orientation::Rotate90, &tall), 8);
        assert_eq!(allowed(full, none, &[]), 8);
    }
}
