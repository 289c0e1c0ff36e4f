//! `tracing` for both functions, as Lambda's logging controls ask: one JSON
//! object per line when `AWS_LAMBDA_LOG_FORMAT=JSON` (with `level`, so Lambda
//! can filter, and the span list: the runtime's `requestId`, the worker's
//! `message_id` and `job_id`), plain text otherwise (no timestamps, CloudWatch
//! adds them; no colours). The level is `AWS_LAMBDA_LOG_LEVEL` when set to a
//! level Lambda knows, else the `RUST_LOG` directives, else `info`.
//!
//! Some dependencies print secrets at TRACE: the runtime logs every raw event
//! (an API event carries the caller's `Authorization: Bearer <key>`), the SDK
//! each request it sends (with its SigV4 `Authorization` header). Their targets,
//! [`CAPPED_TARGETS`], never log below DEBUG whatever the level says.

use tracing_subscriber::EnvFilter;

/// Targets held at DEBUG or above because they log secrets at TRACE.
pub const CAPPED_TARGETS: &[&str] = &["lambda_runtime", "aws_smithy_runtime", "aws_sigv4"];

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

/// The filter [`init`] installs: [`directives`] with unparsable parts dropped.
pub fn env_filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> EnvFilter {
    EnvFilter::builder().parse_lossy(directives(lambda_level, rust_log))
}

/// Installs the global subscriber from the process environment. Call once,
/// first thing in `main`.
pub fn init() {
    let var = |name: &str| std::env::var(name).ok();
    let filter = env_filter(
        var("AWS_LAMBDA_LOG_LEVEL").as_deref(),
        var("RUST_LOG").as_deref(),
    );
    let json = var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.trim().eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .with_ansi(false);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .init();
    } else {
        builder.without_time().init();
    }
}

#[cfg(test)]
mod tests {
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    fn enabled(filter: EnvFilter, target_trace: bool) -> bool {
        let subscriber = tracing_subscriber::registry().with(filter);
        tracing::subscriber::with_default(subscriber, || {
            if target_trace {
                tracing::enabled!(target: "lambda_runtime::layers::api_response", Level::TRACE)
            } else {
                tracing::enabled!(target: "pixpipe_lambda::worker", Level::DEBUG)
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
    fn raw_events_are_never_logged() {
        assert!(!enabled(env_filter(Some("TRACE"), None), true));
        assert!(!enabled(
            env_filter(None, Some("trace,lambda_runtime=trace")),
            true
        ));
        // The cap leaves everything else at TRACE.
        assert!(enabled(env_filter(None, Some("trace")), false));
    }
}
