//! Shared pieces of the differential tests: the generated source picture,
//! Netpbm (PGM/PPM/PAM) reading and writing, running the reference tools,
//! pixpipe's own decode through `process`, and the pixel comparison.

use std::path::{Path, PathBuf};
use std::process::Command;

use image::RgbaImage;
use pixpipe_imaging::{Fit, Format, ImagingError, Limits, process};

use crate::common::{Rng, decode, variant};

/// Odd on both sides so that no JPEG MCU (8 or 16 pixels, up to 32 for
/// 4x1 / 1x4 sampling) and no Adam7 pass lines up with the edges.
pub const W: u32 = 203;
pub const H: u32 = 157;

/// The source picture, RGBA (alpha 255 where `alpha` is false): smooth
/// gradients, bars of fully saturated primaries and secondaries with hard
/// edges, a 1-pixel checkerboard, a diagonal line, a noisy band and, with
/// `alpha`, an alpha ramp with fully transparent and fully opaque regions.
pub fn picture(alpha: bool) -> RgbaImage {
    const BARS: [[u8; 3]; 8] = [
        [255, 0, 0],
        [0, 255, 0],
        [0, 0, 255],
        [0, 255, 255],
        [255, 0, 255],
        [255, 255, 0],
        [0, 0, 0],
        [255, 255, 255],
    ];
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    RgbaImage::from_fn(W, H, |x, y| {
        let mut p = [
            (x * 255 / (W - 1)) as u8,
            (y * 255 / (H - 1)) as u8,
            (255 - (x + y) * 255 / (W + H - 2)) as u8,
        ];
        if y < H / 3 && x >= W / 3 {
            p = BARS[((x - W / 3) * 8 / (W - W / 3)) as usize];
        } else if y >= 2 * H / 3 && x < W / 3 {
            let v = if (x + y) % 2 == 0 { 255 } else { 0 };
            p = [v, v, v];
        } else if x.abs_diff(y) <= 1 {
            p = [250, 250, 20];
        } else if (H / 3..H / 2).contains(&y) {
            for c in &mut p {
                *c = (i32::from(*c) + (rng.below(65) as i32 - 32)).clamp(0, 255) as u8;
            }
        }
        let a = if !alpha {
            255
        } else if x < 20 {
            0
        } else if y >= 2 * H / 3 {
            255
        } else {
            (x * 255 / (W - 1)) as u8
        };
        image::Rgba([p[0], p[1], p[2], a])
    })
}

/// Rec. 601 luma of the picture, as one grey channel.
pub fn grey(img: &RgbaImage) -> Vec<u8> {
    img.pixels()
        .map(|p| {
            let [r, g, b, _] = p.0.map(u32::from);
            ((299 * r + 587 * g + 114 * b + 500) / 1000) as u8
        })
        .collect()
}

/// A temporary directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(what: &str) -> Scratch {
        let dir = tempfile::Builder::new()
            .prefix(&format!("pixpipe-diff-{what}-"))
            .tempdir()
            .expect("temp dir")
            .keep();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `program` with `args`, returning its standard output. A missing
/// program fails the test naming the Debian package that provides it.
pub fn run(program: &str, package: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{program}` ({e}): install the Debian package `{package}`")
        });
    assert!(
        out.status.success(),
        "`{program} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Writes `img` as binary PPM (RGB), PGM (`grey`) or PAM (RGB_ALPHA).
pub fn write_pnm(path: &Path, img: &RgbaImage, kind: Pnm) {
    let (w, h) = img.dimensions();
    let mut out = match kind {
        Pnm::Ppm => format!("P6\n{w} {h}\n255\n").into_bytes(),
        Pnm::Pgm => format!("P5\n{w} {h}\n255\n").into_bytes(),
        Pnm::Pam => {
            format!("P7\nWIDTH {w}\nHEIGHT {h}\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n")
                .into_bytes()
        }
    };
    match kind {
        Pnm::Ppm => img.pixels().for_each(|p| out.extend_from_slice(&p.0[..3])),
        Pnm::Pgm => out.extend_from_slice(&grey(img)),
        Pnm::Pam => out.extend_from_slice(img.as_raw()),
    }
    std::fs::write(path, out).expect("write pnm");
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pnm {
    Ppm,
    Pgm,
    Pam,
}

/// Reads binary PBM (black 0, white 255), PGM, PPM or PAM (1 to 4 channels, any maxval up to 65535)
/// into RGBA8: grey is replicated, missing alpha is 255, and samples are
/// scaled to 0..=255 with rounding (`v * 255 / maxval`, to nearest).
pub fn read_pnm(bytes: &[u8]) -> RgbaImage {
    let mut fields = Vec::new();
    let mut at = 2;
    let magic = &bytes[..2];
    let header_fields = match magic {
        b"P7" => usize::MAX,
        b"P4" => 2,
        _ => 3,
    };
    // Tokenise the header, skipping comments.
    while fields.len() < header_fields {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if bytes[at] == b'#' {
            while bytes[at] != b'\n' {
                at += 1;
            }
            continue;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let token = std::str::from_utf8(&bytes[start..at]).expect("ascii header");
        if token == "ENDHDR" {
            break;
        }
        fields.push(token.to_owned());
    }
    at += 1; // the single whitespace byte before the raster
    if magic == b"P4" {
        // Bitmap (giftopnm's transparency mask): 1 is black, i.e. transparent.
        let n: Vec<u32> = fields.iter().map(|f| f.parse().expect("number")).collect();
        let stride = n[0].div_ceil(8);
        return RgbaImage::from_fn(n[0], n[1], |x, y| {
            let byte = bytes[at + (y * stride + x / 8) as usize];
            let v = if byte & (0x80 >> (x % 8)) != 0 {
                0
            } else {
                255
            };
            image::Rgba([v, v, v, 255])
        });
    }
    let (w, h, depth, maxval) = match magic {
        b"P5" | b"P6" => {
            let n: Vec<u32> = fields.iter().map(|f| f.parse().expect("number")).collect();
            (n[0], n[1], if magic == b"P5" { 1 } else { 3 }, n[2])
        }
        b"P7" => {
            let get = |key: &str| -> u32 {
                let i = fields.iter().position(|f| f == key).expect(key);
                fields[i + 1].parse().expect("number")
            };
            (get("WIDTH"), get("HEIGHT"), get("DEPTH"), get("MAXVAL"))
        }
        other => panic!("not a binary Netpbm file: {other:?}"),
    };
    let wide = maxval > 255;
    let sample = |i: usize| -> u32 {
        if wide {
            u32::from(u16::from_be_bytes([
                bytes[at + 2 * i],
                bytes[at + 2 * i + 1],
            ]))
        } else {
            u32::from(bytes[at + i])
        }
    };
    let scale = |v: u32| ((v * 255 + maxval / 2) / maxval) as u8;
    let depth = depth as usize;
    RgbaImage::from_fn(w, h, |x, y| {
        let i = (y * w + x) as usize * depth;
        let s: Vec<u8> = (0..depth).map(|c| scale(sample(i + c))).collect();
        image::Rgba(match depth {
            1 => [s[0], s[0], s[0], 255],
            2 => [s[0], s[0], s[0], s[1]],
            3 => [s[0], s[1], s[2], 255],
            _ => [s[0], s[1], s[2], s[3]],
        })
    })
}

/// pixpipe's pixels for `bytes`, the way a user gets them: one `fill`
/// variant of exactly `(w, h)` (the upright size), PNG out, never enlarged,
/// decoded back to RGBA.
pub fn pixpipe(bytes: &[u8], (w, h): (u32, u32)) -> Result<RgbaImage, ImagingError> {
    let v = variant(w, h, Fit::Fill, Format::Png, true);
    let out = process(bytes, &[v], &Limits::default())?;
    Ok(decode(&out[0]))
}

/// Per-channel differences between two pictures of the same size. Colour
/// channels are compared premultiplied by alpha (the colour of a fully
/// transparent pixel is not part of the picture, and pixpipe works on
/// premultiplied pixels), alpha as it is.
#[derive(Debug, Clone, Copy)]
pub struct Diff {
    pub max: [u8; 4],
    pub mean: [f64; 4],
}

impl Diff {
    pub fn between(a: &RgbaImage, b: &RgbaImage) -> Diff {
        assert_eq!(a.dimensions(), b.dimensions(), "sizes differ");
        let mut max = [0u8; 4];
        let mut sum = [0u64; 4];
        for (p, q) in a.pixels().zip(b.pixels()) {
            let pm = |px: &image::Rgba<u8>, c: usize| -> u8 {
                if c == 3 {
                    px.0[3]
                } else {
                    ((u32::from(px.0[c]) * u32::from(px.0[3]) + 127) / 255) as u8
                }
            };
            for (c, (m, s)) in max.iter_mut().zip(&mut sum).enumerate() {
                let d = pm(p, c).abs_diff(pm(q, c));
                *m = (*m).max(d);
                *s += u64::from(d);
            }
        }
        let n = f64::from(a.width() * a.height());
        Diff {
            max,
            mean: sum.map(|s| s as f64 / n),
        }
    }

    pub fn within(&self, bound: Bound) -> bool {
        let colour = self.max[..3]
            .iter()
            .all(|&m| m <= bound.max + bound.colour_slack)
            && self.mean[..3]
                .iter()
                .all(|&m| m <= bound.mean + 0.1 * f64::from(bound.colour_slack));
        colour && self.max[3] <= bound.max && self.mean[3] <= bound.mean
    }
}

impl std::fmt::Display for Diff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [r, g, b, a] = self.mean;
        write!(
            f,
            "max {:?} mean [{r:.3}, {g:.3}, {b:.3}, {a:.3}]",
            self.max
        )
    }
}

/// The largest per-channel difference allowed anywhere, and per channel on
/// average; `colour_slack` more on colour channels (see [`Bound::with_alpha_round_trip`]).
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub max: u8,
    pub mean: f64,
    pub colour_slack: u8,
}

impl Bound {
    pub const fn new(max: u8, mean: f64) -> Bound {
        Bound {
            max,
            mean,
            colour_slack: 0,
        }
    }

    /// For pictures with partly transparent pixels: pixpipe premultiplies
    /// alpha after decoding and divides it out before encoding PNG
    /// (fast_image_resize's `MulDiv`); that round trip is not exactly
    /// rounded and moves about 1% of such colour samples by one level even
    /// in a same-size variant (see `same_size_png_variant_is_an_identity`).
    /// So colour gets one more level of max (and 0.1 of mean: the error repeats
    /// wherever a colour and alpha pair repeats, as in palette images); alpha none.
    pub fn with_alpha_round_trip(self) -> Bound {
        Bound {
            colour_slack: 1,
            ..self
        }
    }
}

/// Whether any pixel is neither fully opaque nor fully transparent.
pub fn has_partial_alpha(img: &RgbaImage) -> bool {
    img.pixels().any(|p| p.0[3] != 0 && p.0[3] != 255)
}

/// Collects one line per case and fails once at the end, listing every case
/// outside its bound (so one run reports the whole matrix).
#[derive(Default)]
pub struct Report {
    lines: Vec<String>,
    failures: Vec<String>,
}

impl Report {
    /// Records `pixpipe` against `reference` for `case`.
    pub fn compare(
        &mut self,
        case: &str,
        pixpipe: Result<RgbaImage, ImagingError>,
        reference: &RgbaImage,
        bound: Bound,
    ) {
        match pixpipe {
            Err(e) => self.fail(case, format!("pixpipe failed: {} ({e})", e.code())),
            Ok(img) if img.dimensions() != reference.dimensions() => self.fail(
                case,
                format!(
                    "size {:?}, reference {:?}",
                    img.dimensions(),
                    reference.dimensions()
                ),
            ),
            Ok(img) => {
                let diff = Diff::between(&img, reference);
                let bound = if has_partial_alpha(reference) {
                    bound.with_alpha_round_trip()
                } else {
                    bound
                };
                let line = format!("{case}: {diff}");
                if diff.within(bound) {
                    self.lines.push(line);
                } else {
                    self.fail(case, format!("{diff} outside {bound:?}"));
                }
            }
        }
    }

    pub fn fail(&mut self, case: &str, why: String) {
        self.lines.push(format!("{case}: FAIL {why}"));
        self.failures.push(format!("{case}: {why}"));
    }

    /// Prints every line, then panics listing the failures, if any.
    pub fn finish(self, what: &str) {
        for line in &self.lines {
            eprintln!("{line}");
        }
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} cases outside their bound:\n{}",
            self.failures.len(),
            self.lines.len(),
            self.failures.join("\n")
        );
    }
}
