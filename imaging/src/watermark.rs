//! The watermark overlay: a PNG decoded once (bounded in bytes and pixels,
//! premultiplied), then, per variant, scaled relative to the output,
//! placed at one of nine positions with a margin, and composited with an
//! opacity onto the premultiplied output before it is flattened or encoded.

use std::io::Cursor;

use image::ImageDecoder;
use image::codecs::png::PngDecoder;

use crate::error::ImagingError;
use crate::geometry::Rect;
use crate::options::{Gravity, WatermarkPlacement};
use crate::pixels::{Layout, Pixels};
use crate::resize::Resampler;

/// Largest watermark file accepted.
pub const MAX_WATERMARK_BYTES: usize = 1024 * 1024;
/// Largest watermark side accepted.
pub const MAX_WATERMARK_SIDE: u32 = 4096;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A decoded watermark, reused for every variant and image.
#[derive(Debug, Clone)]
pub struct Watermark {
    /// Premultiplied RGBA.
    pixels: Pixels,
}

impl Watermark {
    /// Decodes a PNG overlay of at most [`MAX_WATERMARK_BYTES`] and
    /// [`MAX_WATERMARK_SIDE`] pixels a side.
    pub fn from_png(bytes: &[u8]) -> Result<Watermark, ImagingError> {
        if bytes.len() > MAX_WATERMARK_BYTES {
            return Err(ImagingError::TooLarge {
                bytes: bytes.len(),
                limit: MAX_WATERMARK_BYTES,
            });
        }
        if !bytes.starts_with(PNG_MAGIC) {
            return Err(ImagingError::UnsupportedFormat("watermark must be a PNG"));
        }
        let fail = |e| ImagingError::from_decode(e, "png");
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_WATERMARK_SIDE);
        limits.max_image_height = Some(MAX_WATERMARK_SIDE);
        limits.max_alloc = Some(u64::from(MAX_WATERMARK_SIDE).pow(2) * 8);
        let decoder = PngDecoder::with_limits(Cursor::new(bytes), limits).map_err(fail)?;
        let (w, h) = decoder.dimensions();
        if w == 0 || h == 0 || w > MAX_WATERMARK_SIDE || h > MAX_WATERMARK_SIDE {
            return Err(ImagingError::TooManyPixels {
                width: w,
                height: h,
                limit: u64::from(MAX_WATERMARK_SIDE).pow(2),
            });
        }
        let image = image::DynamicImage::from_decoder(decoder).map_err(fail)?;
        let mut pixels = Pixels::from_vec(w, h, Layout::Rgba, image.into_rgba8().into_raw())?;
        pixels.premultiply(Resampler::new().mul_div())?;
        Ok(Watermark { pixels })
    }

    /// Width and height of the overlay as decoded.
    pub fn dimensions(&self) -> (u32, u32) {
        (self.pixels.width(), self.pixels.height())
    }
}

/// Draws `mark` on the premultiplied `canvas` as `placement` asks, unless
/// the canvas is below the placement's size threshold.
pub(crate) fn apply(
    canvas: &mut Pixels,
    mark: &Watermark,
    placement: &WatermarkPlacement,
    resampler: &mut Resampler,
) -> Result<(), ImagingError> {
    let (cw, ch) = (canvas.width(), canvas.height());
    if cw < placement.min_width.max(1) || ch < placement.min_height.max(1) {
        return Ok(());
    }
    let (mw, mh) = mark.dimensions();
    // Width from the scale, height from the overlay's aspect ratio; then
    // shrunk to fit a canvas that is wide and short.
    let mut tw = (f64::from(cw) * f64::from(placement.scale.clamp(0.0, 1.0))).round();
    let mut th = tw * f64::from(mh) / f64::from(mw);
    if th > f64::from(ch) {
        tw *= f64::from(ch) / th;
        th = f64::from(ch);
    }
    let (tw, th) = (
        (tw.round() as u32).clamp(1, cw),
        (th.round() as u32).clamp(1, ch),
    );
    let whole = Rect {
        left: 0.0,
        top: 0.0,
        width: f64::from(mw),
        height: f64::from(mh),
    };
    let scaled = resampler.resize(&mark.pixels, whole, (tw, th))?;

    let margin = if placement.margin < 1.0 {
        f64::from(placement.margin.max(0.0)) * f64::from(cw.min(ch))
    } else {
        f64::from(placement.margin)
    };
    let (fx, fy) = placement
        .position
        .anchor()
        .unwrap_or(Gravity::Centre.anchor().unwrap_or((0.5, 0.5)));
    let at = |space: u32, size: u32, f: f64| -> u32 {
        let free = f64::from(space - size);
        let pos = if f == 0.0 {
            margin
        } else if f == 1.0 {
            free - margin
        } else {
            free / 2.0
        };
        pos.round().clamp(0.0, free) as u32
    };
    let (left, top) = (at(cw, tw, fx), at(ch, th, fy));
    let opacity = (placement.opacity.clamp(0.0, 1.0) * 255.0).round() as u32;
    composite(canvas, &scaled, (left, top), opacity);
    Ok(())
}

/// `dst = src * o + dst * (1 - src_alpha * o)` on premultiplied pixels, with
/// `o` = `opacity` / 255. `src` must fit inside `dst` at `(left, top)`.
fn composite(dst: &mut Pixels, src: &Pixels, (left, top): (u32, u32), opacity: u32) {
    let n = dst.layout().channels();
    let dst_row = dst.width() as usize * n;
    let src_row = src.width() as usize * 4;
    let scale = |v: u32, by: u32| (v * by + 127) / 255;
    let data = dst.data_mut();
    for (y, line) in src.data().chunks_exact(src_row).enumerate() {
        let start = (top as usize + y) * dst_row + left as usize * n;
        let out = &mut data[start..start + src.width() as usize * n];
        for (d, s) in out.chunks_exact_mut(n).zip(line.chunks_exact(4)) {
            let a = scale(u32::from(s[3]), opacity);
            let keep = 255 - a;
            for c in 0..3 {
                let v = scale(u32::from(s[c]), opacity) + scale(u32::from(d[c]), keep);
                d[c] = v.min(255) as u8;
            }
            if n == 4 {
                d[3] = (a + scale(u32::from(d[3]), keep)).min(255) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, rgba: [u8; 4]) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba(rgba));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("encode");
        out.into_inner()
    }

    #[test]
    fn bad_overlays_are_refused() {
        assert!(matches!(
            Watermark::from_png(b"GIF89a"),
            Err(ImagingError::UnsupportedFormat(_))
        ));
        assert!(matches!(
            Watermark::from_png(&vec![0; MAX_WATERMARK_BYTES + 1]),
            Err(ImagingError::TooLarge { .. })
        ));
        let big = png(MAX_WATERMARK_SIDE + 1, 1, [0; 4]);
        assert!(Watermark::from_png(&big).is_err());
        assert!(Watermark::from_png(&png(3, 2, [1, 2, 3, 4])).is_ok());
    }

    #[test]
    fn blends_at_the_corner_with_opacity() {
        let mark = Watermark::from_png(&png(10, 10, [0, 0, 255, 255])).expect("mark");
        let mut canvas = Pixels::filled(100, 50, Layout::Rgb, [200, 0, 0, 0]);
        let placement = WatermarkPlacement {
            position: Gravity::Northwest,
            scale: 0.2,
            margin: 5.0,
            opacity: 0.5,
            ..WatermarkPlacement::default()
        };
        apply(&mut canvas, &mark, &placement, &mut Resampler::new()).expect("apply");
        let px = |x: usize, y: usize| &canvas.data()[(y * 100 + x) * 3..][..3];
        // 20x20 overlay at (5, 5).
        assert_eq!(px(10, 10), &[100, 0, 128]);
        assert_eq!(px(4, 4), &[200, 0, 0]);
        assert_eq!(px(25, 10), &[200, 0, 0]);
        assert_eq!(px(24, 24), &[100, 0, 128]);
    }
}
