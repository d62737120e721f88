//! An external notice (协查函) with its header: who sent it, its number, when, whom to call.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::NaiveDate;

use super::common::{Jurisdiction, Shown, check_range};
use super::record::SourceRecord;
use crate::access::Scope;
use crate::access::guard::{principal, unmask, visible_rows};
use crate::db::{notice, source_record};
use crate::error::AppError;
use crate::graphql::loaders::{NoticeById, RegisterLoader};
use crate::register::Register;
use crate::register::query::{DateRange, NoticeFilter};

/// Which notices to list. Every condition given must hold; leave a field out not to filter
/// on it.
#[derive(InputObject, Clone, Debug, Default)]
pub struct NoticeFilterInput {
    /// Sent by this jurisdiction or one inside it: a GB/T 2260 code, prefix-aware (`4201` or
    /// `420100` is every district of Wuhan, `42` all of Hubei).
    pub sending_jurisdiction: Option<String>,
    /// The notice of this number, as written on it (e.g. `鄂汉岸防控协〔2020〕17号`).
    pub number: Option<String>,
    /// Sent within this range of days (inclusive).
    pub send_date_from: Option<NaiveDate>,
    /// Sent within this range of days (inclusive).
    pub send_date_to: Option<NaiveDate>,
}

impl NoticeFilterInput {
    /// The register's filter; `BAD_USER_INPUT` for a range that ends before it starts.
    pub fn into_filter(self) -> Result<NoticeFilter, AppError> {
        check_range(
            self.send_date_from.as_ref(),
            self.send_date_to.as_ref(),
            || "发函日期的起始日期晚于结束日期".to_owned(),
        )?;
        Ok(NoticeFilter {
            sending_jurisdiction: self.sending_jurisdiction,
            number: self.number,
            send_date: DateRange {
                from: self.send_date_from,
                to: self.send_date_to,
            },
        })
    }
}

/// An external notice (协查函) from another jurisdiction asking the county to check the
/// persons it lists; its persons are source records of the `EXTERNAL` source.
pub struct Notice(pub notice::Model);

impl Notice {
    /// The notice's current records the caller may see.
    async fn visible_records(&self, ctx: &Context<'_>) -> Result<Vec<source_record::Model>> {
        let register = ctx.data::<Register>()?;
        let visible = visible_rows::<source_record::Entity>(ctx)?;
        Ok(register.notice_records(self.0.id, visible).await?)
    }
}

/// An external notice (协查函) from another jurisdiction asking the county to check the
/// persons it lists; its persons are source records of the `EXTERNAL` source.
#[Object]
impl Notice {
    /// Internal ID of the notice.
    async fn id(&self) -> ID {
        ID::from(self.0.id)
    }
    /// The notice's number as written on it (e.g. `鄂汉岸防控协〔2020〕17号`): the reply to
    /// the notice quotes it.
    async fn number(&self) -> &str {
        &self.0.notice_no
    }
    /// The jurisdiction that sent it, from the national division table (null when the
    /// sender's name resolves to no division: see `sender`).
    async fn sending_jurisdiction(&self, ctx: &Context<'_>) -> Result<Option<Jurisdiction>> {
        let divisions = ctx.data::<Register>()?.reference.divisions;
        // Notices stored before their sender's code was kept are resolved as they are read.
        let code = self.0.sending_jurisdiction_code.clone().or_else(|| {
            divisions
                .resolve_place(&self.0.sending_jurisdiction)
                .map(|d| d.code.clone())
        });
        Ok(code.map(|code| Jurisdiction {
            name: divisions
                .full_name(&code)
                .or_else(|| Some(self.0.sending_jurisdiction.clone())),
            code,
        }))
    }
    /// The sender as written on the notice.
    async fn sender(&self) -> &str {
        &self.0.sending_jurisdiction
    }
    /// The day it was sent: the report date of its persons' records.
    async fn send_date(&self) -> Option<NaiveDate> {
        self.0.send_date
    }
    /// Whom to call about it (a name and a phone); the phone masked unless
    /// `unmasked: true` (ADMIN, and the TOWNSHIP officer of one of its persons; audited).
    async fn contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<Option<String>> {
        let Some(contact) = self.0.contact.as_deref() else {
            return Ok(None);
        };
        let shown = if unmasked {
            // The notice belongs where its persons are: a township officer may read the
            // contact of a notice about persons of its township.
            let records = self.visible_records(ctx).await?;
            let scope = records.first().map_or(
                Scope {
                    township: None,
                    jurisdiction: self.0.sending_jurisdiction_code.as_deref(),
                },
                |r| Scope {
                    township: r.township.as_deref(),
                    jurisdiction: r.jurisdiction_code.as_deref(),
                },
            );
            Shown::new(unmask(ctx, 0, scope, "Notice.contact", true)?)
        } else {
            Shown::new(false)
        };
        Ok(Some(shown.text(contact)))
    }
    /// The notice's own words (not masked: it describes the request, not a person).
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The import batch it arrived in.
    async fn batch_id(&self) -> ID {
        ID::from(self.0.batch_id)
    }
    /// Its persons the caller may see: the current versions of their records, in the
    /// notice's order. Not for a CLERK, which lists notices to answer them.
    #[graphql(guard = "crate::access::Permission::ReadRecords.guard()")]
    async fn records(&self, ctx: &Context<'_>) -> Result<Vec<SourceRecord>> {
        Ok(self
            .visible_records(ctx)
            .await?
            .into_iter()
            .map(SourceRecord)
            .collect())
    }
    /// How many of its persons the caller may see (current records).
    async fn record_count(&self, ctx: &Context<'_>) -> Result<u64> {
        if principal(ctx)?.sees_everything() {
            let register = ctx.data::<Register>()?;
            let counts = register.notice_record_counts(&[self.0.id]).await?;
            return Ok(counts.get(&self.0.id).copied().unwrap_or(0));
        }
        Ok(self.visible_records(ctx).await?.len() as u64)
    }
}

/// The notice of a record, by its ID (the record is already known to be visible).
pub async fn notice_by_id(ctx: &Context<'_>, notice: i64) -> Result<Option<Notice>> {
    let loader = ctx.data::<RegisterLoader>()?;
    Ok(loader.load_one(NoticeById(notice)).await?.map(Notice))
}
