//! `paicha letters`: the clerk's basics on the command line — draft the letters, list them,
//! and render one to a file (audited as an unmasked read, like a download).

use super::*;
use crate::letters::document::DocumentFormat;

/// What `paicha letters` does.
#[derive(Subcommand, Debug)]
pub enum LettersCommand {
    /// Put every person outside the county on no open letter into a draft for their
    /// destination, and print the drafts written to.
    Draft,
    /// List the letters, newest first.
    List,
    /// Render one letter to a file in DIR (`letter-7.pdf`); audited as an unmasked read.
    Render {
        /// The letter's ID.
        #[arg(long)]
        id: i64,
        /// pdf | html | csv | xlsx.
        #[arg(long)]
        format: String,
        /// Directory to write the file to (created if missing).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

/// The user the command runs as, as the OS tells it (`USER`, else `LOGNAME`).
fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Runs `paicha letters …`.
pub(super) async fn letters(register: &Register, action: LettersCommand) -> anyhow::Result<()> {
    let actor = format!("cli:{}", os_user());
    let mut out = std::io::stdout().lock();
    match action {
        LettersCommand::Draft => {
            let drafts = register
                .draft_letters(&actor)
                .await
                .map_err(AppError::into_anyhow)?;
            for d in &drafts {
                let persons = register
                    .letter_persons(d.id)
                    .await
                    .map_err(AppError::into_anyhow)?
                    .iter()
                    .filter(|e| e.status == crate::states::LetterPersonStatus::Open)
                    .count();
                writeln!(
                    out,
                    "草稿 {}\t{}\t{} 人",
                    d.id, d.jurisdiction_name, persons
                )?;
            }
            let unaddressed = register
                .letters_unaddressed()
                .await
                .map_err(AppError::into_anyhow)?;
            writeln!(
                out,
                "共 {} 封草稿；去向不明、无法发函的县外人员 {} 人",
                drafts.len(),
                unaddressed.len()
            )?;
        }
        LettersCommand::List => {
            let page = register
                .letters(
                    &Default::default(),
                    sea_orm::Condition::all(),
                    Some(crate::config::limits::MAX_PAGE),
                    None,
                )
                .await
                .map_err(AppError::into_anyhow)?;
            writeln!(out, "id\t状态\t文号\t收函单位\t发出日期")?;
            for l in page.items {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}",
                    l.id,
                    crate::letters::lifecycle::label(l.state),
                    l.number.as_deref().unwrap_or("-"),
                    l.jurisdiction_name,
                    l.issued_on.map(|d| d.to_string()).unwrap_or_default()
                )?;
            }
        }
        LettersCommand::Render {
            id,
            format,
            out: dir,
        } => {
            let format = DocumentFormat::from_extension(&format)
                .with_context(|| format!("未知的格式“{format}”：请使用 pdf、html、csv 或 xlsx"))?;
            let document = register
                .letter_document(id)
                .await
                .map_err(AppError::into_anyhow)?;
            let bytes =
                crate::letters::render::render(&document, format).map_err(AppError::into_anyhow)?;
            let mut persons: Vec<i64> = document.persons.iter().map(|p| p.person_id).collect();
            persons.sort_unstable();
            let entry = AuditEntry {
                token_id: None,
                role: "CLI".to_owned(),
                kind: AuditKind::UnmaskedRead,
                operation: format!(
                    "paicha letters render --id {id} --format {} by OS user {}",
                    format.extension(),
                    os_user()
                ),
                persons,
                fields: vec!["idNumber".to_owned(), "phones".to_owned()],
            };
            audit::record(register.db().audit(), &entry)
                .await
                .map_err(AppError::into_anyhow)
                .context("Failed to write the render to the audit log: nothing written")?;
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("Failed to create {}", dir.display()))?;
            let path = dir.join(format!("letter-{id}.{}", format.extension()));
            std::fs::write(&path, bytes)
                .with_context(|| format!("Failed to write {}", path.display()))?;
            writeln!(out, "{}", path.display())?;
        }
    }
    Ok(())
}
