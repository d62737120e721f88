//! What the hub runs with: the county gazetteer, the national division table, the matching
//! profile, and every limit and timeout ([`limits`]).

pub mod clock;
mod followup;
pub mod letters;
pub mod limits;
pub mod pull;
pub mod reports;

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

use crate::normalize::{Divisions, Gazetteer};
use crate::resolve::profile::Profile;

/// The demo county shipped in `fixtures/county.toml`, used when no `--county` is given.
const DEFAULT_COUNTY: &str = include_str!("../../fixtures/county.toml");

/// Reference data shared by intake, the register and the API. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Reference {
    /// The county this hub serves.
    pub gazetteer: Arc<Gazetteer>,
    /// Provinces, cities and counties of China with their GB/T 2260 codes.
    pub divisions: &'static Divisions,
    /// Home observation and temperature checks (`[followup]` of the county file).
    pub followup: Arc<crate::followup::observation::Rules>,
    /// Township daily reports (`[reports]` of the county file).
    pub reports: reports::ReportRules,
    /// How letters are numbered and signed (`[letters]` of the county file).
    pub letters: Arc<letters::LetterSettings>,
    /// The county's today: the real date, or the one pinned by `--today`.
    pub clock: clock::Clock,
    /// Upstream lists `serve` pulls (`[[pull]]` of the county file).
    pub pulls: Arc<Vec<pull::PullSpec>>,
}

impl Reference {
    /// Loads the county gazetteer from `county` (TOML), or the demo county when `None`.
    pub fn load(county: Option<&Path>) -> anyhow::Result<Self> {
        let (text, name) = match county {
            Some(path) => (
                std::fs::read_to_string(path).with_context(|| {
                    format!("Failed to read the county file {}", path.display())
                })?,
                format!("the county file {}", path.display()),
            ),
            None => (DEFAULT_COUNTY.to_owned(), "the demo county".to_owned()),
        };
        let gazetteer =
            parse_gazetteer(&text).with_context(|| format!("Failed to parse {name}"))?;
        let rules = followup::rules(&text).with_context(|| format!("Failed to parse {name}"))?;
        let report_rules = reports::rules(&text)
            .with_context(|| format!("Failed to parse the [reports] table of {name}"))?;
        let letter_settings = letters::settings(&text)
            .with_context(|| format!("Failed to parse the [letters] table of {name}"))?;
        let pulls = pull::pulls(&text).with_context(|| format!("Failed to parse {name}"))?;
        Ok(Self {
            gazetteer: Arc::new(gazetteer),
            divisions: Divisions::embedded(),
            followup: Arc::new(rules),
            reports: report_rules,
            letters: Arc::new(letter_settings),
            clock: clock::Clock::real(),
            pulls: Arc::new(pulls),
        })
    }

    /// The same reference with its clock pinned to `today` (`--today`), or real when `None`.
    pub fn with_today(mut self, today: Option<chrono::NaiveDate>) -> Self {
        self.clock = today.map_or_else(clock::Clock::real, clock::Clock::pinned);
        self
    }
}

fn parse_gazetteer(text: &str) -> anyhow::Result<Gazetteer> {
    let gazetteer: Gazetteer = toml::from_str(text)?;
    anyhow::ensure!(
        gazetteer.code.len() == 6 && gazetteer.code.bytes().all(|b| b.is_ascii_digit()),
        "the county code must be 6 digits"
    );
    Ok(gazetteer)
}

/// The matching profile `name_or_path` names: a built-in one (`cn-identity`, `febrl`) or a
/// profile file.
pub fn load_profile(name_or_path: &str) -> anyhow::Result<Profile> {
    if let Some(builtin) = Profile::builtin(name_or_path) {
        return Ok(builtin?);
    }
    let text = std::fs::read_to_string(name_or_path).with_context(|| {
        format!("No built-in profile `{name_or_path}` (cn-identity, febrl) and no such file")
    })?;
    Profile::from_toml(&text).with_context(|| format!("Failed to read the profile {name_or_path}"))
}
