//! One `tracing` set-up for `serve`, the CLI and both Lambda functions.
//!
//! - Format: one JSON object per line when `PIXPIPE_LOG_FORMAT=json` or
//!   Lambda's `AWS_LAMBDA_LOG_FORMAT=JSON` (with `level`, so Lambda can filter,
//!   and the span list: the runtime's `requestId`, the worker's `message_id`
//!   and `job_id`); human-readable text otherwise. On Lambda
//!   ([`Output::Lambda`]: stdout) text has no timestamps, CloudWatch adds them.
//!   Colours only on a terminal with `NO_COLOR` unset or empty.
//! - Level: Lambda's `AWS_LAMBDA_LOG_LEVEL` when set to a level Lambda knows,
//!   else the `RUST_LOG` directives, else `info`.
//! - Some dependencies print secrets at TRACE: the Lambda runtime logs every
//!   raw event (an API event carries the caller's `Authorization: Bearer
//!   <key>`), the AWS SDK each request it signs. Their targets,
//!   [`CAPPED_TARGETS`], never log below DEBUG whatever the level says.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// Targets held at DEBUG or above because they log secrets at TRACE.
pub const CAPPED_TARGETS: &[&str] = &[
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http_client",
    "aws_sigv4",
    "aws_config",
    "hyper_util",
];

/// Where logs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// stderr (stdout is the command's own output).
    Stderr,
    /// stdout, as Lambda's logging expects.
    Lambda,
}

/// The filter directives for Lambda's level (`AWS_LAMBDA_LOG_LEVEL`) and
/// `RUST_LOG`, with [`CAPPED_TARGETS`] appended (later directives for the
/// same target win, so a `RUST_LOG` naming one cannot lift the cap).
pub fn directives(lambda_level: Option<&str>, rust_log: Option<&str>) -> String {
    let lambda_level =
        lambda_level.and_then(|level| match level.trim().to_ascii_uppercase().as_str() {
            "TRACE" => Some("trace"),
            "DEBUG" => Some("debug"),
            "INFO" => Some("info"),
            "WARN" => Some("warn"),
            "ERROR" | "FATAL" => Some("error"),
            _ => None,
        });
    let base = match (lambda_level, rust_log.map(str::trim)) {
        (Some(level), _) => level.to_owned(),
        (None, Some(directives)) if !directives.is_empty() => directives.to_owned(),
        _ => "info".to_owned(),
    };
    let caps: Vec<String> = CAPPED_TARGETS
        .iter()
        .map(|t| format!("{t}=debug"))
        .collect();
    format!("{base},{}", caps.join(","))
}

/// The filter no directive can lift, AND-ed with the level filter: each of
/// [`CAPPED_TARGETS`], and every target under it, at DEBUG at most, whatever
/// `RUST_LOG` names (a longer target, a span).
pub fn caps() -> Targets {
    Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(CAPPED_TARGETS.iter().map(|t| (*t, LevelFilter::DEBUG)))
}

/// The level filter [`init`] installs: [`directives`] with unparsable parts dropped.
pub fn env_filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> EnvFilter {
    EnvFilter::builder().parse_lossy(directives(lambda_level, rust_log))
}

/// Installs the global subscriber from the process environment. A second
/// call (tests starting several servers) keeps the first subscriber.
pub fn init(output: Output) {
    let var = |name: &str| std::env::var(name).ok();
    let filter = env_filter(
        var("AWS_LAMBDA_LOG_LEVEL").as_deref(),
        var("RUST_LOG").as_deref(),
    );
    let json = var("PIXPIPE_LOG_FORMAT").is_some_and(|f| f.trim().eq_ignore_ascii_case("json"))
        || var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.trim().eq_ignore_ascii_case("json"));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let (writer, ansi) = match output {
        Output::Stderr => (
            BoxMakeWriter::new(std::io::stderr),
            !json && std::io::stderr().is_terminal() && !no_color,
        ),
        Output::Lambda => (BoxMakeWriter::new(std::io::stdout), false),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi);
    let result = if json {
        let builder = builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true);
        builder.finish().with(caps()).try_init()
    } else if output == Output::Lambda {
        builder.without_time().finish().with(caps()).try_init()
    } else {
        builder.finish().with(caps()).try_init()
    };
    drop(result);
}

#[cfg(test)]
mod tests {
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    fn enabled(filter: EnvFilter, target_trace: bool) -> bool {
        let subscriber = tracing_subscriber::registry().with(filter).with(caps());
        tracing::subscriber::with_default(subscriber, || {
            if target_trace {
                tracing::enabled!(target: "lambda_runtime::layers::api_response", Level::TRACE)
                    || tracing::enabled!(target: "aws_smithy_runtime::client::http", Level::TRACE)
                    || tracing::enabled!(target: "aws_sigv4::http_request::sign", Level::TRACE)
            } else {
                tracing::enabled!(target: "pixpipe_worker::runner", Level::DEBUG)
            }
        })
    }

    #[test]
    fn lambda_level_wins_then_rust_log_then_info() {
        assert!(directives(Some("DEBUG"), Some("warn")).starts_with("debug,"));
        assert!(directives(Some("FATAL"), None).starts_with("error,"));
        assert!(directives(Some("loud"), Some("pixpipe=debug")).starts_with("pixpipe=debug,"));
        assert!(directives(None, Some("  ")).starts_with("info,"));
        assert!(directives(None, None).starts_with("info,"));
        assert!(enabled(env_filter(Some("debug"), None), false));
        assert!(!enabled(env_filter(None, None), false));
    }

    #[test]
    fn secret_printing_targets_are_never_at_trace() {
        assert!(!enabled(env_filter(Some("TRACE"), None), true));
        assert!(!enabled(
            env_filter(
                None,
                Some("trace,lambda_runtime=trace,aws_smithy_runtime=trace,aws_sigv4=trace")
            ),
            true
        ));
        // Nor through a longer target or a span directive.
        for directives in [
            "aws_sigv4::http_request=trace",
            "lambda_runtime::layers::api_response=trace",
            "aws_smithy_runtime::client=trace",
            "[sqs_message]=trace",
        ] {
            assert!(
                !enabled(env_filter(None, Some(directives)), true),
                "{directives}"
            );
        }
        // The cap leaves everything else at TRACE.
        assert!(enabled(env_filter(None, Some("trace")), false));
    }
}
