//! `demo-store`: the demo store on its own, for frontend work and CI (`cargo run -p demo-store`),
//! the way teams run stripe-mock. Same as `storefront-bff demo-store`.

use std::net::SocketAddr;
use std::process::ExitCode;

const USAGE: &str = "usage: demo-store [--listen ADDR] [--products N]
  --listen ADDR   address to serve on (default 127.0.0.1:8881)
  --products N    number of top-level products to generate (default 240)";

fn main() -> ExitCode {
    let (listen, products) = match parse(std::env::args().skip(1)) {
        Ok(found) => found,
        Err(line) => {
            eprintln!("error: {line}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime starts");
    let config = demo_store::DemoStoreConfig { products, ..Default::default() };
    match runtime.block_on(demo_store::run_standalone(listen, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: demo store: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--listen` and `--products`, with or without `=`. By hand rather than with clap: two flags
/// do not justify another dependency in a crate frontends build on its own.
fn parse(mut args: impl Iterator<Item = String>) -> Result<(SocketAddr, usize), String> {
    let mut listen: SocketAddr = "127.0.0.1:8881".parse().expect("a valid default address");
    let mut products = 240;
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (arg, None),
        };
        if flag == "--help" || flag == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        if flag != "--listen" && flag != "--products" {
            return Err(format!("unknown argument {flag}"));
        }
        let value = inline.or_else(|| args.next()).ok_or_else(|| format!("{flag} needs a value"))?;
        if flag == "--listen" {
            listen = value.parse().map_err(|e| format!("--listen {value}: {e}"))?;
        } else {
            products = value.parse().map_err(|e| format!("--products {value}: {e}"))?;
        }
    }
    Ok((listen, products))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter().map(|s| s.to_string()).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn flags_with_and_without_equals_and_defaults() {
        assert_eq!(parse(args(&[])).unwrap(), ("127.0.0.1:8881".parse().unwrap(), 240));
        assert_eq!(parse(args(&["--listen", "0.0.0.0:9000", "--products=12"])).unwrap(), ("0.0.0.0:9000".parse().unwrap(), 12));
        assert!(parse(args(&["--products"])).is_err());
        assert!(parse(args(&["--products", "many"])).is_err());
        assert_eq!(parse(args(&["--port", "1"])).unwrap_err(), "unknown argument --port");
        assert_eq!(parse(args(&["--bogus"])).unwrap_err(), "unknown argument --bogus");
    }
}
