//! The known-bad inputs of `tests/fixtures/cases/` (see its README) through
//! `pixpipe process`, as a user runs it: every output of the `standard` and
//! `seed` presets must have the size the fit rules give for the *upright*
//! picture and show the four quadrant colours, composited on white, at the
//! centre of each quadrant (±12 levels: the outputs are lossy JPEG and WebP).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Top left, top right, bottom left, bottom right (sRGB).
const QUADRANTS: [[u8; 3]; 4] = [[220, 40, 40], [40, 180, 60], [40, 70, 210], [235, 215, 40]];
const TOLERANCE: u8 = 12;

/// Each case file and the size of its upright picture.
const CASES: [(&str, (u32, u32)); 5] = [
    ("jpeg-noninterleaved-420-64x48.jpg", (64, 48)),
    ("jpeg-rgb-adobe0-ids123-64x48.jpg", (64, 48)),
    ("jpeg-arithmetic-64x48.jpg", (64, 48)),
    ("webp-exif-prefixed-orientation-6.webp", (240, 160)),
    ("gif-screen-0x0.gif", (128, 96)),
];

#[derive(Clone, Copy)]
enum Fit {
    Cover,
    Inside,
    Fill,
}

/// A variant: name, file extension, fit, box, without enlargement.
type Rule = (&'static str, &'static str, Fit, (u32, u32), bool);

/// The presets' variants, as `core`'s preset list describes them.
fn presets() -> [(&'static str, Vec<Rule>); 2] {
    [
        (
            "standard",
            vec![
                ("thumb", "jpg", Fit::Cover, (300, 300), true),
                ("medium", "webp", Fit::Inside, (1024, 1024), true),
                ("large", "jpg", Fit::Inside, (2048, 2048), true),
            ],
        ),
        ("seed", vec![("seed", "jpg", Fit::Fill, (300, 300), false)]),
    ]
}

/// The output size the fit rules (README, "Variants") give for an upright
/// `(w, h)` source in box `(bw, bh)`. Cover without enlargement crops the
/// largest centred region of the box's aspect ratio at scale 1 instead of
/// upscaling.
fn expected_size(
    fit: Fit,
    (bw, bh): (u32, u32),
    no_enlarge: bool,
    (w, h): (u32, u32),
) -> (u32, u32) {
    let (sx, sy) = (f64::from(bw) / f64::from(w), f64::from(bh) / f64::from(h));
    let scaled = |s: f64| {
        let s = if no_enlarge { s.min(1.0) } else { s };
        (
            (f64::from(w) * s).round() as u32,
            (f64::from(h) * s).round() as u32,
        )
    };
    match fit {
        Fit::Inside => scaled(sx.min(sy)),
        Fit::Fill if no_enlarge => (bw.min(w), bh.min(h)),
        Fit::Fill => (bw, bh),
        Fit::Cover if no_enlarge && sx.max(sy) > 1.0 => {
            // Region of aspect bw:bh inside w x h, at scale 1.
            if u64::from(w) * u64::from(bh) > u64::from(h) * u64::from(bw) {
                (
                    (f64::from(h) * f64::from(bw) / f64::from(bh)).round() as u32,
                    h,
                )
            } else {
                (
                    w,
                    (f64::from(w) * f64::from(bh) / f64::from(bw)).round() as u32,
                )
            }
        }
        Fit::Cover => (bw, bh),
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cases")
        .join(name)
}

/// Runs `pixpipe process --preset PRESET` on `files`; returns each file's JSON line.
fn process(preset: &str, out: &Path, files: &[PathBuf]) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_pixpipe"))
        .args(["process", "--preset", preset, "--out"])
        .arg(out)
        .args(files)
        .output()
        .expect("run pixpipe");
    String::from_utf8(output.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// What is wrong with one output, if anything.
fn check_output(path: &Path, want: (u32, u32)) -> Option<String> {
    let img = match image::open(path) {
        Ok(img) => img.to_rgba8(),
        Err(e) => return Some(format!("does not decode: {e}")),
    };
    if img.dimensions() != want {
        return Some(format!("size {:?}, want {want:?}", img.dimensions()));
    }
    let (w, h) = want;
    let mut wrong = Vec::new();
    for (i, (x, y)) in [
        (w / 4, h / 4),
        (3 * w / 4, h / 4),
        (w / 4, 3 * h / 4),
        (3 * w / 4, 3 * h / 4),
    ]
    .into_iter()
    .enumerate()
    {
        let [r, g, b, a] = img.get_pixel(x, y).0.map(u32::from);
        // Composited on white.
        let got = [r, g, b].map(|c| ((c * a + 255 * (255 - a) + 127) / 255) as u8);
        if got
            .iter()
            .zip(QUADRANTS[i])
            .any(|(&c, e)| c.abs_diff(e) > TOLERANCE)
        {
            wrong.push(format!(
                "quadrant {i} at ({x},{y}) is {got:?}, want {:?}",
                QUADRANTS[i]
            ));
        }
    }
    (!wrong.is_empty()).then(|| wrong.join("; "))
}

#[test]
fn known_bad_inputs_come_out_upright_with_their_four_colours() {
    let out = tempfile::tempdir().unwrap();
    // A control that pixpipe handles: the same picture as a plain PNG, made
    // here. It must pass, or the checks themselves are wrong.
    let control = out.path().join("control-64x48.png");
    image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb(QUADRANTS[usize::from(x >= 32) + 2 * usize::from(y >= 24)])
    })
    .save(&control)
    .unwrap();
    let mut files: Vec<PathBuf> = CASES.iter().map(|(name, _)| fixture(name)).collect();
    files.push(control);
    let mut cases: Vec<(&str, (u32, u32))> = CASES.to_vec();
    cases.push(("control-64x48.png", (64, 48)));

    let mut failures = Vec::new();
    for (preset, variants) in presets() {
        let dir = out.path().join(preset);
        let lines = process(preset, &dir, &files);
        assert_eq!(lines.len(), files.len(), "one JSON line per file");
        for ((file, upright), line) in cases.iter().zip(&lines) {
            if line["ok"] != true {
                failures.push(format!("{file} ({preset}): failed with {}", line["error"]));
                continue;
            }
            let stem = file.rsplit_once('.').unwrap().0;
            for (name, ext, fit, bounds, no_enlarge) in &variants {
                let want = expected_size(*fit, *bounds, *no_enlarge, *upright);
                let path = dir.join(stem).join(format!("{name}.{ext}"));
                if let Some(why) = check_output(&path, want) {
                    failures.push(format!("{file} {preset}/{name}: {why}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} wrong outputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fit_rule_sizes_as_documented() {
    // The arithmetic above, on cases worked out by hand.
    assert_eq!(
        expected_size(Fit::Cover, (300, 300), true, (64, 48)),
        (48, 48)
    );
    assert_eq!(
        expected_size(Fit::Cover, (300, 300), true, (240, 160)),
        (160, 160)
    );
    assert_eq!(
        expected_size(Fit::Cover, (300, 300), true, (640, 480)),
        (300, 300)
    );
    assert_eq!(
        expected_size(Fit::Inside, (1024, 1024), true, (240, 160)),
        (240, 160)
    );
    assert_eq!(
        expected_size(Fit::Inside, (100, 100), true, (240, 160)),
        (100, 67)
    );
    assert_eq!(
        expected_size(Fit::Fill, (300, 300), false, (64, 48)),
        (300, 300)
    );
}
