//! Placeholders a client paints while a variant loads, computed from the
//! finished pixels of the job's smallest variant that shows the whole
//! picture ([`pick`]), so that the placeholder has the results' aspect ratio:
//!
//! - ThumbHash (Evan Wallace's format, `thumbhash` crate): about 25 bytes,
//!   keeps the aspect ratio and transparency; sent as standard base64.
//! - BlurHash (Wolt's format, `blurhash` crate) with
//!   [`BLURHASH_COMPONENTS`] cosine components.
//! - The dominant colour: the most common colour of a 4-bit-per-channel
//!   histogram weighted by opacity, as the mean of the pixels in that bin.
//!
//! Both hashes read at most a 100x100 copy of the variant (ThumbHash's own
//! limit), made by averaging boxes of pixels.

use base64::Engine;

use crate::options::{Fit, Variant};
use crate::pixels::Pixels;

/// BlurHash's components across and down (the format allows 1..=9 each).
pub const BLURHASH_COMPONENTS: (u32, u32) = (4, 3);
/// Longest side of the copy the hashes are computed from.
const HASH_SIDE: u32 = 100;

/// What a client paints before the image arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// ThumbHash bytes, standard base64 with padding.
    pub thumbhash: String,
    /// BlurHash string with [`BLURHASH_COMPONENTS`] components.
    pub blurhash: String,
    /// `#rrggbb`.
    pub dominant_color: String,
}

/// The raster a placeholder is made from: the smallest of the variants that
/// show the whole picture at its aspect ratio (`inside`, `outside`), or the
/// smallest of all when every variant crops (`cover`), pads (`contain`) or
/// stretches (`fill`).
pub(crate) fn pick<'a>(finished: &'a [Pixels], variants: &[Variant]) -> Option<&'a Pixels> {
    let area = |p: &&Pixels| u64::from(p.width()) * u64::from(p.height());
    let whole = |v: &Variant| matches!(v.fit, Fit::Inside | Fit::Outside);
    finished
        .iter()
        .zip(variants)
        .filter(|(_, v)| whole(v))
        .map(|(p, _)| p)
        .min_by_key(area)
        .or_else(|| finished.iter().min_by_key(area))
}

/// The placeholder of `pixels` (straight alpha), or `None` for an empty raster.
pub(crate) fn compute(pixels: &Pixels) -> Option<Placeholder> {
    let (width, height) = (pixels.width(), pixels.height());
    if width == 0 || height == 0 {
        return None;
    }
    let (w, h, small) = shrink(pixels);
    let thumbhash = thumbhash::rgba_to_thumb_hash(w as usize, h as usize, &small);
    let (x, y) = BLURHASH_COMPONENTS;
    let blurhash = blurhash::encode(x, y, w, h, &small).ok()?;
    Some(Placeholder {
        thumbhash: base64::engine::general_purpose::STANDARD.encode(thumbhash),
        blurhash,
        dominant_color: dominant(&small),
    })
}

/// An RGBA8 copy at most [`HASH_SIDE`] a side, each pixel the mean of its
/// box (colour weighted by alpha, so clear pixels lend no colour), read
/// straight from the raster (no full-size copy).
fn shrink(pixels: &Pixels) -> (u32, u32, Vec<u8>) {
    let (width, height) = (pixels.width(), pixels.height());
    let channels = pixels.layout().channels();
    let data = pixels.data();
    let scale = (f64::from(width.max(height)) / f64::from(HASH_SIDE)).max(1.0);
    let side = |s: u32| ((f64::from(s) / scale).round() as u32).max(1);
    let (w, h) = (side(width), side(height));
    let span = |i: u32, n: u32, of: u32| {
        let start = (u64::from(i) * u64::from(of) / u64::from(n)) as u32;
        let end = (u64::from(i + 1) * u64::from(of) / u64::from(n)) as u32;
        start..end.max(start + 1).min(of)
    };
    let mut out = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        let rows = span(y, h, height);
        for x in 0..w {
            let cols = span(x, w, width);
            let mut sum = [0u64; 4];
            let mut count = 0u64;
            for sy in rows.clone() {
                for sx in cols.clone() {
                    let at = ((sy as usize) * (width as usize) + sx as usize) * channels;
                    let a = if channels == 4 {
                        u64::from(data[at + 3])
                    } else {
                        255
                    };
                    for c in 0..3 {
                        sum[c] += u64::from(data[at + c]) * a;
                    }
                    sum[3] += a;
                    count += 1;
                }
            }
            let alpha = sum[3];
            for c in sum.iter().take(3) {
                out.push(c.checked_div(alpha).map_or(0, |v| v as u8));
            }
            out.push((alpha / count.max(1)) as u8);
        }
    }
    (w, h, out)
}

/// The mean colour of the most common 4-bit-per-channel bin, by opacity.
fn dominant(rgba: &[u8]) -> String {
    let mut bins = vec![[0u64; 4]; 4096];
    for p in rgba.chunks_exact(4) {
        let bin =
            (usize::from(p[0] >> 4) << 8) | (usize::from(p[1] >> 4) << 4) | usize::from(p[2] >> 4);
        let a = u64::from(p[3]);
        for c in 0..3 {
            bins[bin][c] += u64::from(p[c]) * a;
        }
        bins[bin][3] += a;
    }
    let best = bins
        .iter()
        .max_by_key(|b| b[3])
        .copied()
        .unwrap_or_default();
    let mean = |c: usize| best[c].checked_div(best[3]).unwrap_or(0);
    format!("#{:02x}{:02x}{:02x}", mean(0), mean(1), mean(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pixels::Layout;

    #[test]
    fn a_flat_image_gives_its_colour_everywhere() {
        let px = Pixels::filled(640, 480, Layout::Rgb, [200, 40, 90, 0]);
        let p = compute(&px).expect("placeholder");
        assert_eq!(p.dominant_color, "#c8285a");
        assert_eq!(p.blurhash.len(), 4 + 2 * 4 * 3);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&p.thumbhash)
            .expect("base64");
        let (r, g, b, a) = thumbhash::thumb_hash_to_average_rgba(&bytes).expect("decodes");
        for (got, want) in [(r, 200.0), (g, 40.0), (b, 90.0), (a, 255.0)] {
            assert!((got * 255.0 - want).abs() < 6.0, "{got} vs {want}");
        }
        let ratio = thumbhash::thumb_hash_to_approximate_aspect_ratio(&bytes).expect("ratio");
        assert!((ratio - 4.0 / 3.0).abs() < 0.1, "{ratio}");
    }

    #[test]
    fn clear_pixels_lend_no_colour() {
        let mut px = Pixels::filled(10, 10, Layout::Rgba, [0, 0, 255, 0]);
        for p in px.data_mut().chunks_exact_mut(4).take(30) {
            p.copy_from_slice(&[255, 0, 0, 255]);
        }
        assert_eq!(compute(&px).expect("placeholder").dominant_color, "#ff0000");
    }

    #[test]
    fn the_smallest_whole_picture_is_picked_before_smaller_crops() {
        let v = |fit| Variant::new(1, 1, fit, crate::options::Format::Png);
        let rasters = [
            Pixels::filled(300, 300, Layout::Rgb, [0; 4]),
            Pixels::filled(1024, 768, Layout::Rgb, [0; 4]),
            Pixels::filled(2048, 1536, Layout::Rgb, [0; 4]),
        ];
        let size = |p: Option<&Pixels>| p.map(|p| (p.width(), p.height()));
        let standard = [v(Fit::Cover), v(Fit::Inside), v(Fit::Inside)];
        assert_eq!(size(pick(&rasters, &standard)), Some((1024, 768)));
        let crops = [v(Fit::Cover), v(Fit::Contain), v(Fit::Cover)];
        assert_eq!(size(pick(&rasters, &crops)), Some((300, 300)));
        assert_eq!(size(pick(&[], &[])), None);
    }

    #[test]
    fn shrinking_averages_boxes() {
        let rgba: Vec<u8> = (0..400 * 200)
            .flat_map(|i| {
                if i % 2 == 0 {
                    [0, 0, 0, 255]
                } else {
                    [200, 200, 200, 255]
                }
            })
            .collect();
        let px = Pixels::from_vec(400, 200, Layout::Rgba, rgba).expect("raster");
        let (w, h, small) = shrink(&px);
        assert_eq!((w, h), (100, 50));
        assert!(small.chunks_exact(4).all(|p| p[0] == 100 && p[3] == 255));
    }
}
