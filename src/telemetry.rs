//! Logging to stderr: human-readable, JSON when `PIXPIPE_LOG_FORMAT=json`;
//! level from `RUST_LOG` (default `info`). Colours only when stderr is a
//! terminal and `NO_COLOR` is unset or empty, so log files carry no ANSI codes.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal() && !no_color)
        .with_writer(std::io::stderr);
    let result = if std::env::var("PIXPIPE_LOG_FORMAT").is_ok_and(|v| v == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests starting several servers) keeps the first subscriber.
    drop(result);
}
