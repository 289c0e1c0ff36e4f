//! A small safe handle over libjpeg-turbo's TurboJPEG 3 decompressor and
//! compressor, through the `turbojpeg-sys` binding (which builds the bundled libjpeg-turbo 3.1
//! with its SIMD code, and arithmetic decoding on).
//!
//! It is the engine's only `unsafe` code. Every call goes through a handle
//! owned by [`Handle`] and destroyed on drop; buffers are Rust slices
//! whose sizes are checked against the header before the library writes to
//! them. libjpeg's fatal errors come back as `Err` (TurboJPEG catches them
//! with `setjmp`); its warnings come back as `Err` too, with
//! [`TurboError::warning`] set and the whole image decoded, so that the
//! caller decides what a warning means (see `crate::jpeg`).

use std::ffi::CStr;

use turbojpeg_sys as tj;

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub width: u32,
    pub height: u32,
    /// `tj::TJCS_*`: RGB, YCbCr, grey, CMYK or YCCK.
    pub colorspace: u32,
    /// Bits per sample: 8 or 12 for DCT images, 2 to 16 for lossless ones.
    pub precision: u32,
    pub lossless: bool,
}

/// An error or a warning of libjpeg, with its message (the first one
/// libjpeg emitted, for warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TurboError {
    pub warning: bool,
    pub message: String,
}

/// The openings of libjpeg's warning messages (`JWRN_*` in jerror.h).
const WARNINGS: [&str; 7] = [
    "Corrupt JPEG data:",
    "Premature end of JPEG file",
    "Invalid SOS parameters for sequential JPEG",
    "Inconsistent progression sequence",
    "Unknown Adobe color transform",
    "Warning: unknown JFIF revision",
    "Application transferred too many scanlines",
];

/// The pixel formats the engine asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pixel {
    Rgb,
    Gray,
    Cmyk,
}

impl Pixel {
    pub(crate) fn channels(self) -> usize {
        match self {
            Pixel::Rgb => 3,
            Pixel::Gray => 1,
            Pixel::Cmyk => 4,
        }
    }

    fn format(self) -> libc_int {
        let f = match self {
            Pixel::Rgb => tj::TJPF_TJPF_RGB,
            Pixel::Gray => tj::TJPF_TJPF_GRAY,
            Pixel::Cmyk => tj::TJPF_TJPF_CMYK,
        };
        f as libc_int
    }
}

use std::os::raw::c_int as libc_int;

/// A TurboJPEG instance, for decompression (the methods below) or, inside
/// [`compress`], compression.
pub(crate) struct Handle {
    handle: tj::tjhandle,
    /// The scale set: 1/`denom`.
    denom: u32,
}

// The handle is used by one thread at a time (`&mut self`), and TurboJPEG
// instances hold no thread-local state.
unsafe impl Send for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: `handle` came from tj3Init and is destroyed once.
        unsafe { tj::tj3Destroy(self.handle) }
    }
}

impl Handle {
    pub(crate) fn decompressor() -> Result<Handle, TurboError> {
        Handle::new(tj::TJINIT_TJINIT_DECOMPRESS)
    }

    fn new(kind: tj::TJINIT) -> Result<Handle, TurboError> {
        // SAFETY: tj3Init has no preconditions; NULL means failure.
        let handle = unsafe { tj::tj3Init(kind as libc_int) };
        if handle.is_null() {
            return Err(TurboError {
                warning: false,
                message: "jpeg: cannot start libjpeg-turbo".into(),
            });
        }
        Ok(Handle { handle, denom: 1 })
    }

    fn error(&self) -> TurboError {
        // SAFETY: the handle is live; the string is owned by the instance and
        // copied out before any other call.
        let (code, message) = unsafe {
            let code = tj::tj3GetErrorCode(self.handle);
            let text = CStr::from_ptr(tj::tj3GetErrorStr(self.handle));
            (code, text.to_string_lossy().into_owned())
        };
        // TurboJPEG keeps reporting "warning" when a fatal error follows a
        // warning, with the fatal message: only a known warning's text means
        // that the decode ran to the end.
        let warning = code == tj::TJERR_TJERR_WARNING as libc_int
            && WARNINGS.iter().any(|w| message.starts_with(w));
        TurboError { warning, message }
    }

    fn check(&self, status: libc_int) -> Result<(), TurboError> {
        if status == 0 {
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// Sets one `tj::TJPARAM_*` parameter.
    pub(crate) fn set(&mut self, param: u32, value: i64) -> Result<(), TurboError> {
        let value = libc_int::try_from(value).unwrap_or(libc_int::MAX);
        // SAFETY: the handle is live.
        let status = unsafe { tj::tj3Set(self.handle, param as libc_int, value) };
        self.check(status)
    }

    fn get(&self, param: u32) -> libc_int {
        // SAFETY: the handle is live.
        unsafe { tj::tj3Get(self.handle, param as libc_int) }
    }

    /// Reads the headers up to the first scan (and the ICC profile, if any).
    pub(crate) fn header(&mut self, jpeg: &[u8]) -> Result<Header, TurboError> {
        // SAFETY: `jpeg` is a live slice of the given length.
        let status =
            unsafe { tj::tj3DecompressHeader(self.handle, jpeg.as_ptr(), jpeg.len() as _) };
        // A warning leaves the header read; the decode that follows meets
        // it again and judges it.
        match self.check(status) {
            Err(e) if !e.warning => return Err(e),
            _ => {}
        }
        let dim = |p| u32::try_from(self.get(p)).unwrap_or(0);
        Ok(Header {
            width: dim(tj::TJPARAM_TJPARAM_JPEGWIDTH),
            height: dim(tj::TJPARAM_TJPARAM_JPEGHEIGHT),
            colorspace: dim(tj::TJPARAM_TJPARAM_COLORSPACE),
            precision: dim(tj::TJPARAM_TJPARAM_PRECISION),
            lossless: self.get(tj::TJPARAM_TJPARAM_LOSSLESS) != 0,
        })
    }

    /// The ICC profile the last [`Self::header`] found (reassembled from
    /// however many APP2 segments carry it), if any.
    pub(crate) fn icc_profile(&mut self) -> Option<Vec<u8>> {
        let mut buf: *mut u8 = std::ptr::null_mut();
        let mut size: tj::size_t = 0;
        // SAFETY: both out-pointers are valid; the buffer TurboJPEG returns
        // is copied, then released with tj3Free.
        unsafe {
            if tj::tj3GetICCProfile(self.handle, &mut buf, &mut size) != 0 || buf.is_null() {
                return None;
            }
            let profile = std::slice::from_raw_parts(buf, size as usize).to_vec();
            tj::tj3Free(buf.cast());
            Some(profile)
        }
    }

    /// Decodes at 1/`denom` scale (1, 2, 4 or 8) from now on.
    pub(crate) fn set_scale(&mut self, denom: u32) -> Result<(), TurboError> {
        let factor = tj::tjscalingfactor {
            num: 1,
            denom: denom as libc_int,
        };
        // SAFETY: the handle is live.
        let status = unsafe { tj::tj3SetScalingFactor(self.handle, factor) };
        self.check(status)?;
        self.denom = denom;
        Ok(())
    }

    /// Decodes an image of at most 8 bits per sample into `out` (emptied
    /// first), as `width` pixels a row of `pixel` at the scaled header size.
    /// The samples are written straight into the vector's spare capacity,
    /// which is never zeroed first: libjpeg writes every row of the image,
    /// warnings included, and the length is set only then.
    pub(crate) fn decode8(
        &mut self,
        jpeg: &[u8],
        out: &mut Vec<u8>,
        width: u32,
        pixel: Pixel,
    ) -> Result<(), TurboError> {
        let pitch = width as usize * pixel.channels();
        let count = self.samples(width, pixel.channels())?;
        out.clear();
        out.reserve_exact(count);
        // SAFETY: the spare capacity holds `count` bytes, every row of
        // `pitch` bytes at the size the header gives, so libjpeg writes
        // inside it; on success or a warning every sample has been written.
        let status = unsafe {
            tj::tj3Decompress8(
                self.handle,
                jpeg.as_ptr(),
                jpeg.len() as _,
                out.as_mut_ptr(),
                pitch as libc_int,
                pixel.format(),
            )
        };
        let result = self.check(status);
        if result.is_ok() || result.as_ref().is_err_and(|e| e.warning) {
            // SAFETY: see above: all `count` bytes are initialised.
            unsafe { out.set_len(count) };
        }
        result
    }

    /// Decodes an image of 9 to 16 bits per sample into `out` (samples
    /// from 0 to 2^precision - 1), at full size.
    pub(crate) fn decode16(
        &mut self,
        jpeg: &[u8],
        out: &mut [u16],
        width: u32,
        pixel: Pixel,
        precision: u32,
    ) -> Result<(), TurboError> {
        let pitch = width as usize * pixel.channels();
        if out.len() < self.samples(width, pixel.channels())? {
            return Err(misfit());
        }
        // SAFETY: as in `decode8`; both functions write `pitch` samples of
        // 16 bits per row.
        let status = unsafe {
            if precision <= 12 {
                tj::tj3Decompress12(
                    self.handle,
                    jpeg.as_ptr(),
                    jpeg.len() as _,
                    out.as_mut_ptr().cast(),
                    pitch as libc_int,
                    pixel.format(),
                )
            } else {
                tj::tj3Decompress16(
                    self.handle,
                    jpeg.as_ptr(),
                    jpeg.len() as _,
                    out.as_mut_ptr(),
                    pitch as libc_int,
                    pixel.format(),
                )
            }
        };
        self.check(status)
    }

    /// How many samples the whole image holds at the current scale, as rows
    /// of `width` pixels of `channels` samples (`width` must be the scaled
    /// header width).
    fn samples(&self, width: u32, channels: usize) -> Result<usize, TurboError> {
        let side = |p| u32::try_from(self.get(p)).unwrap_or(0).div_ceil(self.denom) as usize;
        let (cols, rows) = (
            side(tj::TJPARAM_TJPARAM_JPEGWIDTH),
            side(tj::TJPARAM_TJPARAM_JPEGHEIGHT),
        );
        if cols == 0 || cols != width as usize {
            return Err(misfit());
        }
        Ok(cols * channels * rows)
    }
}

fn misfit() -> TurboError {
    TurboError {
        warning: false,
        message: "jpeg: output buffer does not fit the image".into(),
    }
}

/// How to compress: quality 1 to 100, 4:2:0, Huffman tables optimised for
/// the image (still one interleaved scan when baseline), progressive or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Compression {
    pub quality: u8,
    pub progressive: bool,
}

/// Compresses `width` x `height` pixels of 8-bit RGB (`channels` 3) or RGBX
/// (`channels` 4, the fourth byte ignored) into a JPEG.
pub(crate) fn compress(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: usize,
    how: Compression,
) -> Result<Vec<u8>, TurboError> {
    let failed = |message: &str| TurboError {
        warning: false,
        message: message.into(),
    };
    let pitch = width as usize * channels;
    let (Ok(w), Ok(h), Ok(p)) = (
        libc_int::try_from(width),
        libc_int::try_from(height),
        libc_int::try_from(pitch),
    ) else {
        return Err(failed("jpeg: image too large to compress"));
    };
    if width == 0 || height == 0 || pixels.len() < pitch * height as usize {
        return Err(failed("jpeg: pixel buffer does not fit the image"));
    }
    let format = match channels {
        3 => tj::TJPF_TJPF_RGB,
        4 => tj::TJPF_TJPF_RGBX,
        _ => return Err(failed("jpeg: unsupported pixel layout")),
    };
    let mut owner = Handle::new(tj::TJINIT_TJINIT_COMPRESS)?;
    let settings = [
        (
            tj::TJPARAM_TJPARAM_QUALITY,
            i64::from(how.quality.clamp(1, 100)),
        ),
        (
            tj::TJPARAM_TJPARAM_SUBSAMP,
            i64::from(tj::TJSAMP_TJSAMP_420),
        ),
        (tj::TJPARAM_TJPARAM_OPTIMIZE, 1),
        (tj::TJPARAM_TJPARAM_PROGRESSIVE, i64::from(how.progressive)),
    ];
    for (param, value) in settings {
        owner.set(param, value)?;
    }
    // SAFETY: the handle is live (destroyed on drop); `pixels` holds
    // `height` rows of `pitch` bytes (checked above); the output buffer is
    // allocated by TurboJPEG, copied, then freed.
    unsafe {
        let mut buf: *mut u8 = std::ptr::null_mut();
        let mut size: tj::size_t = 0;
        let status = tj::tj3Compress8(
            owner.handle,
            pixels.as_ptr(),
            w,
            p,
            h,
            format as libc_int,
            &mut buf,
            &mut size,
        );
        let result = if status == 0 && !buf.is_null() {
            Ok(std::slice::from_raw_parts(buf, size as usize).to_vec())
        } else {
            Err(owner.error())
        };
        if !buf.is_null() {
            tj::tj3Free(buf.cast());
        }
        result
    }
}
