//! The command line (DESIGN §2): `serve`, `import`, `export`, `schema`, `migrate`; and for
//! benchmarks `synth` (synthetic source files with their truth) and `eval` (pairwise scores of
//! the register against a truth).

use std::io::Write;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::access::audit::{self, AuditEntry, AuditKind};
use crate::access::{Role, token::TokenSpec};
use crate::config::Reference;
use crate::config::limits::{DASHBOARD_MIN_GROUP, DEFAULT_REQUESTS_PER_MINUTE, RETRAIN_IDLE};
use crate::db::writer::WaitNotice;
use crate::db::{DEFAULT_DATABASE_URL, Db, Sharing};
use crate::error::AppError;
use crate::intake::SourceKind;
use crate::privacy::{escape_csv_cell, mask_text};
use crate::register::Register;
use crate::states::Stored as _;

mod exchange;
mod exports;
mod imports;
mod report;
pub use exchange::{DeliveryArgs, PartnerCommand};
mod letters;
use exports::{audit_export, export, export_worklist};
use imports::ImportFiles;
pub use letters::LettersCommand;

/// paicha — the screening register hub.
#[derive(Debug, Parser)]
#[command(name = "paicha", version, about)]
pub struct Cli {
    /// Database URL: `sqlite://FILE?mode=rwc` (default, embedded) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// County gazetteer (TOML); the demo county when not given.
    #[arg(long, env = "PAICHA_COUNTY", global = true)]
    pub county: Option<PathBuf>,
    /// Matching profile: `cn-identity` (default), `febrl`, or a profile file (TOML).
    #[arg(
        long,
        env = "PAICHA_PROFILE",
        default_value = "cn-identity",
        global = true
    )]
    pub profile: String,
    /// The county's today (`YYYY-MM-DD`, China time) for every rule that depends on the date:
    /// observation days, due checks, alerts. The real date when not given.
    #[arg(long, env = "PAICHA_TODAY", global = true)]
    pub today: Option<chrono::NaiveDate>,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the GraphQL API (GraphiQL in a browser at /graphql).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Fill an empty database with the demo county's sample files first, and print a demo
        /// ADMIN token (earlier demo tokens are revoked).
        #[arg(long)]
        demo: bool,
        /// Requests a minute each token may send.
        #[arg(long, env = "PAICHA_RATE_LIMIT", default_value_t = NonZeroU32::new(DEFAULT_REQUESTS_PER_MINUTE).unwrap_or(NonZeroU32::MIN))]
        rate_limit: NonZeroU32,
        /// Fewest persons a group of an aggregate may count for a DASHBOARD token; smaller
        /// groups are withheld.
        #[arg(long, env = "PAICHA_MIN_GROUP", default_value_t = DASHBOARD_MIN_GROUP)]
        min_group: u64,
        #[command(flatten)]
        delivery: DeliveryArgs,
        /// Retrain the match model once due (grown by the profile's `retrain_growth`) and no
        /// file was imported for this long (`90s`, `10m`, `2h`), or `off`.
        #[arg(long, env = "PAICHA_RETRAIN_IDLE", default_value = RETRAIN_IDLE)]
        retrain_idle: String,
    },
    /// Create, list and revoke API tokens.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// The audit log of unmasked reads and changes.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Letters (协查函): draft them, list them, render one to a file.
    Letters {
        #[command(subcommand)]
        action: LettersCommand,
    },
    /// Import files of one source kind (bigdata, township or external).
    Import {
        /// bigdata | township | external; or temperatures (temperature sheets of persons
        /// under home observation), or teams (their responsible teams, 五包一), or
        /// daily-reports (townships' daily reports, 日报告)
        source: ImportWhat,
        /// CSV, XLSX, JSON or NDJSON files, each imported as one batch.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Mapping file (TOML `"column" = "field"`) for headers paicha does not know.
        #[arg(long = "map")]
        map: Option<PathBuf>,
        /// Print the batch reports as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the register out on standard output; every export is written to the audit log
    /// (the OS user, the command and the rows) before any row leaves.
    Export {
        /// records (`source,record_id,person_id`), persons, or a township's verification
        /// worklist (`--township`; without it, the county's own list).
        what: ExportWhat,
        /// Output format (xlsx: the worklist only).
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Mask ID numbers and phones (`420102********1234`, `138****5678`).
        #[arg(long)]
        masked: bool,
        /// The worklist's township (a name of the county gazetteer).
        #[arg(long)]
        township: Option<String>,
        /// Write the worklist's phones and the ID numbers and phones in its free text
        /// unmasked (masked by default); audited.
        #[arg(long)]
        unmasked: bool,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` holds the same.
    Schema,
    /// Write synthetic source files (bigdata.csv, township.csv, external.json), their
    /// truth.csv and where each person really is (location.csv) for benchmarks; no database
    /// is touched.
    Synth {
        /// Number of persons (about 1.8 records each).
        #[arg(long, default_value_t = 20_000)]
        persons: usize,
        /// Random seed: the same seed writes the same bytes.
        #[arg(long, default_value_t = 20_200_125)]
        seed: u64,
        /// Directory to write the four files to (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Score the register against a truth file: pairwise precision, recall and F1 (and,
    /// with `--location`, location-status accuracy).
    Eval {
        /// `source,record_id,person_id` CSV, or FEBRL clusters `rec_id,entity_id`.
        #[arg(long)]
        truth: PathBuf,
        /// Print the scores as JSON.
        #[arg(long)]
        json: bool,
        /// Also score location status against where each person really is
        /// (`person_id,status`, the `location.csv` of `paicha synth`; person IDs as in the
        /// truth file).
        #[arg(long)]
        location: Option<PathBuf>,
    },
    /// The county's reports: `report briefing --date D --format text|docx|xlsx [--out FILE]`.
    Report {
        #[command(subcommand)]
        action: report::ReportCommand,
    },
    /// Register the partner hubs this hub exchanges notices with, and their shared secrets.
    Partner {
        #[command(subcommand)]
        action: PartnerCommand,
    },
    /// Pull an upstream list over HTTP and import it (once, or `--every` interval).
    Pull {
        /// bigdata (the only kind pulled).
        source: SourceKind,
        /// Where the list is (`https://…`).
        #[arg(long)]
        url: String,
        /// Pull again every interval (`90s`, `30m`, `2h`) until interrupted.
        #[arg(long)]
        every: Option<String>,
    },
    /// Apply database migrations.
    Migrate,
    /// Retrain the match model on the whole register and resolve every record again (imports
    /// into a large register only match their batches against it).
    Resolve,
}

/// `paicha token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (once: only its hash is stored).
    Create {
        /// ADMIN, ANALYST, CLERK, TOWNSHIP, PARTNER or DASHBOARD.
        #[arg(long)]
        role: Role,
        /// TOWNSHIP tokens: the township (any spelling the county gazetteer knows).
        #[arg(long, conflicts_with = "partner")]
        township: Option<String>,
        /// PARTNER tokens: the jurisdiction (a GB/T 2260 code or a place name).
        #[arg(long)]
        partner: Option<String>,
        /// When it stops working: days (`30d`), hours (`12h`) or a last day (`2020-03-01`).
        #[arg(long)]
        expires: Option<String>,
        /// Who the token is for.
        #[arg(long)]
        note: Option<String>,
    },
    /// List tokens (never the tokens themselves).
    List,
    /// Revoke a token for good.
    Revoke {
        /// The token's ID, as `token list` shows it.
        id: i64,
    },
}

/// `paicha audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write the whole audit log out on standard output.
    Export {
        /// Output format.
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
    },
}

/// What `export` writes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportWhat {
    Records,
    Persons,
    Worklist,
}

/// How `export` writes it.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
    /// An Excel workbook (the worklist only).
    Xlsx,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Schema = cli.command {
        print!("{}", crate::graphql::sdl());
        return Ok(());
    }
    // The demo replays its scenario's last day unless told which day it is.
    let today = match cli.command {
        Command::Serve { demo: true, .. } => cli.today.or_else(crate::demo::scenario_last_day),
        _ => cli.today,
    };
    let reference = Reference::load(cli.county.as_deref())?.with_today(today);
    if let Command::Synth { persons, seed, out } = &cli.command {
        return synth(*persons, *seed, out, &reference);
    }
    let profile = std::sync::Arc::new(crate::config::load_profile(&cli.profile)?);
    // An import's files are read, and the first one's reading started, before the database
    // is opened: opening a new register (creating its tables) overlaps it.
    let mut import_files = match &cli.command {
        Command::Import {
            source: ImportWhat::Source(source),
            files,
            map,
            ..
        } => Some(ImportFiles::read(
            *source,
            files,
            map.as_deref(),
            &reference,
            &profile,
        )?),
        _ => None,
    };
    // The commands that write in bulk open the database alone (see `db::Sharing`).
    let sharing = match cli.command {
        Command::Import { .. } | Command::Resolve => Sharing::Alone,
        _ => Sharing::Shared,
    };
    // A command that has to wait for another's write says so on the terminal.
    let notice = WaitNotice::new(|message| eprintln!("{message}"));
    let db = Db::connect_announcing(&cli.database_url, sharing, notice).await?;
    let register = Register::new(db, reference, profile);
    // Commands that read or change the register bring its follow-up up to date first, as
    // the server does every minute; an import syncs the persons it changes itself (issue 25).
    let importing = matches!(cli.command, Command::Import { .. });
    if (importing || matches!(cli.command, Command::Export { .. } | Command::Report { .. }))
        && let Err(e) = register.catch_up_followup(!importing).await
    {
        tracing::warn!(error = ?e, "the follow-up sweep failed");
    }
    let outcome = match cli.command {
        Command::Schema | Command::Migrate | Command::Synth { .. } => Ok(()),
        Command::Serve {
            bind,
            demo,
            rate_limit,
            min_group,
            delivery,
            retrain_idle,
        } => {
            let register = register.clone().with_min_group(min_group);
            let retrain_idle = crate::config::pull::parse_idle(&retrain_idle)?;
            serve(register, bind, demo, rate_limit, delivery, retrain_idle).await
        }
        Command::Token { action } => token(&register, action).await,
        Command::Audit {
            action: AuditCommand::Export { format },
        } => audit_export(&register, format).await,
        Command::Import {
            source: ImportWhat::Source(_),
            json,
            ..
        } => match import_files.take() {
            Some(files) => imports::import(&register, files, json).await,
            None => Err(anyhow::anyhow!("the files to import were not read")),
        },
        Command::Import {
            source:
                sheet @ (ImportWhat::Temperatures | ImportWhat::Teams | ImportWhat::DailyReports),
            files,
            json,
            ..
        } => import_sheets(&register, sheet, &files, json).await,
        Command::Export {
            what: ExportWhat::Worklist,
            format,
            township,
            unmasked,
            ..
        } => export_worklist(&register, township.as_deref(), format, unmasked).await,
        Command::Export {
            what,
            format,
            masked,
            ..
        } => export(&register, what, format, masked).await,
        Command::Eval {
            truth,
            json,
            location,
        } => eval(&register, &truth, json, location.as_deref()).await,
        Command::Report { action } => report::run(&register, action).await,
        Command::Partner { action } => exchange::partner(&register, action).await,
        Command::Pull { source, url, every } => {
            exchange::pull(&register, source, &url, every.as_deref()).await
        }
        Command::Letters { action } => letters::letters(&register, action).await,
        Command::Resolve => resolve(&register).await,
    };
    // What the command wrote leaves the write-ahead log before the process ends.
    register.close_command().await;
    outcome
}

async fn resolve(register: &Register) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let summary = register
        .resolve_all("cli")
        .await
        .map_err(AppError::into_anyhow)?;
    println!(
        "resolved in {:.2} s: {} persons created, {} merged, {} split, {} links changed, {} review candidates",
        started.elapsed().as_secs_f64(),
        summary.persons_created,
        summary.persons_merged,
        summary.persons_split,
        summary.links_changed,
        summary.review_candidates
    );
    Ok(())
}

fn synth(
    persons: usize,
    seed: u64,
    out: &std::path::Path,
    reference: &Reference,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let files = crate::synth::generate(persons, seed, reference);
    std::fs::create_dir_all(out)
        .with_context(|| format!("Failed to create the directory {}", out.display()))?;
    for (name, text) in [
        ("bigdata.csv", &files.bigdata_csv),
        ("township.csv", &files.township_csv),
        ("external.json", &files.external_json),
        ("truth.csv", &files.truth_csv),
        ("location.csv", &files.location_csv),
    ] {
        let path = out.join(name);
        std::fs::write(&path, text)
            .with_context(|| format!("Failed to write {}", path.display()))?;
    }
    // Counts only: the files themselves hold the (fictional) personal data.
    print!("{}", files.stats.to_text());
    println!(
        "written to {} in {:.2} s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn eval(
    register: &Register,
    truth: &std::path::Path,
    json: bool,
    location: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(truth)
        .with_context(|| format!("Failed to read the truth file {}", truth.display()))?;
    let truth = crate::eval::parse_truth(&text)
        .with_context(|| format!("Failed to read the truth file {}", truth.display()))?;
    let records = register
        .export_records()
        .await
        .map_err(AppError::into_anyhow)?;
    let predicted = crate::eval::predicted_rows(&records, truth.format);
    let scores = crate::eval::pairwise(&predicted, &truth.rows);
    let location = match location {
        Some(path) => Some(eval_location(register, &records, &truth, path).await?),
        None => None,
    };
    if json {
        #[derive(serde::Serialize)]
        struct Output {
            truth_format: crate::eval::TruthFormat,
            #[serde(flatten)]
            scores: crate::eval::PairwiseScores,
            #[serde(skip_serializing_if = "Option::is_none")]
            location: Option<crate::eval::location::LocationScores>,
        }
        let output = Output {
            truth_format: truth.format,
            scores,
            location,
        };
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        print!("{}", scores.to_text());
        if let Some(location) = location {
            print!("{}", location.to_text());
        }
    }
    Ok(())
}

/// Location-status accuracy of the register against the true locations in `path`.
async fn eval_location(
    register: &Register,
    records: &[(String, String, i64)],
    truth: &crate::eval::Truth,
    path: &std::path::Path,
) -> anyhow::Result<crate::eval::location::LocationScores> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("Failed to read the location file {}", path.display()))?;
    let locations = crate::eval::location::parse_locations(&text)
        .with_context(|| format!("Failed to read the location file {}", path.display()))?;
    let statuses = register
        .export_persons()
        .await
        .map_err(AppError::into_anyhow)?
        .into_iter()
        .map(|p| (p.id, p.location_status))
        .collect();
    Ok(crate::eval::location::score_locations(
        records, &statuses, truth, &locations,
    ))
}

async fn serve(
    register: Register,
    bind: SocketAddr,
    demo: bool,
    rate_limit: NonZeroU32,
    delivery: DeliveryArgs,
    retrain_idle: Option<std::time::Duration>,
) -> anyhow::Result<()> {
    if demo {
        let n = crate::demo::seed(&register)
            .await
            .map_err(AppError::into_anyhow)?;
        if n > 0 {
            tracing::info!(files = n, "demo data imported");
        }
        let token = register
            .demo_admin_token()
            .await
            .map_err(AppError::into_anyhow)?;
        // On standard output, not in the log: the token is a secret shown to the operator once.
        println!("demo ADMIN token (shown once; send it as `Authorization: Bearer …`):\n{token}");
        if let Some(day) = register.reference.clock.pin() {
            println!(
                "the county's today is {day}, the demo scenario's last day (--today to change)"
            );
        }
    }
    let access = register.access_required().with_rate_limit(rate_limit);
    let sweeper = register.spawn_followup_sweeper();
    let pulls = crate::exchange::pull::spawn_pulls(&register).map_err(AppError::into_anyhow)?;
    let deliveries = crate::exchange::delivery::spawn_delivery(&register, delivery.settings())
        .map_err(AppError::into_anyhow)?;
    let retrainer = retrain_idle.map(|idle| register.spawn_retrainer(idle));
    let app = crate::http::router(crate::graphql::schema(register), access);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("Failed to listen on {bind}"))?;
    tracing::info!(%bind, "paicha serving the console at http://{bind}/ and GraphQL at /graphql");
    // The client's address holds requests without a valid token to the rate limit.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("Server failed")?;
    // The server's background tasks stop with it.
    let tasks = [sweeper, deliveries]
        .into_iter()
        .chain(retrainer)
        .chain(pulls);
    tasks.for_each(|task| task.abort());
    Ok(())
}

/// What `paicha import` reads: files of a source kind, or temperature sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportWhat {
    /// Files of persons from one source.
    Source(SourceKind),
    /// Temperature sheets (`importTemperatures`).
    Temperatures,
    /// Team sheets (五包一, as `assignTeam`).
    Teams,
    /// Townships' daily report sheets (as `fileDailyReport`).
    DailyReports,
}

impl std::str::FromStr for ImportWhat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().eq_ignore_ascii_case("temperatures") {
            return Ok(Self::Temperatures);
        }
        if s.trim().eq_ignore_ascii_case("teams") {
            return Ok(Self::Teams);
        }
        if s.trim().eq_ignore_ascii_case("daily-reports") {
            return Ok(Self::DailyReports);
        }
        s.parse::<SourceKind>().map(Self::Source).map_err(|_| {
            format!(
                "unknown source kind '{s}': use bigdata, township, external, temperatures, teams \
                 or daily-reports"
            )
        })
    }
}

/// Imports follow-up sheets (temperatures or teams), one after the other; prints each one's
/// report, or all of them as JSON.
async fn import_sheets(
    register: &Register,
    sheet: ImportWhat,
    files: &[PathBuf],
    json: bool,
) -> anyhow::Result<()> {
    let mut reports = Vec::new();
    for path in files {
        let bytes =
            std::fs::read(path).with_context(|| format!("Failed to read {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let failed = || format!("Failed to import {}", path.display());
        let (summary, rejected, report) = match sheet {
            ImportWhat::Teams => {
                let r = register
                    .import_teams(&name, &bytes, |_| true)
                    .await
                    .map_err(AppError::into_anyhow)
                    .with_context(failed)?;
                let summary = format!(
                    "{} 行，为 {} 人分配包保团队，未录入 {} 行",
                    r.rows,
                    r.teams,
                    r.rejected.len()
                );
                (summary, r.rejected.clone(), serde_json::to_value(&r)?)
            }
            ImportWhat::Source(source) => {
                anyhow::bail!("{source} files are not follow-up sheets")
            }
            ImportWhat::DailyReports => {
                let r = register
                    .import_daily_reports(&name, &bytes, &format!("sheet {name}"), |_| true)
                    .await
                    .map_err(AppError::into_anyhow)
                    .with_context(failed)?;
                let summary = format!(
                    "{} 行，录入日报 {} 份（其中更正 {} 份），未录入 {} 行",
                    r.rows,
                    r.filed,
                    r.replaced,
                    r.rejected.len()
                );
                let rejected = r
                    .rejected
                    .iter()
                    .map(|x| crate::register::followup::RejectedReading {
                        row: x.row,
                        reason: x.reason.clone(),
                    })
                    .collect();
                (summary, rejected, serde_json::to_value(&r)?)
            }
            ImportWhat::Temperatures => {
                let r = register
                    .import_temperatures(&name, &bytes, |_| true)
                    .await
                    .map_err(AppError::into_anyhow)
                    .with_context(failed)?;
                let summary = format!(
                    "{} 行，录入体温 {} 条（其中更正 {} 条），发热预警 {} 条，未录入 {} 行",
                    r.rows,
                    r.readings,
                    r.corrections,
                    r.fevers,
                    r.rejected.len()
                );
                (summary, r.rejected.clone(), serde_json::to_value(&r)?)
            }
        };
        if !json {
            println!("{name}：{summary}");
            for rejected in &rejected {
                println!("  第 {} 行：{}", rejected.row, rejected.reason);
            }
        }
        reports.push(report);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(())
}

async fn token(register: &Register, action: TokenCommand) -> anyhow::Result<()> {
    match action {
        TokenCommand::Create {
            role,
            township,
            partner,
            expires,
            note,
        } => {
            let mut spec = TokenSpec::parse(
                role,
                township.as_deref(),
                partner.as_deref(),
                &register.reference,
            )
            .map_err(AppError::into_anyhow)?;
            spec.expires_at = expires
                .as_deref()
                .map(|e| crate::access::token::parse_expiry(e, chrono::Utc::now()))
                .transpose()
                .map_err(AppError::into_anyhow)?;
            spec.note = note;
            let issued = register
                .create_token(spec)
                .await
                .map_err(AppError::into_anyhow)?;
            eprintln!(
                "token {} ({}{}) created; it is shown this once:",
                issued.row.id,
                issued.row.role,
                scope_text(&issued.row)
            );
            println!("{}", issued.token);
        }
        TokenCommand::List => {
            let now = chrono::Utc::now();
            let rows = register.tokens().await.map_err(AppError::into_anyhow)?;
            println!("id\trole\tscope\tstatus\tcreated\texpires\tnote");
            for row in rows {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    row.id,
                    row.role,
                    scope_text(&row).trim_start_matches(' '),
                    crate::access::token::status(&row, now),
                    row.created_at.format("%Y-%m-%d %H:%M"),
                    row.expires_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default(),
                    row.note.unwrap_or_default(),
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let revoked = register
                .revoke_token(id)
                .await
                .map_err(AppError::into_anyhow)?;
            if revoked {
                println!("token {id} revoked");
            } else {
                println!("token {id} was already revoked");
            }
        }
    }
    Ok(())
}

fn scope_text(row: &crate::db::api_token::Model) -> String {
    match (&row.township, &row.partner) {
        (Some(t), _) => format!(" {t}"),
        (_, Some(p)) => format!(" {p}"),
        _ => String::new(),
    }
}
