//! `serve --demo`: fills an empty register with the demo county's sample files.

use crate::error::AppError;
use crate::intake::SourceKind;
use crate::register::{ImportRequest, Register};

/// The demo files shipped in `fixtures/demo/`, in the order a county received them.
const DEMO_FILES: [(SourceKind, &str, &[u8]); 3] = [
    (
        SourceKind::Bigdata,
        "bigdata.csv",
        include_bytes!("../fixtures/demo/bigdata.csv"),
    ),
    (
        SourceKind::Township,
        "township.csv",
        include_bytes!("../fixtures/demo/township.csv"),
    ),
    (
        SourceKind::External,
        "external.json",
        include_bytes!("../fixtures/demo/external.json"),
    ),
];

/// Imports the demo files when the register has no batch yet; returns how many were imported.
pub async fn seed(register: &Register) -> Result<usize, AppError> {
    if register.stats().await?.batches > 0 {
        return Ok(0);
    }
    for (source, name, bytes) in DEMO_FILES {
        let report = register
            .import(ImportRequest::new(source, name, bytes, "demo"))
            .await?;
        tracing::info!(
            file = name,
            rows.accepted = report.rows_accepted,
            rows.rejected = report.rows_rejected,
            persons.created = report.persons_created,
            "demo file imported"
        );
    }
    Ok(DEMO_FILES.len())
}
