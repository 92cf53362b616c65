//! The live registry: loaded from `PARTNERS_FILE`, reloaded on SIGHUP and when the file's content
//! changes (polled). A file that does not validate is refused and the last good registry stays.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::registry::Registry;

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reloaded {
    /// Same content as the running registry.
    Unchanged,
    /// A new registry with this many partners is in use.
    Replaced(usize),
}

pub struct RegistryHandle {
    path: PathBuf,
    current: RwLock<Arc<Registry>>,
    /// Digest of the content last tried (good or bad), so a bad file is reported once.
    tried: Mutex<[u8; 32]>,
}

impl std::fmt::Debug for RegistryHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryHandle").field("path", &self.path).finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("PARTNERS_FILE: cannot read {} ({})", path.display(), e.kind()))
}

/// Loads and validates a registry file (what start-up and `partner check` do).
pub fn load(path: &Path) -> Result<Registry, String> {
    Registry::parse(&read(path)?, &path.display().to_string())
}

impl RegistryHandle {
    /// Opens `path`; start-up fails on a bad file.
    pub fn open(path: &Path) -> Result<RegistryHandle, String> {
        let text = read(path)?;
        let registry = Registry::parse(&text, &path.display().to_string())?;
        Ok(RegistryHandle {
            path: path.to_path_buf(),
            current: RwLock::new(Arc::new(registry)),
            tried: Mutex::new(Sha256::digest(text.as_bytes()).into()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The registry in force (checked on every partner request).
    pub fn get(&self) -> Arc<Registry> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Re-reads the file. Blocking (file IO and one argon2 hash): call from a blocking thread.
    pub fn reload(&self, force: bool) -> Result<Reloaded, String> {
        let text = read(&self.path)?;
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        {
            let mut tried = self.tried.lock().unwrap_or_else(|e| e.into_inner());
            if *tried == digest && !force {
                return Ok(Reloaded::Unchanged);
            }
            *tried = digest;
        }
        let registry = Registry::parse(&text, &self.path.display().to_string())?;
        let count = registry.len();
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(registry);
        Ok(Reloaded::Replaced(count))
    }

    /// Reloads and logs the outcome (partner ids and counts only, never a hash).
    pub async fn reload_logged(self: &Arc<Self>, force: bool, why: &'static str) -> Result<Reloaded, String> {
        let handle = Arc::clone(self);
        let outcome =
            tokio::task::spawn_blocking(move || handle.reload(force)).await.unwrap_or_else(|e| Err(format!("reload failed ({e})")));
        match &outcome {
            Ok(Reloaded::Replaced(n)) => {
                tracing::info!(partners = n, trigger = why, "partner registry reloaded");
                metrics::counter!("bff_partner_registry_reloads_total", "result" => "ok").increment(1);
            }
            Ok(Reloaded::Unchanged) => {}
            Err(problem) => {
                tracing::error!(trigger = why, problem = %problem, "partner registry refused; the previous one stays in force");
                metrics::counter!("bff_partner_registry_reloads_total", "result" => "refused").increment(1);
            }
        }
        outcome
    }

    /// Polls the file every `every` while the handle lives.
    pub fn watch(self: &Arc<Self>, every: Duration) {
        if every.is_zero() {
            return;
        }
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(handle) = weak.upgrade() else { return };
                let _ = handle.reload_logged(false, "file changed").await;
            }
        });
    }

    /// Reloads on SIGHUP (the server binary calls this once).
    #[cfg(unix)]
    pub fn reload_on_sighup(self: &Arc<Self>) {
        use tokio::signal::unix::{signal, SignalKind};
        let weak: Weak<Self> = Arc::downgrade(self);
        match signal(SignalKind::hangup()) {
            Ok(mut hangups) => {
                tokio::spawn(async move {
                    while hangups.recv().await.is_some() {
                        let Some(handle) = weak.upgrade() else { return };
                        let _ = handle.reload_logged(true, "SIGHUP").await;
                    }
                });
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for SIGHUP; the partner file is still polled"),
        }
    }

    #[cfg(not(unix))]
    pub fn reload_on_sighup(self: &Arc<Self>) {}
}
