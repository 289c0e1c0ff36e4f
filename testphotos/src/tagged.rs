//! Inputs that carry what a job reports about its source: an EXIF block with
//! GPS and a camera serial number, and an animated GIF.

use std::borrow::Cow;

/// A big-endian TIFF block: IFD0 with the Exif and GPS IFD pointers, an
/// Exif IFD holding BodySerialNumber `SN12345`, a GPS IFD holding
/// GPSLatitudeRef `N`.
pub fn gps_and_serial_tiff() -> Vec<u8> {
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = tag.to_be_bytes().to_vec();
        e.extend_from_slice(&kind.to_be_bytes());
        e.extend_from_slice(&count.to_be_bytes());
        e.extend_from_slice(&value.to_be_bytes());
        e
    };
    let ifd = |entries: &[Vec<u8>]| {
        let mut out = (entries.len() as u16).to_be_bytes().to_vec();
        out.extend(entries.concat());
        out.extend_from_slice(&[0; 4]);
        out
    };
    // IFD0 at 8 (2 entries: 30 bytes), Exif IFD at 38 (18 bytes), GPS IFD
    // at 56 (18 bytes), the serial's text at 74.
    let mut t = b"MM\0*\0\0\0\x08".to_vec();
    t.extend(ifd(&[entry(0x8769, 4, 1, 38), entry(0x8825, 4, 1, 56)]));
    t.extend(ifd(&[entry(0xA431, 2, 8, 74)]));
    t.extend(ifd(&[entry(0x0001, 2, 2, u32::from_be_bytes(*b"N\0\0\0"))]));
    t.extend_from_slice(b"SN12345\0");
    t
}

/// `jpeg` with an APP1 `Exif` segment holding `tiff`, right after SOI.
pub fn with_exif_tiff(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], [0xFF, 0xD8], "not a JPEG");
    let body = [&b"Exif\0\0"[..], tiff].concat();
    let length = u16::try_from(body.len() + 2).expect("small segment");
    [
        &jpeg[..2],
        &[0xFF, 0xE1],
        &length.to_be_bytes(),
        &body,
        &jpeg[2..],
    ]
    .concat()
}

/// A `width`x`height` GIF of `frames` frames, each a flat grey of its own.
pub fn animated_gif(width: u16, height: u16, frames: u8) -> Vec<u8> {
    let palette: Vec<u8> = (0..=255u8).flat_map(|i| [i, 255 - i, i / 2]).collect();
    let mut gif = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut gif, width, height, &palette).expect("encoder");
        for i in 0..frames {
            let frame = gif::Frame {
                width,
                height,
                delay: 10,
                buffer: Cow::Owned(vec![
                    i.wrapping_mul(40);
                    usize::from(width) * usize::from(height)
                ]),
                ..gif::Frame::default()
            };
            encoder.write_frame(&frame).expect("frame");
        }
    }
    gif
}
