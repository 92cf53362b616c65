//! The `storefront-bff` binary: parse config, start the server (or the demo
//! store alone, or print the OpenAPI document), shut down gracefully.

use std::process::ExitCode;

// The request path allocates small, short-lived buffers; mimalloc handles
// that pattern markedly better than the system allocator (see bench/).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, FromArgMatches};
use storefront_bff::config::{load_config_file, Cli, Command, PartnerCommand};
use storefront_bff::{app, demo_store, partners, routes, telemetry};

fn main() -> ExitCode {
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(line) => {
            eprintln!("error: {line}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime starts");
    runtime.block_on(run(cli))
}

/// Parses flags and environment (after loading `--config`), turning any
/// problem into one line that names the variable.
fn parse_cli() -> Result<Cli, String> {
    let command = Cli::command();
    let known: Vec<String> = command.get_arguments().filter_map(|a| a.get_env().map(|e| e.to_string_lossy().into_owned())).collect();
    // --config is read before clap so the file can supply every other value.
    let args: Vec<String> = std::env::args().collect();
    let config_path = args
        .iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1).cloned())
        .or_else(|| args.iter().find_map(|a| a.strip_prefix("--config=").map(str::to_string)))
        .or_else(|| std::env::var("BFF_CONFIG").ok());
    if let Some(path) = config_path {
        load_config_file(std::path::Path::new(&path), &known)?;
    }
    // A fresh command: clap reads the environment when a command is built.
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(err) => {
            use clap::error::{ContextKind, ContextValue, ErrorKind};
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                err.exit();
            }
            let arg = match err.get(ContextKind::InvalidArg) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            let flag = arg.split_whitespace().next().unwrap_or("").trim_start_matches('-').to_string();
            let env = command
                .get_arguments()
                .find(|a| a.get_long() == Some(flag.as_str()))
                .and_then(|a| a.get_env())
                .map(|e| e.to_string_lossy().into_owned());
            let name = env.map(|e| format!("{e} (--{flag})")).unwrap_or(arg);
            let reason = err.to_string();
            let reason = reason.lines().next().unwrap_or("").trim_start_matches("error: ");
            return Err(format!("{name}: {reason}"));
        }
    };
    let cli = Cli::from_arg_matches(&matches).map_err(|e| e.to_string().lines().next().unwrap_or("").to_string())?;
    // Resolve the server's secrets and settings now so a bad key file fails at start, in one line.
    // Only for serving: `openapi`, `demo-store` and `partner` run offline without them.
    if matches!(cli.command, None | Some(Command::Serve)) {
        let demo = matches!(cli.settings.store_target()?, storefront_bff::config::StoreTarget::Demo);
        cli.settings.app_options(demo)?;
        cli.settings.http_policy(demo)?;
    }
    Ok(cli)
}

async fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Some(Command::Openapi) => {
            print!("{}", routes::openapi_json());
            ExitCode::SUCCESS
        }
        Some(Command::DemoStore { listen, products, trust_forwarded_proto }) => {
            telemetry::init(cli.settings.log_format);
            let config = demo_store::DemoStoreConfig { products, trust_forwarded_proto, ..Default::default() };
            match demo_store::run_standalone(listen, config).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: demo store: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some(Command::Partner { action }) => partner_command(action),
        None | Some(Command::Serve) => serve(cli).await,
    }
}

/// `partner hash-secret` and `partner check FILE`.
fn partner_command(action: PartnerCommand) -> ExitCode {
    let outcome = match action {
        PartnerCommand::HashSecret => partners::cli::hash_secret_from(std::io::stdin().lock()),
        PartnerCommand::Check { file } => partners::cli::check(&file),
    };
    match outcome {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for line in problems.lines() {
                eprintln!("error: {line}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn serve(cli: Cli) -> ExitCode {
    let settings = cli.settings;
    telemetry::init(settings.log_format);
    storefront_bff::conn_limit::raise_open_files_limit();
    let (upstream, demo) = match app::resolve_upstream(&settings).await {
        Ok(found) => found,
        Err(line) => {
            eprintln!("error: {line}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(demo) = &demo {
        tracing::info!(demo_store = %demo.url(), products = settings.demo_products, "no WOO_URL set: running against the embedded demo store");
    } else {
        tracing::info!(store = %upstream.url, "running against the configured WooCommerce store");
    }
    let mut options = match settings.app_options(upstream.demo) {
        Ok(o) => o,
        Err(line) => {
            eprintln!("error: {line}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(url) = &settings.redis_url {
        match storefront_bff::redis::Redis::connect(url).await {
            Ok(redis) => {
                tracing::info!("sharing sessions, idempotency, webhook dedupe and invalidations on Redis");
                options.redis = Some(redis);
            }
            Err(line) => {
                eprintln!("error: {line}");
                return ExitCode::FAILURE;
            }
        }
    }
    let state = app::AppState::new(&upstream, &options);
    if settings.register_webhooks.is_some() && options.webhook_secrets.current.is_none() {
        eprintln!("error: REGISTER_WEBHOOKS_URL needs WEBHOOK_SECRET (the secret the store will sign with)");
        return ExitCode::FAILURE;
    }
    if let Some(registrar) = state.ops.registrar.clone() {
        let interval = std::time::Duration::from_secs(settings.reconcile_interval_secs.max(60));
        registrar.spawn(interval);
    }
    if settings.reconcile_interval_secs > 0 {
        (*state.reconciler).clone().spawn(std::time::Duration::from_secs(settings.reconcile_interval_secs));
    }
    tracing::info!(rest_auth = state.rest.auth_name(), "REST API client ready");
    match state.partners.registry() {
        Some(registry) => {
            registry.reload_on_sighup();
            tracing::info!(file = %registry.path().display(), partners = registry.get().len(), "partner API enabled (reloads on SIGHUP and on change)");
        }
        None => tracing::info!("partner API disabled (no PARTNERS_FILE)"),
    }
    let policy = settings.http_policy(upstream.demo).expect("checked in parse_cli");
    if !policy.cookie_secure {
        tracing::warn!("session cookie is not Secure (plain-http development); set COOKIE_SECURE=true behind TLS");
    }
    if let storefront_bff::config::MetricsListen::At(addr) = settings.metrics_listen {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => {
                tracing::info!(metrics = %addr, "Prometheus metrics listening (keep this address private)");
                let metrics = storefront_bff::app::metrics_router(state.clone());
                // Nothing there answers 429: no penalty box to keep.
                let options = storefront_bff::serve::ServeOptions {
                    penalty: storefront_bff::penalty::PenaltySettings { refusals: 0, ..Default::default() },
                    ..settings.serve_options()
                };
                tokio::spawn(storefront_bff::serve::serve(listener, metrics, options, std::future::pending()));
            }
            Err(e) => {
                eprintln!("error: METRICS_LISTEN: cannot listen on {addr} ({e})");
                return ExitCode::FAILURE;
            }
        }
    }
    let router = app::router(state, &policy);
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: LISTEN_ADDR: cannot listen on {} ({e})", settings.listen);
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(listen = %settings.listen, docs = %format!("http://{}/docs/", settings.listen), "storefront-bff listening");
    let served = storefront_bff::serve::serve(listener, router, settings.serve_options(), shutdown_signal()).await;
    if let Some(demo) = demo {
        demo.shutdown();
    }
    match served {
        Ok(()) => {
            tracing::info!("shut down cleanly");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received, draining connections");
}
