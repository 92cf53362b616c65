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
        (&[("COOKIE_SAME_SITE", "sideways")], "COOKIE_SAME_SITE"),
        // Browsers refuse SameSite=None without Secure (demo mode defaults to not Secure).
        (&[("COOKIE_SAME_SITE", "none")], "COOKIE_SAME_SITE"),
    ];
    for (envs, variable) in cases {
        let (code, stderr) = run(envs, &["serve"]);
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

#[test]
fn the_header_deadline_is_validated_from_environment_and_file_and_listed_in_help() {
    let (code, stderr) = run(&[("HEADER_READ_TIMEOUT_SECS", "0")], &["openapi"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("HEADER_READ_TIMEOUT_SECS"), "{stderr}");
    let dir = std::env::temp_dir().join(format!("bff-config-header-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("zero.toml");
    std::fs::write(&file, "HEADER_READ_TIMEOUT_SECS = 0\n").unwrap();
    let (code, stderr) = run(&[], &["--config", file.to_str().unwrap(), "openapi"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("HEADER_READ_TIMEOUT_SECS"), "{stderr}");
    std::fs::write(&file, "HEADER_READ_TIMEOUT_SECS = 5\n").unwrap();
    let (code, stderr) = run(&[], &["--config", file.to_str().unwrap(), "openapi"]);
    assert_eq!(code, 0, "a valid value is accepted: {stderr}");
    let _ = std::fs::remove_dir_all(&dir);
    let help = Command::new(env!("CARGO_BIN_EXE_storefront-bff")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("HEADER_READ_TIMEOUT_SECS") && help.contains("[default: 65]"), "{help}");
}

#[test]
fn offline_subcommands_need_none_of_the_servers_settings() {
    // A real store's URL alone (no keys, no token secret): `serve` refuses, the offline tools run.
    let store = [("WOO_URL", "https://shop.example")];
    let (code, _) = run(&store, &["serve"]);
    assert_ne!(code, 0);
    let (code, stderr) = run(&store, &["openapi"]);
    assert_eq!(code, 0, "{stderr}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_storefront-bff"))
        .env_clear()
        .envs(store)
        .args(["partner", "hash-secret"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"a-partner-secret-long-enough-0123456789\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "hash-secret with WOO_URL set: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("$argon2"), "prints a PHC hash");
    let file = std::env::temp_dir().join(format!("bff-partners-{}.toml", std::process::id()));
    std::fs::write(&file, "").unwrap();
    let (code, stderr) = run(&store, &["partner", "check", file.to_str().unwrap()]);
    assert_eq!(code, 0, "partner check with WOO_URL set: {stderr}");
}

#[test]
fn same_site_none_with_secure_is_accepted() {
    let secure = [("COOKIE_SAME_SITE", "none"), ("COOKIE_SECURE", "true"), ("LISTEN_ADDR", "192.0.2.1:9"), ("METRICS_LISTEN", "off")];
    let (_, stderr) = run(&secure, &["serve"]);
    assert!(!stderr.contains("COOKIE_SAME_SITE"), "{stderr}");
}
