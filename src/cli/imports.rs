//! `paicha import` of persons' files: the files are read before the database is opened, and
//! the first one's reading and normalising starts then ([`ReadAhead`]), so that opening the
//! register (on a new one: creating its tables) overlaps it.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use bytes::Bytes;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Reference;
use crate::error::AppError;
use crate::intake::SourceKind;
use crate::register::import::ReadAhead;
use crate::register::{ImportRequest, Progress, Register};
use crate::resolve::profile::Profile;

/// The files of one `paicha import` of persons, read, the first one's reading under way.
pub(super) struct ImportFiles {
    source: SourceKind,
    mapping: Option<String>,
    /// Each file's name and content.
    contents: Vec<(String, Bytes)>,
    ahead: Option<ReadAhead>,
}

impl ImportFiles {
    /// Reads the mapping file and `files` of `source`, and starts reading and normalising the
    /// first one as an import with `profile` for the county of `reference` would.
    pub(super) fn read(
        source: SourceKind,
        files: &[PathBuf],
        map: Option<&Path>,
        reference: &Reference,
        profile: &Arc<Profile>,
    ) -> anyhow::Result<Self> {
        let mapping = map
            .map(|p| {
                std::fs::read_to_string(p)
                    .with_context(|| format!("Failed to read the mapping file {}", p.display()))
            })
            .transpose()?;
        let mut contents = Vec::with_capacity(files.len());
        for path in files {
            let bytes = std::fs::read(path)
                .with_context(|| format!("Failed to read {}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            contents.push((name, Bytes::from(bytes)));
        }
        let mut files = Self {
            source,
            mapping,
            contents,
            ahead: None,
        };
        files.ahead = files
            .requests(&crate::register::NoProgress)
            .first()
            .map(|first| ReadAhead::start(reference, Arc::clone(profile), first));
        Ok(files)
    }

    /// One request per file, in the order given, reporting to `progress`.
    fn requests<'a>(&'a self, progress: &'a dyn Progress) -> Vec<ImportRequest<'a>> {
        self.contents
            .iter()
            .map(|(name, bytes)| {
                let mut request = ImportRequest::new(self.source, name, bytes.clone(), "cli");
                request.mapping = self.mapping.as_deref();
                request.progress = progress;
                request
            })
            .collect()
    }
}

/// Imports `files` into `register` in one command (one transaction, one resolution run) and
/// prints each batch's report (as JSON with `json`).
pub(super) async fn import(
    register: &Register,
    mut files: ImportFiles,
    json: bool,
) -> anyhow::Result<()> {
    let bar = ProgressBar::new(0);
    if std::io::stderr().is_terminal() {
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let progress = Bar(bar);
    let ahead = files.ahead.take();
    let reports = register
        .import_all_read_ahead(files.requests(&progress), ahead)
        .await
        .map_err(AppError::into_anyhow)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for report in &reports {
            print!("{}", report.to_text());
        }
    }
    Ok(())
}

/// A progress bar on a terminal.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, stage: &str, total: u64) {
        self.0.set_length(total);
        self.0.set_position(0);
        self.0.set_message(stage.to_owned());
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
