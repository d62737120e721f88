//! `paicha partner …` (the registry of partner hubs) and `paicha pull …` (upstream lists).

use anyhow::Context as _;
use clap::Subcommand;

use crate::config::limits::{
    DELIVERY_CONCURRENCY, DELIVERY_RETRY_FIRST, DELIVERY_RETRY_MAX, DELIVERY_TIMEOUT,
};
use crate::config::pull::{PullSpec, parse_interval};
use crate::error::AppError;
use crate::exchange::delivery::DeliverySettings;
use crate::exchange::partners::PartnerSpec;
use crate::exchange::pull::{self, Pulled};
use crate::intake::SourceKind;
use crate::register::Register;

/// How `paicha serve` delivers letters to partner hubs.
#[derive(Debug, Clone, clap::Args)]
pub struct DeliveryArgs {
    /// Milliseconds to wait after a letter's first failed delivery; doubled after each
    /// failure in a row, less up to a quarter at random.
    #[arg(long, env = "PAICHA_DELIVERY_RETRY_MS", default_value_t = DELIVERY_RETRY_FIRST.as_millis() as u64)]
    pub delivery_retry_ms: u64,
    /// Longest wait between two attempts, in milliseconds.
    #[arg(long, env = "PAICHA_DELIVERY_RETRY_MAX_MS", default_value_t = DELIVERY_RETRY_MAX.as_millis() as u64)]
    pub delivery_retry_max_ms: u64,
    /// Longest one delivery call may take, in milliseconds.
    #[arg(long, env = "PAICHA_DELIVERY_TIMEOUT_MS", default_value_t = DELIVERY_TIMEOUT.as_millis() as u64)]
    pub delivery_timeout_ms: u64,
    /// Delivery calls at once, at most.
    #[arg(long, env = "PAICHA_DELIVERY_CONCURRENCY", default_value_t = DELIVERY_CONCURRENCY)]
    pub delivery_concurrency: usize,
}

impl DeliveryArgs {
    /// The worker's settings.
    pub fn settings(&self) -> DeliverySettings {
        let ms = std::time::Duration::from_millis;
        DeliverySettings {
            retry_first: ms(self.delivery_retry_ms.max(1)),
            retry_max: ms(self
                .delivery_retry_max_ms
                .max(self.delivery_retry_ms)
                .max(1)),
            timeout: ms(self.delivery_timeout_ms.max(1)),
            concurrency: self.delivery_concurrency.max(1),
            ..DeliverySettings::default()
        }
    }
}

/// `paicha partner …`.
#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Register a partner hub; prints the shared secret once (give it to the partner's
    /// administrator, who adds us with `--secret`).
    Add {
        /// GB/T 2260 code of the partner's jurisdiction.
        #[arg(long)]
        code: String,
        /// The partner's name.
        #[arg(long)]
        name: String,
        /// Where the partner's hub answers (`https://…`).
        #[arg(long)]
        url: String,
        /// The secret the partner gave us (at least 32 characters); a new one when not given.
        #[arg(long)]
        secret: Option<String>,
    },
    /// List partner hubs (never their secrets).
    List,
    /// Remove a partner hub: its requests are refused from now on.
    Remove {
        /// The partner's code.
        code: String,
    },
    /// Give a partner hub a new shared secret, printed once; the old one stops working.
    RotateSecret {
        /// The partner's code.
        code: String,
        /// The new secret, when the partner made it; a new one when not given.
        #[arg(long)]
        secret: Option<String>,
    },
}

/// Runs `paicha partner …`.
pub async fn partner(register: &Register, action: PartnerCommand) -> anyhow::Result<()> {
    match action {
        PartnerCommand::Add {
            code,
            name,
            url,
            secret,
        } => {
            let spec = PartnerSpec::parse(
                register.reference.divisions,
                &code,
                &name,
                &url,
                secret.as_deref(),
            )
            .map_err(AppError::into_anyhow)?;
            let given = spec.secret.is_some();
            let added = register
                .add_partner(spec)
                .await
                .map_err(AppError::into_anyhow)?;
            eprintln!(
                "已登记协作单位 {} {}（{}）",
                added.partner.code, added.partner.name, added.partner.base_url
            );
            if !given {
                eprintln!("共享密钥仅显示这一次，请交对方管理员以 --secret 登记本单位：");
                println!("{}", added.secret);
            }
        }
        PartnerCommand::List => {
            println!("code\tname\turl\tcreated\trotated");
            for p in register.partners().await.map_err(AppError::into_anyhow)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    p.code,
                    p.name,
                    p.base_url,
                    p.created_at.format("%Y-%m-%d %H:%M"),
                    p.rotated_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default()
                );
            }
        }
        PartnerCommand::Remove { code } => {
            if register
                .remove_partner(&code)
                .await
                .map_err(AppError::into_anyhow)?
            {
                println!("已删除协作单位 {code}");
            } else {
                println!("没有代码为 {code} 的协作单位");
            }
        }
        PartnerCommand::RotateSecret { code, secret } => {
            let given = secret.is_some();
            let rotated = register
                .rotate_partner_secret(&code, secret.as_deref())
                .await
                .map_err(AppError::into_anyhow)?;
            eprintln!(
                "协作单位 {} 的共享密钥已更换，旧密钥即时失效",
                rotated.partner.code
            );
            if !given {
                eprintln!("新密钥仅显示这一次，请交对方管理员以 rotate-secret --secret 更换：");
                println!("{}", rotated.secret);
            }
        }
    }
    Ok(())
}

/// Runs `paicha pull bigdata --url URL [--every 30m]`: once, or every interval until
/// interrupted.
pub async fn pull(
    register: &Register,
    source: SourceKind,
    url: &str,
    every: Option<&str>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        source == SourceKind::Bigdata,
        "only bigdata lists are pulled"
    );
    let url = crate::exchange::partners::parse_url(url).map_err(AppError::into_anyhow)?;
    let client = pull::client().map_err(AppError::into_anyhow)?;
    let Some(every) = every else {
        let spec = PullSpec {
            url,
            every: crate::config::pull::DEFAULT_PULL_INTERVAL,
            source,
        };
        match pull::pull_once(register, &client, &spec)
            .await
            .map_err(AppError::into_anyhow)
            .with_context(|| format!("Failed to pull {}", spec.url))?
        {
            Pulled::Unchanged => println!("名单未变化，未导入"),
            Pulled::Imported(report) => print!("{}", report.to_text()),
        }
        return Ok(());
    };
    let spec = PullSpec {
        url,
        every: parse_interval(every)?,
        source,
    };
    tokio::select! {
        () = pull::pull_forever(register.clone(), client, spec) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
