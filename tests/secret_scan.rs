//! Runs after `tests/api` (cargo runs test targets in name order; the test
//! script runs them in that order explicitly): every secret the suite put
//! into play must be absent from every log line and every response it saw.

use std::path::PathBuf;

fn capture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("secret-scan")
}

#[test]
fn no_secret_appears_in_any_log_line_or_response_of_the_suite() {
    let dir = capture_dir();
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|_| panic!("no captures in {}: run the `api` tests first (scripts/test.sh does)", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    let mut secrets = Vec::new();
    let mut captured = Vec::new();
    let mut cart_tokens = std::collections::HashSet::new();
    for path in &entries {
        let text = std::fs::read_to_string(path).unwrap();
        if path.extension().is_some_and(|e| e == "tokens") {
            cart_tokens.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
        } else if path.extension().is_some_and(|e| e == "list") {
            secrets.extend(text.lines().filter(|l| l.len() >= 8).map(str::to_string));
        } else {
            captured.push((path.clone(), text));
        }
    }
    secrets.sort();
    secrets.dedup();
    let bytes: usize = captured.iter().map(|(_, t)| t.len()).sum();
    assert!(secrets.len() >= 4, "the suite registered its secrets ({} found)", secrets.len());
    assert!(bytes > 100_000, "the suite captured logs and responses ({bytes} bytes)");
    assert!(
        captured.iter().any(|(p, t)| p.to_string_lossy().contains("logs-") && t.contains("upstream call")),
        "upstream calls were logged at debug level"
    );
    assert!(cart_tokens.len() >= 20, "the store's Cart-Tokens were recorded ({})", cart_tokens.len());
    for (path, text) in &captured {
        let leaked = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'))
            .find(|word| word.starts_with("eyJ") && cart_tokens.contains(*word));
        assert!(leaked.is_none(), "a Cart-Token appears in {}", path.display());
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret ({}…) appears in {}", &secret[..6], path.display());
        }
    }
}
