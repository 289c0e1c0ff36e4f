//! The engine's raster: interleaved 8-bit RGB or RGBA, and the whole-buffer
//! operations the pipeline needs on it (alpha premultiplication, flattening,
//! orientation, padding).
//!
//! RGBA rasters travel through the pipeline premultiplied: the decoded source
//! is premultiplied once, every variant is resized from it, and each output is
//! either un-premultiplied (PNG, WebP) or flattened onto its background (JPEG).

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{MulDiv, PixelType};
use image::metadata::Orientation;

use crate::error::ImagingError;

/// Channel layout of a raster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    Rgb,
    Rgba,
}

impl Layout {
    pub(crate) fn channels(self) -> usize {
        match self {
            Layout::Rgb => 3,
            Layout::Rgba => 4,
        }
    }

    pub(crate) fn pixel_type(self) -> PixelType {
        match self {
            Layout::Rgb => PixelType::U8x3,
            Layout::Rgba => PixelType::U8x4,
        }
    }
}

/// An 8-bit raster whose `data` is exactly `width * height * channels` long.
#[derive(Debug, Clone)]
pub(crate) struct Pixels {
    width: u32,
    height: u32,
    layout: Layout,
    data: Vec<u8>,
}

fn internal(what: &str) -> ImagingError {
    ImagingError::Encode(format!("internal error: {what}"))
}

impl Pixels {
    /// Wraps a buffer, checking that its length matches the dimensions.
    pub(crate) fn from_vec(
        width: u32,
        height: u32,
        layout: Layout,
        data: Vec<u8>,
    ) -> Result<Self, ImagingError> {
        let expected = (width as usize)
            .checked_mul(height as usize)
            .and_then(|n| n.checked_mul(layout.channels()));
        if expected != Some(data.len()) {
            return Err(internal("raster size does not match its dimensions"));
        }
        Ok(Pixels {
            width,
            height,
            layout,
            data,
        })
    }

    /// A raster of `width` x `height` filled with `fill` (RGB uses its first three bytes).
    pub(crate) fn filled(width: u32, height: u32, layout: Layout, fill: [u8; 4]) -> Self {
        let n = layout.channels();
        let data = fill[..n].repeat(width as usize * height as usize);
        Pixels {
            width,
            height,
            layout,
            data,
        }
    }

    pub(crate) fn width(&self) -> u32 {
        self.width
    }

    pub(crate) fn height(&self) -> u32 {
        self.height
    }

    pub(crate) fn layout(&self) -> Layout {
        self.layout
    }

    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }

    pub(crate) fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Gives the buffer back, e.g. for reuse.
    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.data
    }

    /// A read-only view for the resizer.
    pub(crate) fn view(&self) -> Result<ImageRef<'_>, ImagingError> {
        ImageRef::new(
            self.width,
            self.height,
            &self.data,
            self.layout.pixel_type(),
        )
        .map_err(|e| internal(&e.to_string()))
    }

    /// A writable view for the resizer.
    pub(crate) fn view_mut(&mut self) -> Result<Image<'_>, ImagingError> {
        let pixel_type = self.layout.pixel_type();
        Image::from_slice_u8(self.width, self.height, &mut self.data, pixel_type)
            .map_err(|e| internal(&e.to_string()))
    }

    /// Turns an RGBA raster whose alpha is 255 everywhere into RGB, in place.
    pub(crate) fn drop_opaque_alpha(&mut self) {
        if self.layout != Layout::Rgba || self.data.chunks_exact(4).any(|p| p[3] != 255) {
            return;
        }
        let pixels = self.data.len() / 4;
        for i in 0..pixels {
            self.data.copy_within(i * 4..i * 4 + 3, i * 3);
        }
        self.data.truncate(pixels * 3);
        self.layout = Layout::Rgb;
    }

    /// Multiplies colour by alpha (no-op for RGB).
    pub(crate) fn premultiply(&mut self, mul_div: &MulDiv) -> Result<(), ImagingError> {
        if self.layout == Layout::Rgba {
            let mut view = self.view_mut()?;
            mul_div
                .multiply_alpha_inplace(&mut view)
                .map_err(|e| internal(&e.to_string()))?;
        }
        Ok(())
    }

    /// Divides premultiplied colour by alpha (no-op for RGB).
    pub(crate) fn unpremultiply(&mut self, mul_div: &MulDiv) -> Result<(), ImagingError> {
        if self.layout == Layout::Rgba {
            let mut view = self.view_mut()?;
            mul_div
                .divide_alpha_inplace(&mut view)
                .map_err(|e| internal(&e.to_string()))?;
        }
        Ok(())
    }

    /// Composites a premultiplied RGBA raster over the opaque colour `under`,
    /// in place: `c + under * (255 - a) / 255` per colour channel, alpha set
    /// to 255. No-op for RGB.
    pub(crate) fn flatten_premultiplied_on(&mut self, under: [u8; 3]) {
        if self.layout != Layout::Rgba {
            return;
        }
        for p in self.data.chunks_exact_mut(4) {
            let rest = 255 - u32::from(p[3]);
            for c in 0..3 {
                let v = u32::from(p[c]) + (u32::from(under[c]) * rest + 127) / 255;
                p[c] = v.min(255) as u8;
            }
            p[3] = 255;
        }
    }

    /// Turns an RGB raster into an opaque RGBA one (no-op for RGBA).
    pub(crate) fn with_alpha(self) -> Pixels {
        if self.layout == Layout::Rgba {
            return self;
        }
        let mut data = Vec::with_capacity(self.data.len() / 3 * 4);
        for p in self.data.chunks_exact(3) {
            data.extend_from_slice(&[p[0], p[1], p[2], 255]);
        }
        Pixels {
            layout: Layout::Rgba,
            data,
            ..self
        }
    }

    /// Applies an EXIF orientation, returning the upright raster.
    pub(crate) fn orient(self, orientation: Orientation) -> Pixels {
        match self.layout {
            Layout::Rgb => self.orient_n::<3>(orientation),
            Layout::Rgba => self.orient_n::<4>(orientation),
        }
    }

    fn orient_n<const N: usize>(mut self, orientation: Orientation) -> Pixels {
        let (w, h) = (self.width as usize, self.height as usize);
        let row = w * N;
        match orientation {
            Orientation::NoTransforms => return self,
            Orientation::FlipVertical => {
                for y in 0..h / 2 {
                    let (top, bottom) = self.data.split_at_mut((h - 1 - y) * row);
                    top[y * row..(y + 1) * row].swap_with_slice(&mut bottom[..row]);
                }
                return self;
            }
            Orientation::FlipHorizontal => {
                for line in self.data.chunks_exact_mut(row) {
                    flip_row::<N>(line);
                }
                return self;
            }
            Orientation::Rotate180 => {
                flip_row::<N>(&mut self.data);
                return self;
            }
            _ => {}
        }
        // The rest swap the axes: output (x, y) is read from source (sx, sy).
        let source_of: fn(usize, usize, usize, usize) -> (usize, usize) = match orientation {
            Orientation::Rotate90 => |x, y, _w, h| (y, h - 1 - x),
            Orientation::Rotate270 => |x, y, w, _h| (w - 1 - y, x),
            Orientation::Rotate90FlipH => |x, y, _w, _h| (y, x),
            _ => |x, y, w, h| (w - 1 - y, h - 1 - x),
        };
        let mut out = vec![0u8; self.data.len()];
        for (y, line) in out.chunks_exact_mut(h * N).enumerate() {
            for (x, px) in line.chunks_exact_mut(N).enumerate() {
                let (sx, sy) = source_of(x, y, w, h);
                let at = (sy * w + sx) * N;
                px.copy_from_slice(&self.data[at..at + N]);
            }
        }
        Pixels {
            width: self.height,
            height: self.width,
            layout: self.layout,
            data: out,
        }
    }

    /// Places this raster at (`left`, `top`) on a `width` x `height` canvas
    /// filled with `fill`. The raster must fit inside the canvas.
    pub(crate) fn pad(
        self,
        width: u32,
        height: u32,
        left: u32,
        top: u32,
        fill: [u8; 4],
    ) -> Result<Pixels, ImagingError> {
        if (width, height) == (self.width, self.height) {
            return Ok(self);
        }
        if u64::from(left) + u64::from(self.width) > u64::from(width)
            || u64::from(top) + u64::from(self.height) > u64::from(height)
        {
            return Err(internal("padding smaller than the image"));
        }
        let n = self.layout.channels();
        let mut canvas = Pixels::filled(width, height, self.layout, fill);
        let src_row = self.width as usize * n;
        let dst_row = width as usize * n;
        for (y, line) in self.data.chunks_exact(src_row).enumerate() {
            let at = (top as usize + y) * dst_row + left as usize * n;
            canvas.data[at..at + src_row].copy_from_slice(line);
        }
        Ok(canvas)
    }
}

/// Reverses the order of the N-byte pixels of `line`.
fn flip_row<const N: usize>(line: &mut [u8]) {
    let pixels = line.len() / N;
    for i in 0..pixels / 2 {
        let j = pixels - 1 - i;
        let (a, b) = line.split_at_mut(j * N);
        a[i * N..(i + 1) * N].swap_with_slice(&mut b[..N]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 RGB raster whose pixel values are their indices.
    fn numbered() -> Pixels {
        let data = (0u8..6).flat_map(|i| [i, i, i]).collect();
        Pixels::from_vec(3, 2, Layout::Rgb, data).expect("valid")
    }

    fn firsts(p: &Pixels) -> Vec<u8> {
        p.data().chunks_exact(3).map(|c| c[0]).collect()
    }

    #[test]
    fn orientations_match_exif_semantics() {
        // Source:  0 1 2
        //          3 4 5
        let cases = [
            (Orientation::NoTransforms, (3, 2), vec![0, 1, 2, 3, 4, 5]),
            (Orientation::FlipHorizontal, (3, 2), vec![2, 1, 0, 5, 4, 3]),
            (Orientation::Rotate180, (3, 2), vec![5, 4, 3, 2, 1, 0]),
            (Orientation::FlipVertical, (3, 2), vec![3, 4, 5, 0, 1, 2]),
            (Orientation::Rotate90FlipH, (2, 3), vec![0, 3, 1, 4, 2, 5]),
            (Orientation::Rotate90, (2, 3), vec![3, 0, 4, 1, 5, 2]),
            (Orientation::Rotate270FlipH, (2, 3), vec![5, 2, 4, 1, 3, 0]),
            (Orientation::Rotate270, (2, 3), vec![2, 5, 1, 4, 0, 3]),
        ];
        for (orientation, dims, expected) in cases {
            let out = numbered().orient(orientation);
            assert_eq!((out.width(), out.height()), dims, "{orientation:?}");
            assert_eq!(firsts(&out), expected, "{orientation:?}");
        }
    }

    #[test]
    fn opaque_alpha_is_dropped_in_place() {
        let mut p =
            Pixels::from_vec(2, 1, Layout::Rgba, vec![1, 2, 3, 255, 4, 5, 6, 255]).expect("valid");
        p.drop_opaque_alpha();
        assert_eq!(p.layout(), Layout::Rgb);
        assert_eq!(p.data(), &[1, 2, 3, 4, 5, 6]);
        let mut q = Pixels::from_vec(1, 1, Layout::Rgba, vec![1, 2, 3, 4]).expect("valid");
        q.drop_opaque_alpha();
        assert_eq!(q.layout(), Layout::Rgba);
    }

    #[test]
    fn flatten_and_pad() {
        // Half-transparent black, premultiplied: (0,0,0,128) -> 127 grey on white.
        let mut p = Pixels::from_vec(1, 1, Layout::Rgba, vec![0, 0, 0, 128]).expect("valid");
        p.flatten_premultiplied_on([255, 255, 255]);
        assert_eq!(p.data(), &[127, 127, 127, 255]);
        let mut p = Pixels::from_vec(1, 1, Layout::Rgba, vec![0, 0, 0, 128]).expect("valid");
        p.flatten_premultiplied_on([0, 100, 200]);
        assert_eq!(p.data(), &[0, 50, 100, 255]);
        let p = numbered().with_alpha();
        assert_eq!(&p.data()[..8], &[0, 0, 0, 255, 1, 1, 1, 255]);
        let padded = numbered().pad(5, 4, 1, 1, [9, 9, 9, 9]).expect("fits");
        assert_eq!((padded.width(), padded.height()), (5, 4));
        assert_eq!(
            firsts(&padded),
            vec![9, 9, 9, 9, 9, 9, 0, 1, 2, 9, 9, 3, 4, 5, 9, 9, 9, 9, 9, 9]
        );
        assert!(numbered().pad(3, 2, 1, 0, [0; 4]).is_ok());
        assert!(numbered().pad(4, 2, 2, 0, [0; 4]).is_err());
    }
}
