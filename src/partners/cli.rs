//! `storefront-bff partner hash-secret` (a secret on stdin → its argon2id PHC string on stdout) and
//! `storefront-bff partner check FILE` (validates a registry, naming line and field of each problem).

use std::io::Read;
use std::path::Path;

use super::reload::load;
use super::secret::{hash_secret, MIN_SECRET_LEN};

/// Reads the secret from stdin (one trailing newline dropped) and returns its PHC hash.
pub fn hash_secret_from(mut input: impl Read) -> Result<String, String> {
    let mut raw = String::new();
    input.read_to_string(&mut raw).map_err(|e| format!("cannot read the secret from stdin ({})", e.kind()))?;
    let secret = raw.strip_suffix('\n').map(|s| s.strip_suffix('\r').unwrap_or(s)).unwrap_or(&raw);
    if secret.chars().count() < MIN_SECRET_LEN {
        return Err(format!("the secret must be at least {MIN_SECRET_LEN} characters (e.g. `openssl rand -hex 24`)"));
    }
    Ok(hash_secret(secret.as_bytes()))
}

/// A one-line summary of a valid registry file.
pub fn check(file: &Path) -> Result<String, String> {
    let registry = load(file)?;
    let ids = registry.ids();
    Ok(format!("{}: ok, {} partner(s){}{}", file.display(), ids.len(), if ids.is_empty() { "" } else { ": " }, ids.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partners::secret::SecretHash;

    #[test]
    fn hashes_stdin_without_its_newline() {
        let phc = hash_secret_from("a-long-enough-partner-secret\n".as_bytes()).unwrap();
        let hash = SecretHash::parse(&phc).unwrap();
        assert!(hash.verify(b"a-long-enough-partner-secret"));
        assert!(hash_secret_from("short\n".as_bytes()).is_err());
    }
}
