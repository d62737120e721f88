//! Logging: human-readable lines on stderr, filtered by `RUST_LOG` (default [`DEFAULT_FILTER`]).
//!
//! Log lines carry IDs and counts only: never a name, an ID number or a phone.

use tracing_subscriber::EnvFilter;

/// What is logged when `RUST_LOG` is not set: `info`, except PostgreSQL's notices below a
/// warning (such as "relation … already exists, skipping" from the migrations' bookkeeping table
/// at every start).
pub const DEFAULT_FILTER: &str = "info,sqlx::postgres::notice=warn";

/// Installs the global subscriber (once; later calls do nothing).
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Logs the time of each stage of a long piece of work since the one before it, with the
/// process's resident memory, at debug level (`RUST_LOG=paicha=debug`): for tuning.
pub struct StageTimer(std::time::Instant);

impl StageTimer {
    /// Starts timing the first stage.
    pub fn new() -> Self {
        Self(std::time::Instant::now())
    }

    /// Ends `stage` and starts the next.
    pub fn lap(&mut self, stage: &str) {
        let now = std::time::Instant::now();
        tracing::debug!(
            stage,
            ms = (now - self.0).as_millis() as u64,
            rss_mb = resident_mb(),
            "stage done"
        );
        self.0 = now;
    }
}

impl Default for StageTimer {
    fn default() -> Self {
        Self::new()
    }
}

/// The process's resident memory in MiB where the system tells it (Linux), for tuning.
fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}
