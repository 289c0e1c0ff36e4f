//! Smaller variants made from larger ones. Once a variant has resampled the
//! whole image, its upright, premultiplied raster (before padding, watermark
//! and flattening) is a far cheaper source for the smaller variants than the
//! full decode: the standard job's 1024 variant is then a 2x reduction of
//! the 2048 one instead of a 4x reduction of 12 MP.
//!
//! A level is used only when it reduces by at least [`MIN_REDUCTION`] on both
//! axes for the region asked for, so that the second pass works far below
//! the first one's cut-off. That pass uses [`FILTER`], not Lanczos3: two
//! Lanczos3 passes compound their sharpening lobes (on the bench corpus, 5 %
//! more bytes than a direct resize for the same SSIMULACRA2 score).

use fast_image_resize::FilterType;

use crate::geometry::Rect;
use crate::pixels::Pixels;

/// The filter of a pass from a kept level: Catmull-Rom, a cubic with a
/// single negative lobe. On the bench corpus this kept every standard-job
/// output within 2 SSIMULACRA2 points of direct Lanczos3 (Mitchell, softer,
/// lost up to 6).
pub(crate) const FILTER: FilterType = FilterType::CatmullRom;

/// The least reduction, from a kept level to a variant, that uses the level.
pub(crate) const MIN_REDUCTION: f64 = 2.0;

/// Resamples of the whole upright image, largest first.
#[derive(Default)]
pub(crate) struct Cascade {
    levels: Vec<Pixels>,
}

impl Cascade {
    /// Whether a raster of `size` made from the whole upright `ow`x`oh`
    /// image is worth keeping: it must be a reduction, not an enlargement.
    pub(crate) fn keeps(crop: Rect, (ow, oh): (u32, u32), size: (u32, u32)) -> bool {
        crop == Rect::full(ow, oh) && size.0 <= ow && size.1 <= oh && size != (ow, oh)
    }

    pub(crate) fn keep(&mut self, level: Pixels) {
        self.levels.push(level);
    }

    /// The smallest kept level that still reduces `crop` (upright
    /// coordinates of the `ow`x`oh` image) at least [`MIN_REDUCTION`]-fold
    /// to `size`, with `crop` in that level's coordinates.
    pub(crate) fn source_for(
        &self,
        (ow, oh): (u32, u32),
        crop: Rect,
        (w, h): (u32, u32),
    ) -> Option<(&Pixels, Rect)> {
        self.levels
            .iter()
            .rev()
            .map(|level| {
                let sx = f64::from(level.width()) / f64::from(ow);
                let sy = f64::from(level.height()) / f64::from(oh);
                (level, crop.scaled(sx, sy))
            })
            .find(|(_, c)| {
                c.width >= MIN_REDUCTION * f64::from(w) && c.height >= MIN_REDUCTION * f64::from(h)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::Layout;

    #[test]
    fn the_smallest_level_that_still_halves_is_chosen() {
        let mut cascade = Cascade::default();
        cascade.keep(Pixels::filled(2000, 1500, Layout::Rgb, [0; 4]));
        cascade.keep(Pixels::filled(1000, 750, Layout::Rgb, [0; 4]));
        let whole = Rect::full(4000, 3000);
        let pick = |size| {
            cascade
                .source_for((4000, 3000), whole, size)
                .map(|(l, c)| (l.width(), c))
        };
        assert_eq!(pick((500, 375)).map(|p| p.0), Some(1000));
        assert_eq!(pick((600, 450)).map(|p| p.0), Some(2000));
        assert_eq!(pick((1001, 700)), None);
        // A centred square crop maps into the level's coordinates.
        let square = Rect {
            left: 500.0,
            top: 0.0,
            width: 3000.0,
            height: 3000.0,
        };
        let (level, crop) = cascade
            .source_for((4000, 3000), square, (300, 300))
            .expect("a level");
        assert_eq!(level.width(), 1000);
        assert_eq!(
            crop,
            Rect {
                left: 125.0,
                top: 0.0,
                width: 750.0,
                height: 750.0
            }
        );
    }

    #[test]
    fn only_whole_image_reductions_are_kept() {
        let whole = Rect::full(400, 300);
        assert!(Cascade::keeps(whole, (400, 300), (200, 150)));
        assert!(!Cascade::keeps(whole, (400, 300), (400, 300)));
        assert!(!Cascade::keeps(whole, (400, 300), (800, 600)));
        let part = Rect { left: 1.0, ..whole };
        assert!(!Cascade::keeps(part, (400, 300), (200, 150)));
    }
}
