//! paicha (排查, "screening"): a GraphQL data hub that merges epidemic-screening records from
//! three sources into one deduplicated register of persons (see `DESIGN.md`).
//!
//! The flow runs one way: `intake` reads files, `normalize` brings every field to one form,
//! `resolve` decides which person a record is, `register` keeps it all in the database (`db`),
//! and `graphql` / `http` serve it.

pub mod access;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod eval;
pub mod exchange;
pub mod followup;
pub mod graphql;
pub mod http;
pub mod intake;
pub mod letters;
pub mod normalize;
pub mod parallel;
pub mod privacy;
pub mod register;
pub mod reports;
pub mod resolve;
pub mod states;
pub mod synth;
pub mod telemetry;

pub use config::Reference;
pub use db::Db;
pub use register::Register;

/// Connects to `database_url` (migrating it) and opens the register for `reference`'s county,
/// matching with the default `cn-identity` profile.
pub async fn open_register(database_url: &str, reference: Reference) -> anyhow::Result<Register> {
    let profile = resolve::profile::Profile::builtin("cn-identity")
        .ok_or_else(|| anyhow::anyhow!("the cn-identity profile is missing"))??;
    open_register_with(database_url, reference, profile).await
}

/// [`open_register`] with another matching profile.
pub async fn open_register_with(
    database_url: &str,
    reference: Reference,
    profile: resolve::profile::Profile,
) -> anyhow::Result<Register> {
    let db = Db::connect(database_url).await?;
    Ok(Register::new(db, reference, profile))
}
