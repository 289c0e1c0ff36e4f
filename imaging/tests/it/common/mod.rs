//! Helpers shared by the integration tests: tiny generated images, hand-made
//! EXIF blocks, JPEG segments, PNG chunks and WebP (RIFF) files, output
//! decoding, and a small PRNG.
#![allow(dead_code)]

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};
use pixpipe_imaging::{Fit, Format, Output, Variant};

/// Encodes `img` in `format` with the `image` crate's default encoder.
pub fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

/// Encodes `img` as a JPEG of high quality.
pub fn jpeg(img: &DynamicImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    img.to_rgb8()
        .write_with_encoder(encoder)
        .expect("encode jpeg");
    out
}

pub fn variant(
    width: u32,
    height: u32,
    fit: Fit,
    format: Format,
    without_enlargement: bool,
) -> Variant {
    Variant {
        quality: 90,
        without_enlargement,
        ..Variant::new(width, height, fit, format)
    }
}

/// Decodes an output, checking it is in its stated format and size.
pub fn decode(output: &Output) -> RgbaImage {
    let format = match output.format {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::Webp => ImageFormat::WebP,
        // The `image` crate here decodes no AVIF: loading fails loudly.
        Format::Avif => ImageFormat::Avif,
    };
    assert_eq!(
        image::guess_format(&output.bytes).ok(),
        Some(format),
        "output format"
    );
    let img = image::load_from_memory_with_format(&output.bytes, format).expect("output decodes");
    assert_eq!(
        (img.width(), img.height()),
        (output.width, output.height),
        "stated size"
    );
    img.to_rgba8()
}

/// Whether two pixels differ by at most `tolerance` on every channel.
pub fn close(a: Rgba<u8>, b: [u8; 4], tolerance: u8) -> bool {
    a.0.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}

/// A `w`x`h` image with four flat quadrants: red, green / blue, yellow.
pub fn quadrants(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| match (x < w / 2, y < h / 2) {
        (true, true) => Rgba([220, 30, 30, 255]),
        (false, true) => Rgba([30, 200, 30, 255]),
        (true, false) => Rgba([30, 30, 220, 255]),
        (false, false) => Rgba([230, 230, 40, 255]),
    })
}

/// A TIFF block whose IFD0 holds just `orientation`, in either byte order.
pub fn orientation_tiff(orientation: u16, big_endian: bool) -> Vec<u8> {
    let u16s = |v: u16| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32s = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut tiff = if big_endian {
        b"MM\0\x2A".to_vec()
    } else {
        b"II\x2A\0".to_vec()
    };
    tiff.extend_from_slice(&u32s(8)); // IFD0 at 8
    tiff.extend_from_slice(&u16s(1)); // one entry
    tiff.extend_from_slice(&u16s(0x0112)); // Orientation
    tiff.extend_from_slice(&u16s(3)); // SHORT
    tiff.extend_from_slice(&u32s(1)); // count
    tiff.extend_from_slice(&u16s(orientation));
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&u32s(0)); // no next IFD
    tiff
}

/// Inserts an EXIF APP1 segment carrying `orientation` right after SOI.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&orientation_tiff(orientation, true));

    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(
        &u16::try_from(payload.len() + 2)
            .expect("small")
            .to_be_bytes(),
    );
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Inserts an `eXIf` chunk holding `block` right after the IHDR of `png`.
pub fn png_with_exif(png: &[u8], block: &[u8]) -> Vec<u8> {
    let ihdr_end = 8 + 12 + 13;
    let mut out = png[..ihdr_end].to_vec();
    push_chunk(&mut out, b"eXIf", block);
    out.extend_from_slice(&png[ihdr_end..]);
    out
}

/// Appends a RIFF chunk, padded to an even length.
pub fn push_riff_chunk(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(kind);
    out.extend_from_slice(&u32::try_from(body.len()).expect("small").to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

/// A WebP file made of `chunks`, with its RIFF size set.
pub fn riff_webp(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut out = b"RIFF\0\0\0\0WEBP".to_vec();
    for (kind, body) in chunks {
        push_riff_chunk(&mut out, kind, body);
    }
    let len = u32::try_from(out.len() - 8).expect("small");
    out[4..8].copy_from_slice(&len.to_le_bytes());
    out
}

/// The chunks of a WebP file, in order: (FourCC, payload).
pub fn riff_chunks(webp: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 12;
    while at + 8 <= webp.len() {
        let kind: [u8; 4] = webp[at..at + 4].try_into().expect("4 bytes");
        let len = u32::from_le_bytes(webp[at + 4..at + 8].try_into().expect("4 bytes")) as usize;
        out.push((kind, webp[at + 8..at + 8 + len].to_vec()));
        at += 8 + len + len % 2;
    }
    out
}

/// The VP8L bitstream of `img`, losslessly encoded by the `image` crate.
pub fn vp8l(img: &RgbaImage) -> Vec<u8> {
    let file = encode(&DynamicImage::ImageRgba8(img.clone()), ImageFormat::WebP);
    riff_chunks(&file)
        .into_iter()
        .find(|(kind, _)| kind == b"VP8L")
        .expect("a VP8L chunk")
        .1
}

/// The 10-byte VP8X payload: `flags` and the canvas size.
pub fn vp8x(flags: u8, width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![flags, 0, 0, 0];
    out.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    out.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    out
}

/// A still lossless WebP of `img` (VP8X with the EXIF flag) carrying an
/// `EXIF` chunk that holds `block`.
pub fn webp_with_exif(img: &RgbaImage, block: &[u8]) -> Vec<u8> {
    riff_webp(&[
        (b"VP8X", &vp8x(0x08, img.width(), img.height())),
        (b"VP8L", &vp8l(img)),
        (b"EXIF", block),
    ])
}

/// CRC-32 as used by PNG chunks.
pub fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for part in parts {
        for &byte in *part {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc
}

/// Appends a PNG chunk with a correct CRC.
pub fn push_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    png.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// A PNG signature plus an IHDR for an 8-bit image of `color_type`.
pub fn png_start(width: u32, height: u32, color_type: u8) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, color_type, 0, 0, 0]);
    push_chunk(&mut png, b"IHDR", &ihdr);
    png
}

/// LSB-first bit writer for DEFLATE.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// Huffman codes are sent most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        self.put(code.reverse_bits() >> (32 - len), len);
    }
}

/// A zlib stream of `n` zero bytes: one fixed-Huffman block made of a
/// literal 0 and then <length 258, distance 1> copies (1032:1-ish).
pub fn zlib_zeros(n: u64) -> Vec<u8> {
    let mut bits = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = fixed Huffman
    let literal_zero = |b: &mut Bits| b.code(0x30, 8);
    let mut left = n;
    if left > 0 {
        literal_zero(&mut bits);
        left -= 1;
    }
    while left >= 258 {
        bits.code(0xC5, 8); // length code 285 = 258
        bits.code(0, 5); // distance code 0 = 1
        left -= 258;
    }
    for _ in 0..left {
        literal_zero(&mut bits);
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7); // flush to a byte boundary
    let mut out = bits.out;
    if bits.n > 0 {
        out.push(bits.acc as u8);
    }
    // Adler-32 of zeros: a stays 1, b grows by 1 per byte.
    let adler = ((n % 65521) << 16) as u32 | 1;
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

/// An 8-bit greyscale PNG of `width`x`height` zeros, compressed for real.
pub fn png_of_zeros(width: u32, height: u32) -> Vec<u8> {
    let mut png = png_start(width, height, 0);
    let raw = (u64::from(width) + 1) * u64::from(height); // filter byte per row
    push_chunk(&mut png, b"IDAT", &zlib_zeros(raw));
    push_chunk(&mut png, b"IEND", &[]);
    png
}

/// Deterministic xorshift64* generator.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Mean absolute difference per channel between two outputs of equal size.
pub fn mean_difference(a: &Output, b: &Output) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let (a, b) = (decode(a), decode(b));
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

/// A zlib stream holding `data` in stored (uncompressed) blocks.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}
