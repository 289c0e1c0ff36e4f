//! GIF: the first frame on its canvas, as browsers paint it.
//!
//! The canvas is the union of the logical screen and the first frame's
//! rectangle (left + width, top + height), as browsers, libvips and Pillow
//! size it: a screen of 0x0, or one smaller than the frame, still shows the
//! whole frame. The frame is drawn at its offset on a transparent canvas;
//! its transparent index is transparent; interlaced frames are
//! de-interlaced. Later frames of an animation are not decoded.
//!
//! [`first_frame`] reads just the header blocks (for the probe); [`decode`]
//! uses the `gif` crate directly (the `image` crate's decoder crops the frame
//! to the logical screen), under a memory limit.

use std::num::NonZeroU64;

use gif::{ColorOutput, DecodeOptions, DecodingError, MemoryLimit};

use crate::error::ImagingError;
use crate::options::Limits;
use crate::pixels::{Layout, Pixels};

/// The logical screen and the first frame's rectangle, from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FirstFrame {
    pub screen: (u32, u32),
    /// left, top, width, height
    pub frame: (u32, u32, u32, u32),
}

impl FirstFrame {
    /// The canvas browsers paint: the union of screen and first frame.
    pub(crate) fn canvas(&self) -> (u32, u32) {
        let (left, top, width, height) = self.frame;
        (
            self.screen.0.max(left + width),
            self.screen.1.max(top + height),
        )
    }
}

fn le16(b: &[u8], at: usize) -> Result<u32, ImagingError> {
    b.get(at..at + 2)
        .map(|s| u32::from(u16::from_le_bytes([s[0], s[1]])))
        .ok_or(ImagingError::Truncated)
}

fn byte(b: &[u8], at: usize) -> Result<u8, ImagingError> {
    b.get(at).copied().ok_or(ImagingError::Truncated)
}

/// Walks the header, the global colour table and any extension blocks up to
/// the first image descriptor, without decoding or allocating. Each step
/// moves forward, so the walk is bounded by the input length.
pub(crate) fn first_frame(b: &[u8]) -> Result<FirstFrame, ImagingError> {
    let screen = (le16(b, 6)?, le16(b, 8)?);
    let packed = byte(b, 10)?;
    let mut at = 13;
    if packed & 0x80 != 0 {
        at += 3 << ((packed & 7) + 1);
    }
    loop {
        match byte(b, at)? {
            // Image descriptor: left, top, width, height.
            0x2C => {
                let frame = (
                    le16(b, at + 1)?,
                    le16(b, at + 3)?,
                    le16(b, at + 5)?,
                    le16(b, at + 7)?,
                );
                return Ok(FirstFrame { screen, frame });
            }
            // Extension: a label, then data sub-blocks up to an empty one.
            0x21 => {
                at += 2;
                loop {
                    let size = usize::from(byte(b, at)?);
                    at += 1 + size;
                    if size == 0 {
                        break;
                    }
                }
            }
            0x3B => {
                return Err(ImagingError::Corrupt(
                    "gif: no image before the trailer".into(),
                ));
            }
            _ => return Err(ImagingError::Corrupt("gif: unknown block".into())),
        }
    }
}

fn fail(err: DecodingError) -> ImagingError {
    match err {
        DecodingError::UnexpectedEof => ImagingError::Truncated,
        DecodingError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImagingError::Truncated
        }
        DecodingError::OutOfMemory | DecodingError::MemoryLimit => {
            ImagingError::LimitExceeded(format!("gif: {err}"))
        }
        // LZW data that stops before the frame is full.
        other if other.to_string().contains("truncated") => ImagingError::Truncated,
        other => ImagingError::Corrupt(format!("gif: {other}")),
    }
}

/// Decodes the first frame onto its canvas, as RGBA.
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Pixels, ImagingError> {
    let mut options = DecodeOptions::new();
    options.set_color_output(ColorOutput::RGBA);
    options.set_memory_limit(MemoryLimit::Bytes(
        NonZeroU64::new(limits.max_alloc).unwrap_or(NonZeroU64::MIN),
    ));
    let mut decoder = options.read_info(bytes).map_err(fail)?;
    let screen = (u32::from(decoder.width()), u32::from(decoder.height()));
    let frame = decoder
        .next_frame_info()
        .map_err(fail)?
        .ok_or_else(|| ImagingError::Corrupt("gif: no image".into()))?;
    let layout = FirstFrame {
        screen,
        frame: (
            u32::from(frame.left),
            u32::from(frame.top),
            u32::from(frame.width),
            u32::from(frame.height),
        ),
    };
    let (_, _, frame_w, frame_h) = layout.frame;
    let (width, height) = layout.canvas();
    if width == 0 || height == 0 {
        return Err(ImagingError::Corrupt(format!(
            "gif: empty canvas ({width}x{height})"
        )));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels
        || width > limits.max_dimension
        || height > limits.max_dimension
    {
        return Err(ImagingError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    let frame_bytes = u64::from(frame_w) * u64::from(frame_h) * 4;
    let canvas_bytes = u64::from(width) * u64::from(height) * 4;
    let needed = if (frame_w, frame_h) == (width, height) {
        frame_bytes
    } else {
        frame_bytes + canvas_bytes
    };
    if needed > limits.max_alloc {
        return Err(ImagingError::LimitExceeded(format!(
            "gif: decoding needs {needed} bytes, over the limit of {}",
            limits.max_alloc
        )));
    }
    if frame_bytes == 0 {
        return Ok(Pixels::filled(width, height, Layout::Rgba, [0; 4]));
    }
    let mut pixels = vec![0; frame_bytes as usize];
    decoder.read_into_buffer(&mut pixels).map_err(fail)?;
    let (left, top, _, _) = layout.frame;
    Pixels::from_vec(frame_w, frame_h, Layout::Rgba, pixels)?.pad(width, height, left, top, [0; 4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_whose_data_stops_short_is_truncated() {
        // An 8x8 frame whose LZW data holds only about 10 pixels.
        let short = b"GIF89a\x08\0\x08\0\x81\0\0\xff\0\0\0\xff\0\0\0\xff\xff\xff\xff\x2c\0\0\0\0\x08\0\x08\0\0\x02\x08\x0c\xc3\x30\x0c\xc3\x30\x0c\x53\0\x3b";
        assert_eq!(short.len(), 47);
        let err = decode(short, &Limits::default()).expect_err("short frame");
        assert_eq!(err, ImagingError::Truncated);
    }

    #[test]
    fn header_walk_finds_the_first_frame() {
        // Screen 0x0 with a 2-entry global table, a graphic control
        // extension, a comment split in two sub-blocks, then the frame.
        let mut b = b"GIF89a\0\0\0\0\x80\0\0".to_vec();
        b.extend([0; 6]);
        b.extend([0x21, 0xF9, 4, 1, 0, 0, 0, 0]);
        b.extend([0x21, 0xFE, 2, b'h', b'i', 1, b'!', 0]);
        b.extend([0x2C, 3, 0, 4, 0, 10, 0, 20, 0, 0]);
        let layout = first_frame(&b).expect("layout");
        assert_eq!(layout.screen, (0, 0));
        assert_eq!(layout.frame, (3, 4, 10, 20));
        assert_eq!(layout.canvas(), (13, 24));
        for cut in 0..b.len() - 1 {
            assert!(
                matches!(first_frame(&b[..cut]), Err(ImagingError::Truncated)),
                "cut at {cut}"
            );
        }
        let mut trailer = b[..19].to_vec();
        trailer.push(0x3B);
        assert!(matches!(
            first_frame(&trailer),
            Err(ImagingError::Corrupt(_))
        ));
    }

    #[test]
    fn canvas_is_the_union_of_screen_and_frame() {
        let l = FirstFrame {
            screen: (100, 50),
            frame: (10, 10, 20, 20),
        };
        assert_eq!(l.canvas(), (100, 50));
        let l = FirstFrame {
            screen: (16, 16),
            frame: (8, 0, 32, 8),
        };
        assert_eq!(l.canvas(), (40, 16));
    }
}
