//! Animated WebP: the first frame on its canvas, as browsers paint it.
//!
//! The canvas has the VP8X canvas size and starts transparent, whatever the
//! VP8X alpha flag says and whatever background colour the ANIM chunk
//! suggests (browsers ignore it, as the WebP container specification
//! allows); the first ANMF frame is drawn at its offset. Blending the first
//! frame onto a transparent canvas leaves it as it is, so its blending and
//! disposal bits do not matter; later frames are not decoded.
//!
//! [`first_frame`] walks the RIFF chunks (bounded, no decoding) and
//! repackages the first frame's ALPH + VP8 or VP8L data, with the file's
//! ICC profile, as a still WebP for the usual decoder; [`FirstFrame::place`]
//! then puts the decoded frame on the canvas.

use crate::error::ImagingError;
use crate::options::Limits;
use crate::pixels::Pixels;

/// Most top-level RIFF chunks walked looking for the first frame.
const MAX_CHUNKS: usize = 65_536;

/// The first frame of an animation and where it goes.
pub(crate) struct FirstFrame {
    /// The VP8X canvas size.
    pub canvas: (u32, u32),
    /// The frame's offset and size from its ANMF header.
    pub offset: (u32, u32),
    pub size: (u32, u32),
    /// The frame as a still WebP file (VP8X, ICCP?, ALPH?, VP8 or VP8L).
    pub still: Vec<u8>,
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], 0]))
}

fn le32(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?) as usize)
}

/// The chunks of a RIFF chunk list: (FourCC, payload), in order, stopping
/// at the first one that does not fit.
pub(crate) fn chunks(b: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let kind = b.get(at..at.checked_add(4)?)?;
        let len = le32(b, at + 4)?;
        let start = at + 8;
        let body = b.get(start..start.checked_add(len)?)?;
        at = start + len + len % 2;
        Some((kind, body))
    })
    .take(MAX_CHUNKS)
}

fn corrupt(message: &str) -> ImagingError {
    ImagingError::Corrupt(format!("webp: {message}"))
}

/// Appends a RIFF chunk, padded to an even length.
fn push_chunk(out: &mut Vec<u8>, kind: &[u8], body: &[u8]) {
    out.extend_from_slice(kind);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

/// The first frame of an animated WebP; `None` for a still one. The
/// frame must lie inside the canvas.
pub(crate) fn first_frame(b: &[u8]) -> Result<Option<FirstFrame>, ImagingError> {
    let riff = le32(b, 4).ok_or(ImagingError::Truncated)?;
    let body = b
        .get(12..riff.saturating_add(8).min(b.len()))
        .ok_or(ImagingError::Truncated)?;
    let mut list = chunks(body);
    let Some((b"VP8X", header)) = list.next() else {
        return Ok(None);
    };
    let flags = *header.first().ok_or(ImagingError::Truncated)?;
    if flags & 0x02 == 0 {
        return Ok(None);
    }
    let canvas = (
        le24(header, 4).ok_or(ImagingError::Truncated)? + 1,
        le24(header, 7).ok_or(ImagingError::Truncated)? + 1,
    );
    let mut icc = None;
    let anmf = loop {
        match list.next() {
            Some((b"ICCP", profile)) => icc = Some(profile),
            Some((b"ANMF", frame)) => break frame,
            Some(_) => {}
            None => return Err(corrupt("an animation without frames")),
        }
    };
    let field = |at| le24(anmf, at).ok_or_else(|| corrupt("ANMF header too short"));
    let offset = (field(0)? * 2, field(3)? * 2);
    let size = (field(6)? + 1, field(9)? + 1);
    if u64::from(offset.0) + u64::from(size.0) > u64::from(canvas.0)
        || u64::from(offset.1) + u64::from(size.1) > u64::from(canvas.1)
    {
        return Err(corrupt("the first frame lies outside the canvas"));
    }
    let data = anmf
        .get(16..)
        .ok_or_else(|| corrupt("ANMF header too short"))?;
    let mut alpha = None;
    let mut bitstream = None;
    for (kind, body) in chunks(data) {
        match kind {
            b"ALPH" if alpha.is_none() => alpha = Some(body),
            b"VP8 " | b"VP8L" => {
                bitstream = Some((kind, body));
                break;
            }
            _ => {}
        }
    }
    let (kind, stream) = bitstream.ok_or_else(|| corrupt("the first frame has no image data"))?;
    // ALPH belongs to VP8 only; VP8L carries its own alpha.
    let alpha = alpha.filter(|_| kind == b"VP8 ");
    let mut vp8x = [0u8; 10];
    vp8x[0] = if icc.is_some() { 0x20 } else { 0 }
        | if alpha.is_some() || kind == b"VP8L" {
            0x10
        } else {
            0
        };
    vp8x[4..7].copy_from_slice(&(size.0 - 1).to_le_bytes()[..3]);
    vp8x[7..10].copy_from_slice(&(size.1 - 1).to_le_bytes()[..3]);
    let mut still = b"RIFF\0\0\0\0WEBP".to_vec();
    push_chunk(&mut still, b"VP8X", &vp8x);
    if let Some(profile) = icc {
        push_chunk(&mut still, b"ICCP", profile);
    }
    if let Some(alpha) = alpha {
        push_chunk(&mut still, b"ALPH", alpha);
    }
    push_chunk(&mut still, kind, stream);
    let riff_len = (still.len() - 8) as u32;
    still[4..8].copy_from_slice(&riff_len.to_le_bytes());
    Ok(Some(FirstFrame {
        canvas,
        offset,
        size,
        still,
    }))
}

impl FirstFrame {
    /// Checks that the canvas plus the frame fit `limits.max_alloc`.
    pub(crate) fn check_budget(&self, limits: &Limits) -> Result<(), ImagingError> {
        let area = |(w, h): (u32, u32)| u64::from(w) * u64::from(h) * 4;
        let needed = area(self.canvas) + area(self.size);
        if needed > limits.max_alloc {
            return Err(ImagingError::LimitExceeded(format!(
                "webp: the canvas needs {needed} bytes, over the limit of {}",
                limits.max_alloc
            )));
        }
        Ok(())
    }

    /// Draws the decoded frame at its offset on a transparent canvas.
    pub(crate) fn place(&self, frame: Pixels) -> Result<Pixels, ImagingError> {
        if (frame.width(), frame.height()) != self.size {
            return Err(corrupt("the frame's size differs from its ANMF header"));
        }
        if self.size == self.canvas {
            return Ok(frame);
        }
        let (width, height) = self.canvas;
        let (left, top) = self.offset;
        frame.with_alpha().pad(width, height, left, top, [0; 4])
    }
}
