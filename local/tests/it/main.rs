//! Integration tests of pixpipe-local against real SQLite files and blob
//! directories in temp dirs; HTTP through `router(...).oneshot(...)`.
//! One test binary (modules below) to keep linking cheap.

mod blobs;
mod common;
mod concurrency;
mod queue;
mod space;
mod store;
mod upload;
