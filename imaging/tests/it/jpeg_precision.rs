//! JPEGs of more than 8 bits and lossless JPEGs (SOF3), which no Debian
//! `cjpeg` of this generation writes: made here with libjpeg-turbo's own
//! TurboJPEG compressor (12-bit DCT, and lossless at 8, 12 and 16 bits),
//! decoded by pixpipe and compared with the samples that went in.
//!
//! Bounds: lossless files must come back exact after the rounding to 8 bits
//! (at most 1 level off); the 12-bit DCT file at quality 95 without chroma
//! subsampling within 3 levels per sample (measured: at most 2).

use crate::common::variant;
use pixpipe_imaging::{Fit, Format, Limits, process};
use turbojpeg_sys as tj;

const W: usize = 61;
const H: usize = 43;

/// A smooth RGB picture with `bits` per sample.
fn picture(bits: u32) -> Vec<u16> {
    let max = (1u32 << bits) - 1;
    let mut v = Vec::with_capacity(W * H * 3);
    for y in 0..H {
        for x in 0..W {
            let r = x as u32 * max / (W as u32 - 1);
            let g = y as u32 * max / (H as u32 - 1);
            let b = (x + y) as u32 * max / (W + H - 2) as u32;
            v.extend([r as u16, g as u16, (max - b) as u16]);
        }
    }
    v
}

/// Compresses `samples` (RGB, `bits` per sample) with TurboJPEG.
fn compress(samples: &[u16], bits: u32, lossless: bool) -> Vec<u8> {
    // SAFETY: a fresh handle, a source buffer of W*H*3 samples, and a
    // destination TurboJPEG allocates and this function frees.
    unsafe {
        let h = tj::tj3Init(tj::TJINIT_TJINIT_COMPRESS as i32);
        assert!(!h.is_null());
        let set = |p: u32, v: i32| assert_eq!(tj::tj3Set(h, p as i32, v), 0, "tj3Set {p}");
        set(tj::TJPARAM_TJPARAM_PRECISION, bits as i32);
        set(tj::TJPARAM_TJPARAM_SUBSAMP, tj::TJSAMP_TJSAMP_444);
        if lossless {
            set(tj::TJPARAM_TJPARAM_LOSSLESS, 1);
            set(tj::TJPARAM_TJPARAM_LOSSLESSPSV, 1);
        } else {
            set(tj::TJPARAM_TJPARAM_QUALITY, 95);
        }
        let mut buf: *mut u8 = std::ptr::null_mut();
        let mut size: tj::size_t = 0;
        let (w, pitch, hh, pf) = (W as i32, (W * 3) as i32, H as i32, tj::TJPF_TJPF_RGB);
        let status = if bits <= 8 {
            let bytes: Vec<u8> = samples.iter().map(|&s| s as u8).collect();
            tj::tj3Compress8(h, bytes.as_ptr(), w, pitch, hh, pf, &mut buf, &mut size)
        } else if bits <= 12 {
            let shorts: Vec<i16> = samples.iter().map(|&s| s as i16).collect();
            tj::tj3Compress12(h, shorts.as_ptr(), w, pitch, hh, pf, &mut buf, &mut size)
        } else {
            tj::tj3Compress16(h, samples.as_ptr(), w, pitch, hh, pf, &mut buf, &mut size)
        };
        assert_eq!(status, 0, "compress {bits} bits");
        let out = std::slice::from_raw_parts(buf, size as usize).to_vec();
        tj::tj3Free(buf.cast());
        tj::tj3Destroy(h);
        out
    }
}

/// The largest difference between pixpipe's decode and the source, reduced
/// to 8 bits with rounding.
fn worst(bits: u32, lossless: bool) -> u8 {
    let source = picture(bits);
    let jpeg = compress(&source, bits, lossless);
    let same = variant(W as u32, H as u32, Fit::Fill, Format::Png, true);
    let out = process(&jpeg, &[same], &Limits::default()).expect("decodes");
    let png = image::load_from_memory(&out[0].bytes)
        .expect("png")
        .to_rgb8();
    assert_eq!((png.width(), png.height()), (W as u32, H as u32));
    let max = (1u32 << bits) - 1;
    png.as_raw()
        .iter()
        .zip(&source)
        .map(|(&got, &s)| {
            let want = ((u32::from(s) * 255 + max / 2) / max) as u8;
            got.abs_diff(want)
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn lossless_jpegs_come_back_exact() {
    for bits in [8, 12, 16] {
        let w = worst(bits, true);
        assert!(w <= 1, "lossless {bits}-bit: off by {w}");
    }
}

#[test]
fn twelve_bit_jpeg_decodes_to_its_colours() {
    let w = worst(12, false);
    assert!(w <= 3, "12-bit DCT: off by {w}");
}
