//! JPEG matrix: the picture encoded by Debian's `cjpeg` (libjpeg-turbo) in
//! every layout it can write — baseline and progressive, Huffman and
//! arithmetic coding, restart intervals in rows and blocks, every common
//! chroma subsampling, RGB and greyscale, optimised tables, quality and DCT
//! variants, and scan scripts with one component per scan — each decoded by
//! pixpipe and by `djpeg` (same library, default settings: islow IDCT,
//! fancy upsampling).
//!
//! Bound: max 1 level, mean 0.05 per channel. libjpeg-turbo decodes the same
//! bits to the same pixels whatever the version or SIMD path (the islow IDCT
//! and fancy upsampling are bit-exact across them), so a decoder built on it
//! gives 0; one level of slack allows a final colour conversion rounded
//! differently. Any other decoder's IDCT or upsampling shows up as several
//! levels at edges and fails.

use crate::differential::support::{
    Bound, Pnm, Report, Scratch, picture, pixpipe, read_pnm, run, write_pnm,
};

pub const BOUND: Bound = Bound::new(1, 0.05);

/// Baseline, one component per scan (non-interleaved).
const SCANS_SEQUENTIAL: &str = "0;\n1;\n2;\n";
/// Baseline: luma alone, then both chroma components interleaved.
const SCANS_SEQUENTIAL_SPLIT: &str = "0;\n1 2;\n";
/// Progressive, every scan (DC included) of one component only.
const SCANS_PROGRESSIVE_SINGLE: &str = "0: 0-0, 0, 0;\n1: 0-0, 0, 0;\n2: 0-0, 0, 0;\n\
     0: 1-63, 0, 0;\n1: 1-63, 0, 0;\n2: 1-63, 0, 0;\n";
/// Progressive with spectral selection and successive approximation, one
/// component per scan, refinement scans last.
const SCANS_PROGRESSIVE_REFINED: &str = "0: 0-0, 0, 1;\n1: 0-0, 0, 1;\n2: 0-0, 0, 1;\n\
     0: 1-5, 0, 2;\n2: 1-63, 0, 1;\n0: 6-63, 0, 2;\n1: 1-63, 0, 1;\n\
     0: 1-63, 2, 1;\n0: 0-0, 1, 0;\n1: 0-0, 1, 0;\n2: 0-0, 1, 0;\n\
     2: 1-63, 1, 0;\n1: 1-63, 1, 0;\n0: 1-63, 1, 0;\n";

/// (name, cjpeg arguments, grey source); `@NAME` stands for a scan script file.
pub fn encodings() -> Vec<(&'static str, Vec<&'static str>, bool)> {
    let c = |name, args: &[&'static str]| (name, args.to_vec(), false);
    let g = |name, args: &[&'static str]| (name, args.to_vec(), true);
    vec![
        c("q90-420", &["-quality", "90"]),
        c("q100-420", &["-quality", "100"]),
        c("q75-420", &["-quality", "75"]),
        c("q50-420", &["-quality", "50"]),
        c("q10-baseline", &["-quality", "10", "-baseline"]),
        c("q90-444", &["-quality", "90", "-sample", "1x1"]),
        c("q90-422", &["-quality", "90", "-sample", "2x1"]),
        c("q90-440", &["-quality", "90", "-sample", "1x2"]),
        c("q90-420-explicit", &["-sample", "2x2,1x1,1x1"]),
        c("q90-411", &["-quality", "90", "-sample", "4x1"]),
        c("q90-1x4", &["-quality", "90", "-sample", "1x4"]),
        c("q90-4x2", &["-quality", "90", "-sample", "4x2"]),
        c("sample-2x2-1x2-1x1", &["-sample", "2x2,1x2,1x1"]),
        c("sample-2x1-1x1-2x1", &["-sample", "2x1,1x1,2x1"]),
        c("sample-3x2", &["-sample", "3x2"]),
        c("q90-separate-quality", &["-quality", "90,40"]),
        c("progressive", &["-progressive"]),
        c("progressive-444", &["-progressive", "-sample", "1x1"]),
        c("progressive-422", &["-progressive", "-sample", "2x1"]),
        c("progressive-q30", &["-progressive", "-quality", "30"]),
        c("progressive-411", &["-progressive", "-sample", "4x1"]),
        c("arithmetic", &["-arithmetic"]),
        c("arithmetic-progressive", &["-arithmetic", "-progressive"]),
        c("arithmetic-444", &["-arithmetic", "-sample", "1x1"]),
        c("arithmetic-restart-5b", &["-arithmetic", "-restart", "5B"]),
        c("restart-1-row", &["-restart", "1"]),
        c("restart-3-rows-444", &["-restart", "3", "-sample", "1x1"]),
        c("restart-1-block", &["-restart", "1B"]),
        c("restart-7-blocks", &["-restart", "7B"]),
        c("restart-2-progressive", &["-restart", "2", "-progressive"]),
        c(
            "restart-1b-progressive-optimize",
            &["-restart", "1B", "-progressive", "-optimize"],
        ),
        c("optimize", &["-optimize"]),
        c(
            "optimize-444-q95",
            &["-optimize", "-sample", "1x1", "-quality", "95"],
        ),
        c("rgb", &["-rgb"]),
        c("rgb-progressive", &["-rgb", "-progressive"]),
        c("rgb-arithmetic", &["-rgb", "-arithmetic"]),
        c("grayscale-from-colour", &["-grayscale"]),
        c("grayscale-progressive", &["-grayscale", "-progressive"]),
        c("dct-float", &["-dct", "float"]),
        c("dct-fast", &["-dct", "fast"]),
        c(
            "dct-float-q100-444",
            &["-dct", "float", "-quality", "100", "-sample", "1x1"],
        ),
        c("smooth-30", &["-smooth", "30"]),
        c("scans-noninterleaved-420", &["-scans", "@seq"]),
        c(
            "scans-noninterleaved-444",
            &["-scans", "@seq", "-sample", "1x1"],
        ),
        c(
            "scans-noninterleaved-422-restart",
            &["-scans", "@seq", "-sample", "2x1", "-restart", "1"],
        ),
        c(
            "scans-noninterleaved-arithmetic",
            &["-scans", "@seq", "-arithmetic"],
        ),
        c("scans-luma-then-chroma", &["-scans", "@split"]),
        c("scans-progressive-single-420", &["-scans", "@prog"]),
        c(
            "scans-progressive-single-444",
            &["-scans", "@prog", "-sample", "1x1"],
        ),
        c("scans-progressive-refined-420", &["-scans", "@refined"]),
        c(
            "scans-progressive-refined-arithmetic",
            &["-scans", "@refined", "-arithmetic"],
        ),
        g("grey", &[]),
        g("grey-q30", &["-quality", "30"]),
        g("grey-progressive", &["-progressive"]),
        g("grey-arithmetic", &["-arithmetic"]),
        g("grey-restart-2b", &["-restart", "2B"]),
        g("grey-optimize-dct-float", &["-optimize", "-dct", "float"]),
    ]
}

/// Writes the sources and scan scripts into `dir`; returns the PPM and PGM paths.
pub fn sources(dir: &Scratch) -> (String, String) {
    let ppm = dir.path("source.ppm");
    let pgm = dir.path("source.pgm");
    let src = picture(false);
    write_pnm(&ppm, &src, Pnm::Ppm);
    write_pnm(&pgm, &src, Pnm::Pgm);
    for (name, text) in [
        ("seq", SCANS_SEQUENTIAL),
        ("split", SCANS_SEQUENTIAL_SPLIT),
        ("prog", SCANS_PROGRESSIVE_SINGLE),
        ("refined", SCANS_PROGRESSIVE_REFINED),
    ] {
        std::fs::write(dir.path(name), text).expect("scan script");
    }
    let s = |p: std::path::PathBuf| p.to_str().expect("utf-8 path").to_owned();
    (s(ppm), s(pgm))
}

/// Encodes with `cjpeg args`, resolving `@NAME` scan scripts inside `dir`.
pub fn cjpeg(dir: &Scratch, args: &[&str], input: &str) -> Vec<u8> {
    let resolved: Vec<String> = args
        .iter()
        .map(|a| match a.strip_prefix('@') {
            Some(name) => dir.path(name).to_str().expect("utf-8").to_owned(),
            None => (*a).to_owned(),
        })
        .collect();
    let mut all: Vec<&str> = resolved.iter().map(String::as_str).collect();
    all.push(input);
    run("cjpeg", "libjpeg-turbo-progs", &all)
}

/// The reference decode: `djpeg -pnm` of `jpeg` (written into `dir`).
pub fn djpeg(dir: &Scratch, name: &str, jpeg: &[u8]) -> image::RgbaImage {
    let path = dir.path(&format!("{name}.jpg"));
    std::fs::write(&path, jpeg).expect("write jpeg");
    read_pnm(&run(
        "djpeg",
        "libjpeg-turbo-progs",
        &["-pnm", path.to_str().expect("utf-8")],
    ))
}

#[test]
fn cjpeg_matrix_matches_djpeg() {
    let dir = Scratch::new("jpeg");
    let (ppm, pgm) = sources(&dir);
    let mut report = Report::default();
    let cases = encodings();
    assert!(cases.len() >= 40);
    for (name, args, grey) in cases {
        let jpeg = cjpeg(&dir, &args, if grey { &pgm } else { &ppm });
        let reference = djpeg(&dir, name, &jpeg);
        report.compare(
            name,
            pixpipe(&jpeg, reference.dimensions()),
            &reference,
            BOUND,
        );
    }
    report.finish("JPEG (cjpeg) decoded by pixpipe vs djpeg");
}
