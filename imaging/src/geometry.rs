//! Pure arithmetic of fitting a source into a variant's box (sharp's fit
//! semantics), and of mapping regions between the upright (oriented) image
//! and the image as stored, so that resizing can run before orientation.
//!
//! Rules, for an upright source `w`x`h` and a box `W`x`H`:
//! - `fill`: exactly `W`x`H`, stretched. Without enlargement each side is
//!   clamped to the source's.
//! - `inside`: scale `min(W/w, H/h)`; `outside`: scale `max(W/w, H/h)`; the
//!   output is `round(w*scale)`x`round(h*scale)` (at least 1). Without
//!   enlargement a scale above 1 becomes 1.
//! - `cover`: the largest centred region with the box's aspect ratio is
//!   resized to exactly `W`x`H` in one pass. Without enlargement, when that
//!   would upscale, the region is cropped at scale 1 instead (smaller than
//!   the box, same aspect ratio).
//! - `contain`: as `inside`, then centred on a `W`x`H` canvas. Without
//!   enlargement a small source keeps its size and is still padded to the box.
//! - A box side of 0 is derived from the other side and the source's aspect
//!   ratio; a 0x0 box is the source size.

use image::metadata::Orientation;

use crate::options::{Fit, Variant};

/// A region of an image, in (possibly fractional) pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    /// This region in an image scaled by `sx` and `sy`.
    pub(crate) fn scaled(self, sx: f64, sy: f64) -> Rect {
        Rect {
            left: self.left * sx,
            top: self.top * sy,
            width: self.width * sx,
            height: self.height * sy,
        }
    }

    pub(crate) fn full(w: u32, h: u32) -> Rect {
        Rect {
            left: 0.0,
            top: 0.0,
            width: f64::from(w),
            height: f64::from(h),
        }
    }

    /// Maps a region of the upright image (`ow`x`oh`) onto the image as
    /// stored, which `orientation` turns upright.
    pub(crate) fn to_stored(self, ow: u32, oh: u32, orientation: Orientation) -> Rect {
        let (l, t) = (self.left, self.top);
        let r = f64::from(ow) - self.left - self.width;
        let b = f64::from(oh) - self.top - self.height;
        // Margins of the stored image (left, top, right, bottom): each stored
        // edge becomes some upright edge once the orientation is applied.
        let (sl, st, sr, sb) = match orientation {
            Orientation::NoTransforms => (l, t, r, b),
            Orientation::FlipHorizontal => (r, t, l, b),
            Orientation::FlipVertical => (l, b, r, t),
            Orientation::Rotate180 => (r, b, l, t),
            Orientation::Rotate90 => (t, r, b, l),
            Orientation::Rotate270 => (b, l, t, r),
            Orientation::Rotate90FlipH => (t, l, b, r),
            Orientation::Rotate270FlipH => (b, r, t, l),
        };
        let (sw, sh) = if transposes(orientation) {
            (oh, ow)
        } else {
            (ow, oh)
        };
        Rect {
            left: sl,
            top: st,
            width: f64::from(sw) - sl - sr,
            height: f64::from(sh) - st - sb,
        }
    }
}

/// Whether the orientation swaps width and height.
pub(crate) fn transposes(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// How one variant is made from the upright source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plan {
    /// Region of the upright source to use.
    pub crop: Rect,
    /// Size that region is resized to.
    pub size: (u32, u32),
    /// Size of the final output (larger than `size` only for `contain`).
    pub canvas: (u32, u32),
    /// Position of the resized region on the canvas.
    pub offset: (u32, u32),
}

/// The size of a stored `(w, h)` image once `orientation` turns it upright.
pub(crate) fn upright((w, h): (u32, u32), orientation: Orientation) -> (u32, u32) {
    if transposes(orientation) {
        (h, w)
    } else {
        (w, h)
    }
}

/// [`plan`] for `variant` on an upright image of size `(w, h)`.
pub(crate) fn plan_variant((w, h): (u32, u32), variant: &Variant) -> Plan {
    plan(
        w,
        h,
        variant.width,
        variant.height,
        variant.fit,
        variant.without_enlargement,
    )
}

/// `round(len * num / den)`, at least 1, saturating at `u32::MAX`.
fn scale(len: u32, num: u32, den: u32) -> u32 {
    let den = u128::from(den.max(1));
    let v = (2 * u128::from(len) * u128::from(num) + den) / (2 * den);
    u32::try_from(v).unwrap_or(u32::MAX).max(1)
}

/// Plans a variant with box `bw`x`bh` for an upright source `w`x`h`.
pub(crate) fn plan(w: u32, h: u32, bw: u32, bh: u32, fit: Fit, without_enlargement: bool) -> Plan {
    let (w, h) = (w.max(1), h.max(1));
    let (bw, bh) = match (bw, bh) {
        (0, 0) => (w, h),
        (0, bh) => (scale(w, bh, h), bh),
        (bw, 0) => (bw, scale(h, bw, w)),
        sides => sides,
    };
    let full = Rect::full(w, h);
    let simple = |size: (u32, u32)| Plan {
        crop: full,
        size,
        canvas: size,
        offset: (0, 0),
    };
    // Whether W/w <= H/h, in exact integer arithmetic.
    let width_tighter = u64::from(bw) * u64::from(h) <= u64::from(bh) * u64::from(w);
    let by_width = (bw, scale(h, bw, w), bw > w);
    let by_height = (scale(w, bh, h), bh, bh > h);
    match fit {
        Fit::Fill if without_enlargement => simple((bw.min(w), bh.min(h))),
        Fit::Fill => simple((bw, bh)),
        Fit::Inside | Fit::Contain | Fit::Outside => {
            let inner = matches!(fit, Fit::Inside | Fit::Contain);
            let (tw, th, enlarges) = if width_tighter == inner {
                by_width
            } else {
                by_height
            };
            let size = if without_enlargement && enlarges {
                (w, h)
            } else {
                (tw, th)
            };
            if fit == Fit::Contain {
                Plan {
                    crop: full,
                    size,
                    canvas: (bw, bh),
                    offset: (bw.saturating_sub(size.0) / 2, bh.saturating_sub(size.1) / 2),
                }
            } else {
                simple(size)
            }
        }
        Fit::Cover => {
            // Largest region with the box's aspect ratio; the looser side of
            // the box limits the scale, the other side gets cropped.
            let (region, enlarges) = if width_tighter {
                (
                    (f64::from(bw) * f64::from(h) / f64::from(bh), f64::from(h)),
                    bh > h,
                )
            } else {
                (
                    (f64::from(w), f64::from(bh) * f64::from(w) / f64::from(bw)),
                    bw > w,
                )
            };
            if without_enlargement && enlarges {
                // Crop at scale 1: whole pixels, no resampling.
                let size = if width_tighter {
                    (scale(h, bw, bh), h)
                } else {
                    (w, scale(w, bh, bw))
                };
                let crop = Rect {
                    left: f64::from((w - size.0.min(w)) / 2),
                    top: f64::from((h - size.1.min(h)) / 2),
                    width: f64::from(size.0.min(w)),
                    height: f64::from(size.1.min(h)),
                };
                Plan {
                    crop,
                    size: (size.0.min(w), size.1.min(h)),
                    canvas: (size.0.min(w), size.1.min(h)),
                    offset: (0, 0),
                }
            } else {
                let crop = Rect {
                    left: (f64::from(w) - region.0) / 2.0,
                    top: (f64::from(h) - region.1) / 2.0,
                    width: region.0,
                    height: region.1,
                };
                Plan {
                    crop,
                    size: (bw, bh),
                    canvas: (bw, bh),
                    offset: (0, 0),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::{Layout, Pixels};

    fn dims(w: u32, h: u32, bw: u32, bh: u32, fit: Fit, we: bool) -> ((u32, u32), (u32, u32)) {
        let p = plan(w, h, bw, bh, fit, we);
        (p.size, p.canvas)
    }

    #[test]
    fn inside() {
        let f = Fit::Inside;
        assert_eq!(
            dims(4000, 3000, 1024, 1024, f, true),
            ((1024, 768), (1024, 768))
        );
        assert_eq!(
            dims(3000, 4000, 1024, 1024, f, true),
            ((768, 1024), (768, 1024))
        );
        assert_eq!(
            dims(800, 600, 1024, 1024, f, true),
            ((800, 600), (800, 600))
        );
        assert_eq!(
            dims(800, 600, 1024, 1024, f, false),
            ((1024, 768), (1024, 768))
        );
        assert_eq!(dims(2000, 1, 100, 100, f, true), ((100, 1), (100, 1)));
        assert_eq!(
            dims(1001, 1000, 100, 100, f, true),
            ((100, 100), (100, 100))
        );
    }

    #[test]
    fn outside() {
        let f = Fit::Outside;
        assert_eq!(
            dims(4000, 3000, 300, 300, f, true),
            ((400, 300), (400, 300))
        );
        assert_eq!(
            dims(3000, 4000, 300, 300, f, true),
            ((300, 400), (300, 400))
        );
        assert_eq!(dims(200, 100, 300, 300, f, true), ((200, 100), (200, 100)));
        assert_eq!(dims(200, 100, 300, 300, f, false), ((600, 300), (600, 300)));
    }

    #[test]
    fn fill() {
        let f = Fit::Fill;
        assert_eq!(
            dims(4000, 3000, 300, 500, f, true),
            ((300, 500), (300, 500))
        );
        assert_eq!(dims(200, 1000, 300, 500, f, true), ((200, 500), (200, 500)));
        assert_eq!(dims(200, 100, 300, 500, f, false), ((300, 500), (300, 500)));
    }

    #[test]
    fn contain() {
        let f = Fit::Contain;
        let p = plan(4000, 3000, 300, 300, f, true);
        assert_eq!(
            (p.size, p.canvas, p.offset),
            ((300, 225), (300, 300), (0, 37))
        );
        let p = plan(3000, 4000, 300, 300, f, true);
        assert_eq!(
            (p.size, p.canvas, p.offset),
            ((225, 300), (300, 300), (37, 0))
        );
        let p = plan(100, 50, 300, 300, f, true);
        assert_eq!(
            (p.size, p.canvas, p.offset),
            ((100, 50), (300, 300), (100, 125))
        );
        let p = plan(100, 50, 300, 300, f, false);
        assert_eq!(
            (p.size, p.canvas, p.offset),
            ((300, 150), (300, 300), (0, 75))
        );
    }

    #[test]
    fn cover() {
        let f = Fit::Cover;
        let p = plan(4000, 3000, 300, 300, f, true);
        assert_eq!((p.size, p.canvas), ((300, 300), (300, 300)));
        assert_eq!(
            p.crop,
            Rect {
                left: 500.0,
                top: 0.0,
                width: 3000.0,
                height: 3000.0
            }
        );
        let p = plan(3000, 4000, 300, 300, f, true);
        assert_eq!(
            p.crop,
            Rect {
                left: 0.0,
                top: 500.0,
                width: 3000.0,
                height: 3000.0
            }
        );
        assert_eq!(dims(300, 300, 300, 300, f, true), ((300, 300), (300, 300)));
        // Small source: a box-aspect crop at scale 1.
        let p = plan(400, 200, 300, 300, f, true);
        assert_eq!((p.size, p.canvas), ((200, 200), (200, 200)));
        assert_eq!(
            p.crop,
            Rect {
                left: 100.0,
                top: 0.0,
                width: 200.0,
                height: 200.0
            }
        );
        let p = plan(100, 400, 300, 200, f, true);
        assert_eq!((p.size, p.canvas), ((100, 67), (100, 67)));
        assert_eq!(dims(400, 200, 300, 300, f, false), ((300, 300), (300, 300)));
        assert_eq!(dims(3000, 200, 600, 300, f, true), ((400, 200), (400, 200)));
    }

    #[test]
    fn zero_box_sides_follow_the_aspect_ratio() {
        assert_eq!(dims(4000, 3000, 400, 0, Fit::Inside, true).0, (400, 300));
        assert_eq!(dims(4000, 3000, 0, 300, Fit::Cover, true).0, (400, 300));
        assert_eq!(dims(40, 30, 0, 0, Fit::Fill, true).0, (40, 30));
    }

    fn numbered(w: u32, h: u32) -> Pixels {
        let data = (0..w * h)
            .flat_map(|i| [(i % 251) as u8, (i / 251) as u8, 0])
            .collect();
        Pixels::from_vec(w, h, Layout::Rgb, data).expect("valid")
    }

    fn crop(p: &Pixels, r: Rect) -> Vec<u8> {
        let row = p.width() as usize * 3;
        let (l, t) = (r.left as usize, r.top as usize);
        let mut out = Vec::new();
        for y in t..t + r.height as usize {
            out.extend_from_slice(&p.data()[y * row + l * 3..y * row + (l + r.width as usize) * 3]);
        }
        out
    }

    #[test]
    fn regions_map_back_to_the_stored_image() {
        let (sw, sh) = (7, 5);
        for exif in 1..=8 {
            let o = Orientation::from_exif(exif).expect("valid exif orientation");
            let upright = numbered(sw, sh).orient(o);
            let (ow, oh) = (upright.width(), upright.height());
            let region = Rect {
                left: 1.0,
                top: 2.0,
                width: 3.0,
                height: 2.0,
            };
            let expected = crop(&upright, region);
            let stored = region.to_stored(ow, oh, o);
            let cut = crop(&numbered(sw, sh), stored);
            let (cw, ch) = (stored.width as u32, stored.height as u32);
            let got = Pixels::from_vec(cw, ch, Layout::Rgb, cut)
                .expect("valid")
                .orient(o);
            assert_eq!(got.data(), &expected[..], "orientation {exif}");
        }
    }
}
