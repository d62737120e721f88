//! `paicha export` and `paicha audit export`: the register, the worklists and the audit log
//! written out, every export written to the audit log first.

use super::*;

/// The user the command runs as, as the OS tells it (`USER`, else `LOGNAME`).
fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Writes the audit entry of an export of `rows` rows; the export runs only once it is on disk.
async fn audit_export_of(
    register: &Register,
    what: ExportWhat,
    format: ExportFormat,
    masked: bool,
    rows: usize,
) -> anyhow::Result<()> {
    let name = |value: Option<clap::builder::PossibleValue>| {
        value.map(|v| v.get_name().to_owned()).unwrap_or_default()
    };
    let what_name = name(what.to_possible_value());
    let format_name = name(format.to_possible_value());
    let shown = if masked { " --masked" } else { "" };
    let entry = AuditEntry {
        token_id: None,
        role: "CLI".to_owned(),
        kind: AuditKind::Export,
        operation: format!(
            "paicha export {what_name} --format {format_name}{shown} by OS user {}; filter: none (the whole register); {rows} rows",
            os_user()
        ),
        persons: Vec::new(),
        fields: match what {
            ExportWhat::Persons if !masked => vec!["idNumber".to_owned(), "phones".to_owned()],
            _ => Vec::new(),
        },
    };
    audit::record(register.db().audit(), &entry)
        .await
        .map_err(AppError::into_anyhow)
        .context("Failed to write the export to the audit log: nothing exported")
}

/// Writes the verification worklist of `township` (the county's own list without one) on
/// standard output, as CSV (UTF-8 with a byte-order mark) or XLSX, after its audit entry.
pub(super) async fn export_worklist(
    register: &Register,
    township: Option<&str>,
    format: ExportFormat,
    unmasked: bool,
) -> anyhow::Result<()> {
    use crate::register::query::{ExportFormat as Sheet, WORKLIST_HEADER, encode_sheet};
    let sheet_format = match format {
        ExportFormat::Csv => Sheet::Csv,
        ExportFormat::Xlsx => Sheet::Xlsx,
        ExportFormat::Json => anyhow::bail!("核查清单只能导出为 csv 或 xlsx"),
    };
    let township = township
        .map(|t| register.worklist_township(t))
        .transpose()
        .map_err(AppError::into_anyhow)?;
    let sheet = register
        .worklist_sheet(township.as_deref(), unmasked)
        .await
        .map_err(AppError::into_anyhow)?;
    let entry = AuditEntry {
        token_id: None,
        role: "CLI".to_owned(),
        kind: AuditKind::Export,
        operation: format!(
            "paicha export worklist --township {} --format {}{} by OS user {}; {} rows",
            township.as_deref().unwrap_or("(county)"),
            sheet_format.extension(),
            if unmasked { " --unmasked" } else { "" },
            os_user(),
            sheet.rows.len()
        ),
        persons: sheet.persons.clone(),
        fields: if unmasked {
            vec!["phones".to_owned()]
        } else {
            Vec::new()
        },
    };
    audit::record(register.db().audit(), &entry)
        .await
        .map_err(AppError::into_anyhow)
        .context("Failed to write the export to the audit log: nothing exported")?;
    let bytes = encode_sheet(&WORKLIST_HEADER, "核查清单", &sheet.rows, sheet_format)
        .map_err(AppError::into_anyhow)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

pub(super) async fn export(
    register: &Register,
    what: ExportWhat,
    format: ExportFormat,
    masked: bool,
) -> anyhow::Result<()> {
    if let ExportFormat::Xlsx = format {
        anyhow::bail!("xlsx 只用于导出核查清单（paicha export worklist）");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match what {
        ExportWhat::Records => {
            let rows = register
                .export_records()
                .await
                .map_err(AppError::into_anyhow)?;
            audit_export_of(register, what, format, masked, rows.len()).await?;
            let rows = rows.into_iter().map(|(source, record_id, person)| {
                let source = SourceKind::from_db(&source).map_or(source, |s| s.as_cli().to_owned());
                (source, record_id, person)
            });
            match format {
                ExportFormat::Csv => {
                    let mut w = csv::Writer::from_writer(&mut out);
                    w.write_record(["source", "record_id", "person_id"])?;
                    for (source, record_id, person) in rows {
                        w.write_record([
                            escape_csv_cell(&source),
                            escape_csv_cell(&record_id),
                            person.to_string(),
                        ])?;
                    }
                    w.flush()?;
                }
                ExportFormat::Json | ExportFormat::Xlsx => {
                    let rows: Vec<_> = rows
                        .map(|(source, record_id, person_id)| {
                            serde_json::json!({
                                "source": source,
                                "record_id": record_id,
                                "person_id": person_id,
                            })
                        })
                        .collect();
                    serde_json::to_writer_pretty(&mut out, &rows)?;
                    writeln!(out)?;
                }
            }
        }
        ExportWhat::Worklist => {
            anyhow::bail!("核查清单请用 paicha export worklist --township 乡镇 导出");
        }
        ExportWhat::Persons => {
            let persons = register
                .export_persons()
                .await
                .map_err(AppError::into_anyhow)?;
            let header = [
                "person_id",
                "name",
                "id_number",
                "phones",
                "birth_date",
                "sex",
                "township",
                "village",
                "location_status",
                "jurisdiction_code",
                "hubei_link",
                "arrival_date",
            ];
            let shown = |value: String, mask: fn(&str) -> String| {
                if masked { mask(&value) } else { value }
            };
            let rows = persons
                .into_iter()
                .map(|p| {
                    let phones: Vec<String> = serde_json::from_str(&p.phones)
                        .with_context(|| format!("reading the stored phones of person {}", p.id))?;
                    let phones: Vec<String> =
                        phones.into_iter().map(|v| shown(v, mask_text)).collect();
                    anyhow::Ok([
                        p.id.to_string(),
                        p.name.unwrap_or_default(),
                        p.id_number.map(|v| shown(v, mask_text)).unwrap_or_default(),
                        phones.join(";"),
                        // Masked to its year with the ID number (privacy.rs).
                        p.birth_date
                            .map(|d| shown(d.to_string(), mask_text))
                            .unwrap_or_default(),
                        p.sex.map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        p.township.unwrap_or_default(),
                        p.village.unwrap_or_default(),
                        p.location_status.as_str().to_owned(),
                        p.jurisdiction_code.unwrap_or_default(),
                        p.hubei_link.as_str().to_owned(),
                        p.arrival_date.map(|d| d.to_string()).unwrap_or_default(),
                    ])
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            audit_export_of(register, what, format, masked, rows.len()).await?;
            match format {
                ExportFormat::Csv => {
                    let mut w = csv::Writer::from_writer(&mut out);
                    w.write_record(header)?;
                    for row in rows {
                        w.write_record(row.map(|v| escape_csv_cell(&v)))?;
                    }
                    w.flush()?;
                }
                ExportFormat::Json | ExportFormat::Xlsx => {
                    let rows: Vec<serde_json::Map<String, serde_json::Value>> = rows
                        .into_iter()
                        .map(|row| {
                            header
                                .iter()
                                .zip(row)
                                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v)))
                                .collect()
                        })
                        .collect();
                    serde_json::to_writer_pretty(&mut out, &rows)?;
                    writeln!(out)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

pub(super) async fn audit_export(register: &Register, format: ExportFormat) -> anyhow::Result<()> {
    if let ExportFormat::Xlsx = format {
        anyhow::bail!("xlsx 只用于导出核查清单（paicha export worklist）");
    }
    let entries = register
        .audit_entries()
        .await
        .map_err(AppError::into_anyhow)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "id",
                "at",
                "token_id",
                "role",
                "kind",
                "operation",
                "persons",
                "fields",
            ])?;
            for e in entries {
                let persons: Vec<i64> = serde_json::from_str(&e.persons).unwrap_or_default();
                let fields: Vec<String> = serde_json::from_str(&e.fields).unwrap_or_default();
                w.write_record([
                    e.id.to_string(),
                    e.at.to_rfc3339(),
                    e.token_id.map(|t| t.to_string()).unwrap_or_default(),
                    escape_csv_cell(&e.role),
                    escape_csv_cell(e.kind.as_str()),
                    escape_csv_cell(&e.operation),
                    persons
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(";"),
                    escape_csv_cell(&fields.join(";")),
                ])?;
            }
            w.flush()?;
        }
        ExportFormat::Json | ExportFormat::Xlsx => {
            let rows: Vec<serde_json::Value> = entries
                .into_iter()
                .map(|e| {
                    anyhow::Ok(serde_json::json!({
                        "id": e.id,
                        "at": e.at.to_rfc3339(),
                        "token_id": e.token_id,
                        "role": e.role,
                        "kind": e.kind.as_str(),
                        "operation": e.operation,
                        "persons": serde_json::from_str::<serde_json::Value>(&e.persons)
                            .with_context(|| format!("reading the persons of audit entry {}", e.id))?,
                        "fields": serde_json::from_str::<serde_json::Value>(&e.fields)
                            .with_context(|| format!("reading the fields of audit entry {}", e.id))?,
                    }))
                })
                .collect::<anyhow::Result<_>>()?;
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}
