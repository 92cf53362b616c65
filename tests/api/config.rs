//! Start-up configuration errors: one line naming the variable, non-zero exit.

use std::process::Command;

fn run(envs: &[(&str, &str)], args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_storefront-bff"));
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().expect("the binary runs");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).trim().to_string())
}

#[test]
fn bad_or_missing_values_exit_non_zero_with_one_line_naming_the_variable() {
    let secret = "cs_this_must_never_be_printed_0123456789";
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("WOO_TIMEOUT_MS", "soon")], "WOO_TIMEOUT_MS"),
        (&[("LISTEN_ADDR", "nowhere")], "LISTEN_ADDR"),
        (&[("WOO_URL", "not a url")], "WOO_URL"),
        (&[("WOO_URL", "https://shop.example")], "WOO_CONSUMER_KEY"),
        (&[("WOO_URL", "https://shop.example"), ("WOO_CONSUMER_KEY", "ck_x")], "WOO_CONSUMER_SECRET"),
        (&[("WOO_URL", "https://shop.example"), ("WOO_CONSUMER_KEY", "ck_x"), ("WOO_CONSUMER_SECRET", secret)], "SESSION_TOKEN_SECRET"),
        (&[("WOO_CONSUMER_KEY_FILE", "/nonexistent/key"), ("WOO_URL", "https://shop.example")], "WOO_CONSUMER_KEY_FILE"),
        (&[("WOO_AUTH_MODE", "magic")], "WOO_AUTH_MODE"),
        (&[("JWT_KEYS", "k1=short")], "JWT_KEYS"),
        (&[("JWT_KEYS", "cs_this_must_never_be_printed_0123456789")], "JWT_KEYS"),
        (&[("JWT_KEYS", "k1=cs_this_must_never_be_printed_0123456789,k1=cs_this_must_never_be_printed_0123456789")], "JWT_KEYS"),
        (&[("JWT_KEYS", "k1=cs_this_must_never_be_printed_0123456789"), ("SESSION_TOKEN_SECRET", secret)], "JWT_KEYS"),
        (&[("LOGIN_MAX_FAILURES", "0")], "LOGIN_MAX_FAILURES"),
        (&[("LOG_FORMAT", "xml")], "LOG_FORMAT"),
    ];
    for (envs, variable) in cases {
        let (code, stderr) = run(envs, &["openapi"]);
        assert_ne!(code, 0, "{envs:?}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(variable), "{variable} named in: {stderr}");
        assert!(!stderr.contains(secret), "no secret in: {stderr}");
    }
}

#[test]
fn a_toml_file_supplies_the_same_keys_and_unknown_keys_are_refused() {
    let dir = std::env::temp_dir().join(format!("bff-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, "LISTEN_ADDR = \"nowhere\"\n").unwrap();
    let (code, stderr) = run(&[], &["--config", good.to_str().unwrap(), "openapi"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("LISTEN_ADDR"), "values from the file are validated too: {stderr}");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "lisen_addr = \"127.0.0.1:1\"\n").unwrap();
    let (code, stderr) = run(&[], &["--config", bad.to_str().unwrap(), "openapi"]);
    assert_ne!(code, 0);
    assert!(stderr.contains("LISEN_ADDR") && stderr.contains("unknown"), "{stderr}");
    let (code, _) = run(&[], &["openapi"]);
    assert_eq!(code, 0, "no configuration at all is fine (demo mode)");
    let (code, help) = {
        let out = Command::new(env!("CARGO_BIN_EXE_storefront-bff")).arg("--help").output().unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).to_string())
    };
    assert_eq!(code, 0);
    for var in ["LISTEN_ADDR", "WOO_URL", "WOO_CONSUMER_KEY", "WOO_AUTH_MODE", "CACHE_BUDGET_MB", "CORS_ORIGINS", "LOG_FORMAT", "REDIS_URL"]
    {
        assert!(help.contains(var), "--help lists {var}");
    }
}
