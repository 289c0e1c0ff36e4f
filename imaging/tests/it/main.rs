//! The engine's integration tests, one binary: each module is one area of
//! behaviour, driven through the public `process` API (and, in
//! `differential` and `heic`, against reference codecs run as programs).

mod avif;
mod cascade;
mod cmyk;
mod colour;
mod colour_ref;
mod common;
mod differential;
mod errors;
mod facts;
mod fits;
mod formats;
mod gif_canvas;
mod gravity;
mod heic;
mod inputs;
mod jpeg_precision;
mod orientation;
mod outputs;
mod overlay;
mod quality;
mod shrink;
mod webp_canvas;
