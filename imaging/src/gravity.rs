//! Where `cover` crops: the compass gravities place the crop window against
//! an edge or corner; the smart gravities score a small upright copy of the
//! source and slide the window over it.
//!
//! - `entropy`: the window whose luminance histogram (64 bins) has the
//!   highest Shannon entropy, i.e. the most detail.
//! - `attention`: a cheap saliency map, the weighted sum of skin tone
//!   (a YCbCr box), saturation and edge strength (a luminance Laplacian);
//!   the window with the largest total wins.
//!
//! The analysis copy is at most [`MAP_SIDE`] pixels a side, block-sampled
//! straight from the stored source (no resampling pass over all of it), then
//! oriented upright. Ties go to the window nearest the centre, so a flat
//! image keeps the centred crop.

use image::metadata::Orientation;

use crate::geometry::Rect;
use crate::options::Gravity;
use crate::pixels::{Layout, Pixels};

/// Longest side of the analysis copy.
const MAP_SIDE: u32 = 128;
/// Samples per axis averaged into one analysis pixel.
const TAPS: u32 = 4;
/// Candidate windows tried per axis, at most.
const MAX_STEPS: usize = 128;

/// A small upright RGB copy of the source, and its size relative to the upright source.
pub(crate) struct Thumbnail {
    rgb: Pixels,
    /// Upright source pixels per thumbnail pixel, on each axis.
    scale: (f64, f64),
}

impl Thumbnail {
    /// Samples `source` (as stored, colours premultiplied if it has alpha;
    /// perhaps decoded smaller than the image's stored size `full`) into a
    /// copy of at most [`MAP_SIDE`] a side, then orients it upright.
    pub(crate) fn new(source: &Pixels, orientation: Orientation, full: (u32, u32)) -> Thumbnail {
        let (sw, sh) = (source.width().max(1), source.height().max(1));
        let long = sw.max(sh);
        let (tw, th) = if long <= MAP_SIDE {
            (sw, sh)
        } else {
            let t = |side: u32| ((u64::from(side) * u64::from(MAP_SIDE)) / u64::from(long)) as u32;
            (t(sw).max(1), t(sh).max(1))
        };
        let n = source.layout().channels();
        let data = source.data();
        let row = sw as usize * n;
        let mut out = Vec::with_capacity(tw as usize * th as usize * 3);
        for ty in 0..th {
            for tx in 0..tw {
                let mut sum = [0u32; 3];
                for j in 0..TAPS {
                    let y = tap(ty, j, th, sh);
                    for i in 0..TAPS {
                        let x = tap(tx, i, tw, sw);
                        let at = y as usize * row + x as usize * n;
                        for (c, s) in sum.iter_mut().enumerate() {
                            *s += u32::from(data[at + c]);
                        }
                    }
                }
                out.extend(sum.map(|s| (s / (TAPS * TAPS)) as u8));
            }
        }
        let rgb = Pixels::from_vec(tw, th, Layout::Rgb, out)
            .unwrap_or_else(|_| Pixels::filled(1, 1, Layout::Rgb, [0; 4]))
            .orient(orientation);
        let (ow, oh) = crate::geometry::upright(full, orientation);
        let scale = (
            f64::from(ow) / f64::from(rgb.width()),
            f64::from(oh) / f64::from(rgb.height()),
        );
        Thumbnail { rgb, scale }
    }
}

/// The `i`-th of [`TAPS`] sample positions inside cell `cell` of `cells`
/// over a side of `len` pixels.
fn tap(cell: u32, i: u32, cells: u32, len: u32) -> u32 {
    let num = u64::from(cell) * u64::from(TAPS) + u64::from(i);
    let pos = (2 * num + 1) * u64::from(len) / (2 * u64::from(cells) * u64::from(TAPS));
    (pos as u32).min(len - 1)
}

/// A per-pixel score over the thumbnail.
struct Map {
    width: usize,
    height: usize,
    values: Vec<f32>,
}

fn luma(p: &[u8]) -> f32 {
    0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2])
}

/// Luminance bins 0..64 for the entropy crop.
fn luma_bins(t: &Thumbnail) -> Map {
    let values = t
        .rgb
        .data()
        .chunks_exact(3)
        .map(|p| (luma(p) / 4.0).floor().min(63.0))
        .collect();
    Map {
        width: t.rgb.width() as usize,
        height: t.rgb.height() as usize,
        values,
    }
}

/// The attention map: skin tones, saturation and edges, each in 0..=1.
fn saliency(t: &Thumbnail) -> Map {
    let (w, h) = (t.rgb.width() as usize, t.rgb.height() as usize);
    let px = t.rgb.data();
    let lum: Vec<f32> = px.chunks_exact(3).map(luma).collect();
    let mut values = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let p = &px[(y * w + x) * 3..][..3];
            let (r, g, b) = (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
            let y_ = lum[y * w + x];
            let cb = 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
            let cr = 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
            let skin = (y_ > 60.0 && (77.0..=127.0).contains(&cb) && (133.0..=173.0).contains(&cr))
                as u8 as f32;
            let max = r.max(g).max(b);
            let min = r.min(g).min(b);
            let saturation = if max > 0.0 { (max - min) / max } else { 0.0 } * (max / 255.0);
            let at = |xx: usize, yy: usize| lum[yy * w + xx];
            let edge = (4.0 * y_
                - at(x.saturating_sub(1), y)
                - at((x + 1).min(w - 1), y)
                - at(x, y.saturating_sub(1))
                - at(x, (y + 1).min(h - 1)))
            .abs()
                / 255.0;
            values.push(1.0 * skin + 0.6 * saturation + 0.4 * edge.min(1.0));
        }
    }
    Map {
        width: w,
        height: h,
        values,
    }
}

/// Shannon entropy (bits) of the bin values in a window.
fn window_entropy(map: &Map, x0: usize, y0: usize, ww: usize, wh: usize) -> f64 {
    let mut hist = [0u32; 64];
    for y in y0..y0 + wh {
        for &v in &map.values[y * map.width + x0..y * map.width + x0 + ww] {
            hist[v as usize] += 1;
        }
    }
    let total = (ww * wh) as f64;
    hist.iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / total;
            -p * p.log2()
        })
        .sum()
}

fn window_sum(map: &Map, x0: usize, y0: usize, ww: usize, wh: usize) -> f64 {
    (y0..y0 + wh)
        .map(|y| {
            map.values[y * map.width + x0..y * map.width + x0 + ww]
                .iter()
                .map(|&v| f64::from(v))
                .sum::<f64>()
        })
        .sum()
}

/// Candidate offsets 0..=slack, at most [`MAX_STEPS`] of them, always with both ends.
fn offsets(slack: usize) -> Vec<usize> {
    let steps = slack.clamp(1, MAX_STEPS);
    let mut v: Vec<usize> = (0..=steps).map(|i| i * slack / steps).collect();
    v.dedup();
    v
}

/// Moves `crop` (a region of the upright `w`x`h` source, sized by the fit)
/// to where `gravity` wants it. `whole_pixels` keeps the edges integral.
pub(crate) fn place(
    crop: Rect,
    (w, h): (u32, u32),
    gravity: Gravity,
    thumbnail: Option<&Thumbnail>,
    whole_pixels: bool,
) -> Rect {
    let slack = (
        (f64::from(w) - crop.width).max(0.0),
        (f64::from(h) - crop.height).max(0.0),
    );
    let (fx, fy) = match (gravity.anchor(), thumbnail) {
        (Some(anchor), _) => anchor,
        (None, Some(t)) => smart(t, crop, gravity),
        (None, None) => (0.5, 0.5),
    };
    let (mut left, mut top) = (slack.0 * fx, slack.1 * fy);
    if whole_pixels {
        (left, top) = (left.floor(), top.floor());
    }
    Rect { left, top, ..crop }
}

/// The best window position for a smart gravity, as fractions of the slack.
fn smart(t: &Thumbnail, crop: Rect, gravity: Gravity) -> (f64, f64) {
    let map = if gravity == Gravity::Entropy {
        luma_bins(t)
    } else {
        saliency(t)
    };
    let ww = ((crop.width / t.scale.0).round() as usize).clamp(1, map.width);
    let wh = ((crop.height / t.scale.1).round() as usize).clamp(1, map.height);
    let (sx, sy) = (map.width - ww, map.height - wh);
    let mut best = (f64::NEG_INFINITY, f64::INFINITY, 0.5, 0.5);
    for &y in &offsets(sy) {
        for &x in &offsets(sx) {
            let score = if gravity == Gravity::Entropy {
                window_entropy(&map, x, y, ww, wh)
            } else {
                window_sum(&map, x, y, ww, wh) / (ww * wh) as f64
            };
            let frac = |p: usize, s: usize| if s == 0 { 0.5 } else { p as f64 / s as f64 };
            let (fx, fy) = (frac(x, sx), frac(y, sy));
            let off_centre = (fx - 0.5).abs() + (fy - 0.5).abs();
            let better =
                score > best.0 + 1e-6 || ((score - best.0).abs() <= 1e-6 && off_centre < best.1);
            if better {
                best = (score, off_centre, fx, fy);
            }
        }
    }
    (best.2, best.3)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(width: f64, height: f64) -> Rect {
        Rect {
            left: 0.0,
            top: 0.0,
            width,
            height,
        }
    }

    #[test]
    fn compass_points_push_against_edges() {
        let r = rect(100.0, 50.0);
        let at = |g| {
            let p = place(r, (300, 150), g, None, true);
            (p.left, p.top)
        };
        assert_eq!(at(Gravity::Centre), (100.0, 50.0));
        assert_eq!(at(Gravity::Northwest), (0.0, 0.0));
        assert_eq!(at(Gravity::East), (200.0, 50.0));
        assert_eq!(at(Gravity::South), (100.0, 100.0));
        assert_eq!(at(Gravity::Southwest), (0.0, 100.0));
    }

    #[test]
    fn entropy_finds_the_noisy_side_and_flat_images_stay_centred() {
        // 400x100: flat grey left, noise on the right quarter.
        let mut seed = 7u32;
        let data = (0..400 * 100)
            .flat_map(|i| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let v = if i % 400 >= 300 {
                    (seed >> 24) as u8
                } else {
                    128
                };
                [v, v, v]
            })
            .collect();
        let src = Pixels::from_vec(400, 100, Layout::Rgb, data).expect("valid");
        let t = Thumbnail::new(&src, Orientation::NoTransforms, (src.width(), src.height()));
        let p = place(
            rect(100.0, 100.0),
            (400, 100),
            Gravity::Entropy,
            Some(&t),
            true,
        );
        assert!(p.left >= 290.0, "{p:?}");

        let flat = Pixels::filled(400, 100, Layout::Rgb, [9, 9, 9, 0]);
        let t = Thumbnail::new(
            &flat,
            Orientation::NoTransforms,
            (flat.width(), flat.height()),
        );
        let p = place(
            rect(100.0, 100.0),
            (400, 100),
            Gravity::Attention,
            Some(&t),
            true,
        );
        assert_eq!(p.left, 150.0);
    }
}
