//! Logging set-up: text for people, JSON for log pipelines. `RUST_LOG`
//! overrides the default level.

use tracing_subscriber::{fmt, prelude::*, EnvFilter};

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Json => registry.with(fmt::layer().json().with_current_span(true).with_span_list(false)).init(),
        LogFormat::Text => registry.with(fmt::layer().compact()).init(),
    }
}
