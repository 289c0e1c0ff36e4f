//! `--watermark FILE` / `PIXPIPE_WATERMARK`: the server's overlay PNG, read
//! and decoded once while the flags are parsed, so a missing, oversized or
//! undecodable file stops the server at start-up rather than failing jobs.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use pixpipe_imaging::{MAX_WATERMARK_BYTES, Watermark};

/// The configured overlay and where it came from.
#[derive(Clone)]
pub struct WatermarkFile {
    pub path: PathBuf,
    pub image: Arc<Watermark>,
}

impl fmt::Debug for WatermarkFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (w, h) = self.image.dimensions();
        write!(f, "WatermarkFile({}, {w}x{h})", self.path.display())
    }
}

impl WatermarkFile {
    /// Reads at most [`MAX_WATERMARK_BYTES`] (+1 to notice more) and decodes the PNG.
    pub fn load(path: &Path) -> anyhow::Result<WatermarkFile> {
        let file = std::fs::File::open(path)
            .with_context(|| format!("opening watermark {}", path.display()))?;
        let mut bytes = Vec::new();
        file.take(MAX_WATERMARK_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading watermark {}", path.display()))?;
        let image = Watermark::from_png(&bytes)
            .with_context(|| format!("watermark {} is not usable", path.display()))?;
        Ok(WatermarkFile {
            path: path.to_path_buf(),
            image: Arc::new(image),
        })
    }
}

/// clap value parser of `--watermark`.
pub fn parse(raw: &str) -> Result<WatermarkFile, String> {
    WatermarkFile::load(Path::new(raw)).map_err(|e| format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_a_png_and_refuses_the_rest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let good = dir.path().join("mark.png");
        image::RgbaImage::from_pixel(8, 4, image::Rgba([1, 2, 3, 200]))
            .save(&good)
            .expect("write png");
        let loaded = parse(good.to_str().expect("utf-8")).expect("loads");
        assert_eq!(loaded.image.dimensions(), (8, 4));
        assert!(format!("{loaded:?}").contains("8x4"));

        let text = dir.path().join("mark.txt");
        std::fs::write(&text, "not a png").expect("write");
        assert!(parse(text.to_str().expect("utf-8")).is_err());
        let big = dir.path().join("big.png");
        std::fs::write(&big, vec![0u8; MAX_WATERMARK_BYTES + 10]).expect("write");
        assert!(parse(big.to_str().expect("utf-8")).is_err());
        assert!(parse("/nonexistent/mark.png").is_err());
    }
}
