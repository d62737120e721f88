//! paicha (排查, "screening"): a GraphQL data hub that merges epidemic-screening records from
//! three sources into one deduplicated register of persons (see `DESIGN.md`).
//!
//! The flow runs one way: `intake` reads files, `normalize` brings every field to one form,
//! `resolve` decides which person a record is, `register` keeps it all in the database (`db`),
//! and `graphql` / `http` serve it.

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod graphql;
pub mod http;
pub mod intake;
pub mod normalize;
pub mod privacy;
pub mod register;
pub mod resolve;
pub mod telemetry;

pub use config::Reference;
pub use db::Db;
pub use register::Register;

/// Connects to `database_url` (migrating it) and opens the register for `reference`'s county.
pub async fn open_register(database_url: &str, reference: Reference) -> anyhow::Result<Register> {
    let db = Db::connect(database_url).await?;
    Ok(Register::new(db, reference))
}
