//! The `[[pull]]` tables of the county file: upstream lists `paicha serve` pulls over HTTP.
//!
//! ```toml
//! [[pull]]
//! url = "https://province.example/bigdata/list.csv"
//! every = "30m"          # seconds (90s), minutes (30m) or hours (2h); default 30m
//! source = "bigdata"     # the only kind pulled so far; the default
//! ```

use std::time::Duration;

use anyhow::{Context as _, ensure};
use serde::Deserialize;

use super::limits::PULL_MIN_INTERVAL;
use crate::intake::SourceKind;

/// How often a list is pulled when its table does not say.
pub const DEFAULT_PULL_INTERVAL: Duration = Duration::from_secs(30 * 60);

/// One upstream list to pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSpec {
    /// Where the list is (`http://` or `https://`).
    pub url: String,
    /// How often it is pulled.
    pub every: Duration,
    /// What kind of list it is.
    pub source: SourceKind,
}

#[derive(Deserialize, Default)]
struct CountyFile {
    #[serde(default)]
    pull: Vec<Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    url: String,
    every: Option<String>,
    source: Option<String>,
}

/// An interval written as seconds (`90s`), minutes (`30m`) or hours (`2h`), at least
/// [`PULL_MIN_INTERVAL`].
pub fn parse_interval(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.len().saturating_sub(1));
    let n: u64 = digits
        .parse()
        .with_context(|| format!("an interval is a number and s, m or h (30m): {text:?}"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => anyhow::bail!("an interval is a number and s, m or h (30m): {text:?}"),
    };
    let every = Duration::from_secs(seconds);
    ensure!(
        every >= PULL_MIN_INTERVAL,
        "an interval must be at least {} s: {text:?}",
        PULL_MIN_INTERVAL.as_secs()
    );
    Ok(every)
}

/// An idle time written as [`parse_interval`] reads it, or `off` (none).
pub fn parse_idle(text: &str) -> anyhow::Result<Option<Duration>> {
    match text.trim() {
        "off" => Ok(None),
        every => parse_interval(every).map(Some),
    }
}

/// The pulls of a county file's text (none without `[[pull]]` tables).
pub(super) fn pulls(county_file: &str) -> anyhow::Result<Vec<PullSpec>> {
    let tables = toml::from_str::<CountyFile>(county_file)?.pull;
    tables
        .into_iter()
        .map(|t| {
            crate::exchange::partners::parse_url(&t.url)
                .map_err(|e| anyhow::anyhow!("[[pull]] url: {}", e.message()))?;
            let source = match t.source.as_deref() {
                None => SourceKind::Bigdata,
                Some(s) => s
                    .parse::<SourceKind>()
                    .map_err(|_| anyhow::anyhow!("[[pull]] source: unknown kind {s:?}"))?,
            };
            ensure!(
                source == SourceKind::Bigdata,
                "[[pull]] source: only bigdata lists are pulled"
            );
            let every = match t.every.as_deref() {
                Some(e) => parse_interval(e).context("[[pull]] every")?,
                None => DEFAULT_PULL_INTERVAL,
            };
            Ok(PullSpec {
                url: t.url.trim().to_owned(),
                every,
                source,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_tables_are_read_with_their_defaults() {
        let text = "name = \"x\"\n[[pull]]\nurl = \"http://127.0.0.1:9/list.csv\"\n\
                    [[pull]]\nurl = \"https://h/l.json\"\nevery = \"2h\"\n";
        let specs = pulls(text).expect("pulls");
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].every, DEFAULT_PULL_INTERVAL);
        assert_eq!(specs[1].every, Duration::from_secs(7200));
        assert!(pulls("name = \"x\"\n").expect("none").is_empty());
        assert!(pulls("[[pull]]\nurl = \"ftp://h/\"\n").is_err());
        assert!(pulls("[[pull]]\nurl = \"http://h/\"\nsource = \"township\"\n").is_err());
    }

    #[test]
    fn intervals_take_seconds_minutes_or_hours() {
        assert_eq!(parse_interval("90s").ok(), Some(Duration::from_secs(90)));
        assert_eq!(parse_interval("30m").ok(), Some(Duration::from_secs(1800)));
        assert!(parse_interval("1s").is_err());
        assert!(parse_interval("30").is_err());
        assert!(parse_interval("m").is_err());
    }
}
