//! GIF canvases as browsers paint them: the canvas is the union of the
//! logical screen and the first frame's rectangle (a 0x0 screen, or one
//! smaller than the frame, still shows the whole frame), the first frame sits
//! at its offset on a transparent canvas (the background colour when the
//! output is JPEG), its transparent index is transparent, interlaced frames
//! come out in order, and later frames are ignored. GIFs are made here with
//! the `gif` crate's encoder.

use std::borrow::Cow;

use crate::common::{close, decode, variant};
use image::RgbaImage;
use pixpipe_imaging::{Fit, Format, ImagingError, Limits, SourceFormat, probe, process};

const RED: [u8; 4] = [220, 30, 30, 255];
const GREEN: [u8; 4] = [30, 200, 30, 255];
const BLUE: [u8; 4] = [30, 30, 220, 255];
const YELLOW: [u8; 4] = [230, 230, 40, 255];
const WHITE: [u8; 4] = [255, 255, 255, 255];
/// Palette index of the transparent entry.
const CLEAR: u8 = 4;

/// The four quadrant colours, then magenta (the transparent index).
fn palette() -> Vec<u8> {
    [RED, GREEN, BLUE, YELLOW, [255, 0, 255, 255]]
        .iter()
        .flat_map(|c| c[..3].to_vec())
        .collect()
}

/// A frame of `w`x`h` quadrants at (`left`, `top`); its top-left 4x4
/// pixels are the transparent index.
struct Frame {
    left: u16,
    top: u16,
    width: u16,
    height: u16,
    interlaced: bool,
    solid: Option<u8>,
}

impl Frame {
    fn at(left: u16, top: u16, width: u16, height: u16) -> Frame {
        Frame {
            left,
            top,
            width,
            height,
            interlaced: false,
            solid: None,
        }
    }

    fn index(&self, x: u16, y: u16) -> u8 {
        if let Some(i) = self.solid {
            return i;
        }
        let (w, h) = (self.width, self.height);
        match (x < 4 && y < 4, x < w / 2, y < h / 2) {
            (true, _, _) => CLEAR,
            (_, true, true) => 0,
            (_, false, true) => 1,
            (_, true, false) => 2,
            _ => 3,
        }
    }

    /// Rows in the order the file stores them (the four interlace passes).
    fn rows(&self) -> Vec<u16> {
        let h = self.height;
        if !self.interlaced {
            return (0..h).collect();
        }
        [(0, 8), (4, 8), (2, 4), (1, 2)]
            .iter()
            .flat_map(|&(start, step)| (start..h).step_by(step))
            .collect()
    }
}

fn gif(screen: (u16, u16), frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder =
            gif::Encoder::new(&mut out, screen.0, screen.1, &palette()).expect("encoder");
        for f in frames {
            let buffer: Vec<u8> = f
                .rows()
                .into_iter()
                .flat_map(|y| (0..f.width).map(move |x| f.index(x, y)))
                .collect();
            let frame = gif::Frame {
                left: f.left,
                top: f.top,
                width: f.width,
                height: f.height,
                interlaced: f.interlaced,
                transparent: Some(CLEAR),
                delay: 10,
                buffer: Cow::Owned(buffer),
                ..gif::Frame::default()
            };
            encoder.write_frame(&frame).expect("frame");
        }
    }
    out
}

/// Checks the four quadrant centres of a `w`x`h` frame drawn at
/// (`left`, `top`), and that its transparent corner shows `clear`.
fn assert_frame(img: &RgbaImage, (left, top, w, h): (u32, u32, u32, u32), clear: [u8; 4]) {
    let centres = [
        (w / 4, h / 4, RED),
        (3 * w / 4, h / 4, GREEN),
        (w / 4, 3 * h / 4, BLUE),
        (3 * w / 4, 3 * h / 4, YELLOW),
        (1, 1, clear),
    ];
    for (x, y, colour) in centres {
        let px = *img.get_pixel(left + x, top + y);
        assert!(
            close(px, colour, 2),
            "({}, {}): {px:?} vs {colour:?}",
            left + x,
            top + y
        );
    }
}

/// Outputs a PNG and a JPEG of the whole canvas at its own size.
fn png_and_jpeg(bytes: &[u8]) -> (RgbaImage, RgbaImage) {
    let asked = [
        variant(1000, 1000, Fit::Inside, Format::Png, true),
        variant(1000, 1000, Fit::Inside, Format::Jpeg, true),
    ];
    let out = process(bytes, &asked, &Limits::default()).expect("process");
    (decode(&out[0]), decode(&out[1]))
}

fn canvas_size(bytes: &[u8]) -> (u32, u32) {
    let p = probe(bytes, &Limits::default()).expect("probe");
    assert_eq!(p.format, SourceFormat::Gif);
    (p.width, p.height)
}

#[test]
fn a_0x0_screen_shows_the_whole_first_frame() {
    let bytes = gif((0, 0), &[Frame::at(0, 0, 128, 96)]);
    assert_eq!(canvas_size(&bytes), (128, 96));
    let (png, jpeg) = png_and_jpeg(&bytes);
    assert_eq!(png.dimensions(), (128, 96));
    assert_frame(&png, (0, 0, 128, 96), [0; 4]);
    // JPEG: lossy, and the transparent corner is on white.
    let centre = *jpeg.get_pixel(32, 24);
    assert!(close(centre, RED, 12), "{centre:?}");
    assert!(close(*jpeg.get_pixel(0, 0), WHITE, 12));
}

#[test]
fn a_screen_smaller_than_the_frame_grows_to_hold_it() {
    // Screen 20x10; frame 64x48 at (8, 4): the canvas is 72x52.
    let bytes = gif((20, 10), &[Frame::at(8, 4, 64, 48)]);
    assert_eq!(canvas_size(&bytes), (72, 52));
    let (png, jpeg) = png_and_jpeg(&bytes);
    assert_eq!(png.dimensions(), (72, 52));
    assert_frame(&png, (8, 4, 64, 48), [0; 4]);
    for (x, y) in [(2, 2), (4, 40), (70, 1)] {
        assert_eq!(
            png.get_pixel(x, y).0[3],
            0,
            "({x}, {y}) is outside the frame"
        );
    }
    assert!(close(*jpeg.get_pixel(3, 40), WHITE, 12));
    assert!(close(*jpeg.get_pixel(8 + 48, 4 + 36), YELLOW, 12));
}

#[test]
fn a_frame_inside_a_larger_screen_is_surrounded_by_transparency() {
    let bytes = gif((64, 48), &[Frame::at(16, 12, 32, 24)]);
    assert_eq!(canvas_size(&bytes), (64, 48));
    let (png, jpeg) = png_and_jpeg(&bytes);
    assert_eq!(png.dimensions(), (64, 48));
    assert_frame(&png, (16, 12, 32, 24), [0; 4]);
    for (x, y) in [(0, 0), (63, 47), (8, 24), (56, 24), (32, 4), (32, 42)] {
        assert_eq!(
            png.get_pixel(x, y).0[3],
            0,
            "({x}, {y}) is outside the frame"
        );
    }
    for (x, y) in [(4, 4), (60, 44)] {
        let px = *jpeg.get_pixel(x, y);
        assert!(close(px, WHITE, 12), "({x}, {y}): {px:?}");
    }
}

#[test]
fn an_animation_gives_its_first_frame_only() {
    let mut second = Frame::at(0, 0, 64, 48);
    second.solid = Some(2);
    let bytes = gif((64, 48), &[Frame::at(16, 12, 32, 24), second]);
    let (png, _) = png_and_jpeg(&bytes);
    assert_frame(&png, (16, 12, 32, 24), [0; 4]);
    assert_eq!(png.get_pixel(2, 2).0[3], 0, "the second frame is not drawn");
}

#[test]
fn an_interlaced_frame_comes_out_in_order() {
    let mut frame = Frame::at(0, 0, 64, 48);
    frame.interlaced = true;
    let bytes = gif((64, 48), &[frame]);
    let (png, _) = png_and_jpeg(&bytes);
    assert_frame(&png, (0, 0, 64, 48), [0; 4]);
    // Every row, not just the quadrant centres.
    for y in 4..48 {
        let expected = if y < 24 { RED } else { BLUE };
        assert!(close(*png.get_pixel(10, y), expected, 0), "row {y}");
    }
}

#[test]
fn limits_apply_to_the_whole_canvas() {
    // Screen 0x0; a 10x10 frame at x = 65530 makes the canvas 65540 wide.
    let mut far = Frame::at(65530, 0, 10, 10);
    far.solid = Some(0);
    let bytes = gif((0, 0), &[far]);
    assert!(matches!(
        probe(&bytes, &Limits::default()),
        Err(ImagingError::TooManyPixels { width: 65540, .. })
    ));
    let bytes = gif((0, 0), &[Frame::at(0, 0, 128, 96)]);
    let limits = Limits {
        max_pixels: 128 * 96 - 1,
        ..Limits::default()
    };
    assert!(matches!(
        probe(&bytes, &limits),
        Err(ImagingError::TooManyPixels { .. })
    ));
    // No frame at all.
    let empty = gif((16, 16), &[]);
    let err = process(
        &empty,
        &[variant(8, 8, Fit::Fill, Format::Png, true)],
        &Limits::default(),
    );
    assert!(matches!(err, Err(ImagingError::Corrupt(_))), "{err:?}");
}
