//! The `pixpipe` command's black-box tests, one binary: each module runs the
//! real server (in process on port 0, or the built binary as a child) or a
//! CLI command, and talks to it as a client does.

mod aws_backend;
mod aws_lifecycle;
mod budget;
mod callbacks;
mod cases;
mod cli;
mod common;
mod connections;
mod crash;
mod deletion;
mod full_disk;
mod heic;
mod hostile;
mod idle_memory;
mod limits;
mod openapi;
mod parity;
mod pipeline;
mod rejections;
mod renditions;
mod restart;
mod self_contained;
mod settings;
mod upload;
mod upload_window;
mod waiting;
mod web;
