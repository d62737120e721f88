//! `paicha report briefing`: the county's briefing of a day as text, a Word document or a
//! sheet of figures by township.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};

use crate::error::AppError;
use crate::register::Register;

/// `paicha report …`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The briefing as of the end of a day (China time).
    Briefing {
        /// The day (`YYYY-MM-DD`); the county's today when not given.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// text (the report's words), docx (a Word document to edit) or xlsx (the figures,
        /// county-wide and by township).
        #[arg(long, value_enum, default_value = "text")]
        format: BriefingFormat,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// How `report briefing` writes the briefing.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BriefingFormat {
    Text,
    Docx,
    Xlsx,
}

/// Runs `paicha report …`.
pub async fn run(register: &Register, action: ReportCommand) -> anyhow::Result<()> {
    let ReportCommand::Briefing { date, format, out } = action;
    let date = date.unwrap_or_else(|| register.reference.clock.today());
    let briefing = register
        .briefing(date)
        .await
        .map_err(AppError::into_anyhow)?;
    let bytes = match format {
        BriefingFormat::Text => crate::reports::text::render(&briefing)?.into_bytes(),
        BriefingFormat::Docx => {
            crate::reports::docx::render(&crate::reports::text::render(&briefing)?)?
        }
        BriefingFormat::Xlsx => {
            let townships = register
                .briefing_by_township(date)
                .await
                .map_err(AppError::into_anyhow)?;
            crate::reports::xlsx::render(&briefing, &townships)?
        }
    };
    match out {
        Some(path) => std::fs::write(&path, &bytes)
            .with_context(|| format!("Failed to write {}", path.display()))?,
        None => std::io::stdout()
            .write_all(&bytes)
            .context("Failed to write the briefing")?,
    }
    Ok(())
}
