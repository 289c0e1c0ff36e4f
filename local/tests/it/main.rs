//! Integration tests of pixpipe-local against real SQLite files and blob
//! directories in temp dirs; HTTP through `router(...).oneshot(...)` (the
//! ports' contract suite, `contract`, serves it on a loopback port).
//! One test binary (modules below) to keep linking cheap.

mod blobs;
mod common;
mod concurrency;
mod contract;
mod queue;
mod space;
mod store;
mod upload;
