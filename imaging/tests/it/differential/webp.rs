//! WebP matrix: Debian's `cwebp` lossy (several qualities, `-sharp_yuv`,
//! methods), lossless (`-exact`, near-lossless), with lossy and lossless
//! alpha, and a JPEG's EXIF (orientation 6) carried over by `-metadata exif`;
//! each decoded by pixpipe and by `dwebp -pam`.
//!
//! Bounds: lossless, exact. Lossy: VP8 itself decodes bit-exactly in every
//! conforming decoder; the YUV 4:2:0 to RGB step (upsampling and conversion)
//! is not part of the format, so allow max 2 levels, mean 0.1 per channel
//! (libwebp on both sides gives 0). Alpha is compared exactly whenever it was
//! stored losslessly, and premultiplied colour as for every test here.

use crate::common::with_exif_orientation;
use crate::differential::jpeg::cjpeg;
use crate::differential::support::{
    Bound, Pnm, Report, Scratch, picture, pixpipe, read_pnm, run, write_pnm,
};

const LOSSY: Bound = Bound::new(2, 0.1);
const EXACT: Bound = Bound::new(0, 0.0);

fn dwebp(path: &str) -> image::RgbaImage {
    read_pnm(&run("dwebp", "webp", &[path, "-pam", "-o", "-"]))
}

#[test]
fn cwebp_matrix_matches_dwebp() {
    let dir = Scratch::new("webp");
    let ppm = dir.path("source.ppm");
    let pam = dir.path("source-alpha.pam");
    write_pnm(&ppm, &picture(false), Pnm::Ppm);
    write_pnm(&pam, &picture(true), Pnm::Pam);
    let (ppm, pam) = (
        ppm.to_str().unwrap().to_owned(),
        pam.to_str().unwrap().to_owned(),
    );

    // An EXIF-carrying JPEG (orientation 6: rotate 90 degrees clockwise to
    // view) for `-metadata exif`.
    let jpeg = with_exif_orientation(&cjpeg(&dir, &["-quality", "95"], &ppm), 6);
    let exif_jpeg = dir.path("exif.jpg");
    std::fs::write(&exif_jpeg, jpeg).expect("write jpeg");
    let exif_jpeg = exif_jpeg.to_str().unwrap().to_owned();

    let cases: Vec<(&str, Vec<&str>, &str, Bound)> = vec![
        ("lossy-q10", vec!["-q", "10"], &ppm, LOSSY),
        ("lossy-q50", vec!["-q", "50"], &ppm, LOSSY),
        ("lossy-q75", vec!["-q", "75"], &ppm, LOSSY),
        ("lossy-q95-m6", vec!["-q", "95", "-m", "6"], &ppm, LOSSY),
        ("lossy-q100", vec!["-q", "100"], &ppm, LOSSY),
        (
            "lossy-m0-no-filter",
            vec!["-q", "80", "-m", "0", "-f", "0", "-sns", "0"],
            &ppm,
            LOSSY,
        ),
        (
            "lossy-sharp-yuv",
            vec!["-q", "80", "-sharp_yuv"],
            &ppm,
            LOSSY,
        ),
        (
            "lossy-segments-1-partitions",
            vec!["-q", "70", "-segments", "1", "-partition_limit", "50"],
            &ppm,
            LOSSY,
        ),
        ("lossless", vec!["-lossless"], &ppm, EXACT),
        ("lossless-z9", vec!["-lossless", "-z", "9"], &ppm, EXACT),
        (
            "near-lossless-60",
            vec!["-lossless", "-near_lossless", "60"],
            &ppm,
            EXACT,
        ),
        ("lossless-alpha", vec!["-lossless"], &pam, EXACT),
        (
            "lossless-alpha-exact",
            vec!["-lossless", "-exact"],
            &pam,
            EXACT,
        ),
        // Lossy colour with lossless alpha (alpha_q 100, the default).
        ("lossy-alpha-lossless", vec!["-q", "80"], &pam, LOSSY),
        (
            "lossy-alpha-lossless-exact",
            vec!["-q", "80", "-exact", "-alpha_filter", "best"],
            &pam,
            LOSSY,
        ),
        (
            "lossy-alpha-q50",
            vec!["-q", "80", "-alpha_q", "50"],
            &pam,
            LOSSY,
        ),
        (
            "lossy-alpha-q0-sharp",
            vec!["-q", "60", "-alpha_q", "0", "-sharp_yuv"],
            &pam,
            LOSSY,
        ),
    ];
    let mut report = Report::default();
    for (name, args, input, bound) in &cases {
        let out = dir.path(&format!("{name}.webp"));
        let out = out.to_str().unwrap();
        let mut all = args.clone();
        all.extend_from_slice(&["-quiet", input, "-o", out]);
        run("cwebp", "webp", &all);
        let reference = dwebp(out);
        let bytes = std::fs::read(out).expect("read webp");
        report.compare(
            name,
            pixpipe(&bytes, reference.dimensions()),
            &reference,
            *bound,
        );
    }

    // EXIF carried into the WebP by cwebp: the picture must come out upright,
    // dwebp's (stored) pixels turned 90 degrees clockwise.
    let out = dir.path("exif.webp");
    let out = out.to_str().unwrap();
    run(
        "cwebp",
        "webp",
        &[
            "-q",
            "90",
            "-metadata",
            "exif",
            "-quiet",
            &exif_jpeg,
            "-o",
            out,
        ],
    );
    let bytes = std::fs::read(out).expect("read webp");
    assert!(
        bytes.windows(4).any(|w| w == b"EXIF"),
        "cwebp -metadata exif wrote no EXIF chunk"
    );
    let upright = image::imageops::rotate90(&dwebp(out));
    report.compare(
        "lossy-exif-orientation-6",
        pixpipe(&bytes, upright.dimensions()),
        &upright,
        LOSSY,
    );
    report.finish("WebP (cwebp) decoded by pixpipe vs dwebp");
}
