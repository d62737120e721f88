//! Errors that say what happened to the storage: a full disk and a database that cannot be
//! written are named, with the database's path, never `INTERNAL`.

use paicha::db::{Db, Sharing};
use paicha::error::AppError;
use paicha::intake::SourceKind;
use paicha::register::ImportRequest;
use paicha::{Reference, Register};
use sea_orm::ConnectionTrait as _;

fn url_of(dir: &tempfile::TempDir, mode: &str) -> (String, std::path::PathBuf) {
    let path = dir.path().join("paicha.db");
    (format!("sqlite://{}?mode={mode}", path.display()), path)
}

#[tokio::test]
async fn an_import_onto_a_full_disk_is_storage_full_naming_the_database_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, path) = url_of(&dir, "rwc");
    // One connection, so that the page limit below holds for the import's transaction.
    let db = Db::connect_with(&url, Sharing::Alone)
        .await
        .expect("connect");
    let pages: i64 = db
        .conn
        .query_one_raw(sea_orm::Statement::from_string(
            db.backend(),
            "PRAGMA page_count",
        ))
        .await
        .expect("page count")
        .expect("a row")
        .try_get_by_index(0)
        .expect("a number");
    // The database may grow by a few pages only: as good as a full disk.
    db.conn
        .execute_unprepared(&format!("PRAGMA max_page_count = {}", pages + 4))
        .await
        .expect("limit the file");
    let register = Register::new(
        db,
        Reference::load(None).expect("demo county"),
        paicha::resolve::profile::Profile::builtin("cn-identity")
            .expect("built in")
            .expect("valid"),
    );

    let failed = register
        .import(ImportRequest::new(
            SourceKind::Bigdata,
            "big.csv",
            crate::helpers::phone_list(3_000).into_bytes(),
            "test",
        ))
        .await
        .expect_err("no room for the batch");

    let AppError::StorageFull(message) = &failed else {
        panic!("expected STORAGE_FULL, got {failed:?}");
    };
    assert!(
        message.contains(&path.display().to_string()),
        "names the database: {message}"
    );
    assert_eq!(failed.code(), "STORAGE_FULL");
    assert_eq!(
        crate::helpers::count_rows(&register, "import_batch").await,
        0
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_written_is_refused_at_start_with_its_path_and_the_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, path) = url_of(&dir, "rwc");
    drop(Db::connect(&url).await.expect("a register to open later"));
    // Opened read-only, as a read-only file, folder or mount would be.
    let (read_only, _) = url_of(&dir, "ro");

    let refused = crate::helpers::paicha_command(&read_only)
        .args(["import", "bigdata"])
        .arg(crate::helpers::sample("bigdata.ndjson"))
        .output()
        .expect("paicha runs");

    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(said.contains(&path.display().to_string()), "{said}");
    assert!(said.contains("cannot be written"), "{said}");
    assert!(said.contains("write access"), "the fix: {said}");
    assert!(!said.contains("Stack backtrace"), "{said}");
}
