//! Township daily reports: filing (one current report per township and day, the earlier ones
//! kept), the county's list for a day, and the `REPORT_MISSING` alerts.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, ConnectionTrait, EntityTrait, QueryFilter as _,
    QueryOrder as _, Set,
};

use super::clean_note;
use crate::db::{daily_report, followup_alert, next_id};
use crate::error::AppError;
use crate::followup::observation::{china, china_date};
use crate::register::query::{DateRange, PersonFilter};
use crate::register::{ChangeKind, Register};
use crate::states::{AlertKind, AlertState};
use sea_orm::DatabaseTransaction;

/// Most new persons one report may state.
const MAX_NEW_PERSONS: i64 = 100_000;

/// A report filed, and whether it replaced an earlier filing of the same township and day.
#[derive(Debug, Clone)]
pub struct DailyReportFiled {
    pub report: daily_report::Model,
    /// An earlier filing was superseded (it stays in the history).
    pub replaced: bool,
}

/// A township of the county on a day: its current report (none: missing), the filings it
/// replaced, and what the register shows.
#[derive(Debug, Clone)]
pub struct TownshipReport {
    /// The canonical township.
    pub township: String,
    pub date: NaiveDate,
    /// The current filing; none when the township has not reported.
    pub report: Option<daily_report::Model>,
    /// Every filing for the day, oldest first (the current one last).
    pub history: Vec<daily_report::Model>,
    /// New persons the register shows for the township that day: persons first reported that
    /// day whose township is this one.
    pub register_count: u64,
}

impl TownshipReport {
    /// The stated figure differs from the register's (false while missing).
    pub fn differs(&self) -> bool {
        self.report
            .as_ref()
            .is_some_and(|r| u64::try_from(r.new_persons).ok() != Some(self.register_count))
    }

    /// The persons filter behind [`TownshipReport::register_count`].
    pub fn register_filter(&self) -> PersonFilter {
        register_filter(&self.township, self.date)
    }
}

/// The persons first reported on `date` in `township`.
pub fn register_filter(township: &str, date: NaiveDate) -> PersonFilter {
    PersonFilter {
        township: Some(township.to_owned()),
        first_reported: DateRange {
            from: Some(date),
            to: Some(date),
        },
        ..PersonFilter::default()
    }
}

/// The instant a township's report for `date` is due: `due_hour` on that day, China time.
pub fn due_at(date: NaiveDate, due_hour: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(due_hour, 0, 0).unwrap_or(NaiveTime::MIN);
    date.and_time(time)
        .and_local_timezone(china())
        .single()
        .map_or_else(
            || date.and_time(time).and_utc(),
            |at| at.with_timezone(&Utc),
        )
}

impl Register {
    /// The canonical township `name` is (any spelling the gazetteer knows), or `BAD_USER_INPUT`.
    pub fn canonical_township(&self, name: &str) -> Result<String, AppError> {
        self.reference
            .gazetteer
            .match_township(name)
            .map(|m| m.name.to_string())
            .ok_or_else(|| AppError::BadInput(format!("本县没有名为“{name}”的乡镇或街道")))
    }

    /// Files `township`'s report for `date`: `new_persons` found that day (zero is a report).
    /// A later filing for the same township and day replaces the earlier, which is kept.
    pub async fn file_daily_report(
        &self,
        township: &str,
        date: NaiveDate,
        new_persons: i64,
        note: Option<&str>,
        filed_by: &str,
    ) -> Result<DailyReportFiled, AppError> {
        let township = self.canonical_township(township)?;
        check_report(date, new_persons, self.reference.clock.today())
            .map_err(AppError::BadInput)?;
        let note = clean_note(note)?;
        let now = self.reference.clock.now();
        let write = self.db.write("a daily report").await?;
        let filed = write_report(
            &write.txn,
            &township,
            date,
            new_persons,
            note,
            filed_by,
            now,
        )
        .await?;
        write.commit().await?;
        // A report filed answers the day's missing-report alert.
        self.resolve_missing_alert(&township, date).await?;
        self.announce(ChangeKind::Observation, Vec::new()).await;
        Ok(filed)
    }

    /// Every township of the county on `date` (the gazetteer's order) with its report or
    /// none, the filings it replaced and the register's count.
    pub async fn daily_reports(&self, date: NaiveDate) -> Result<Vec<TownshipReport>, AppError> {
        let filings = daily_report::Entity::find()
            .filter(daily_report::Column::Date.eq(date))
            .order_by_asc(daily_report::Column::Id)
            .all(&self.db.conn)
            .await?;
        let mut out = Vec::new();
        for township in &self.reference.gazetteer.townships {
            let history: Vec<daily_report::Model> = filings
                .iter()
                .filter(|f| f.township == township.name)
                .cloned()
                .collect();
            let report = history.iter().find(|f| !f.superseded).cloned();
            let register_count = self
                .count_persons(&register_filter(&township.name, date))
                .await?;
            out.push(TownshipReport {
                township: township.name.clone(),
                date,
                report,
                history,
                register_count,
            });
        }
        Ok(out)
    }

    /// The townships of the county with no report for `date` (gazetteer order). A report
    /// counts for the day it is dated, whenever it was filed (the source's own date, as the
    /// persons' report dates count).
    pub async fn townships_missing(&self, date: NaiveDate) -> Result<Vec<String>, AppError> {
        let filed: Vec<String> = daily_report::Entity::find()
            .filter(daily_report::Column::Date.eq(date))
            .all(&self.db.conn)
            .await?
            .into_iter()
            .map(|r| r.township)
            .collect();
        Ok(self
            .reference
            .gazetteer
            .townships
            .iter()
            .filter(|t| !filed.contains(&t.name))
            .map(|t| t.name.clone())
            .collect())
    }

    /// Raises a `REPORT_MISSING` alert for each township whose report for the China day of
    /// `now` is not filed once the due hour (`[reports] due_hour`) has passed, one per
    /// township and day; returns how many were raised. Run by the follow-up sweeper.
    pub async fn raise_missing_reports(&self, now: DateTime<Utc>) -> Result<usize, AppError> {
        let today = china_date(now);
        if now < due_at(today, self.reference.reports.due_hour) {
            return Ok(0);
        }
        let missing = self.townships_missing(today).await?;
        if missing.is_empty() {
            return Ok(0);
        }
        let write = self.db.write("the missing daily reports").await?;
        let raised: Vec<String> = followup_alert::Entity::find()
            .filter(followup_alert::Column::Kind.eq(AlertKind::ReportMissing))
            .filter(followup_alert::Column::Date.eq(today))
            .all(&write.txn)
            .await?
            .into_iter()
            .filter_map(|a| a.township)
            .collect();
        let mut next = next_id(&write.txn, "followup_alert").await?;
        let mut count = 0;
        for township in missing.into_iter().filter(|t| !raised.contains(t)) {
            followup_alert::ActiveModel {
                id: Set(next),
                person_id: Set(None),
                township: Set(Some(township)),
                kind: Set(AlertKind::ReportMissing),
                date: Set(today),
                slot: Set(None),
                celsius: Set(None),
                state: Set(AlertState::Open),
                note: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&write.txn)
            .await?;
            next += 1;
            count += 1;
        }
        write.commit().await?;
        Ok(count)
    }

    /// Resolves the open `REPORT_MISSING` alert of `township` on `date`, if any.
    async fn resolve_missing_alert(&self, township: &str, date: NaiveDate) -> Result<(), AppError> {
        let now = self.reference.clock.now();
        let write = self.db.write("a missing report's alert").await?;
        followup_alert::Entity::update_many()
            .col_expr(
                followup_alert::Column::State,
                sea_orm::sea_query::Expr::value(crate::states::Stored::as_str(
                    AlertState::Resolved,
                )),
            )
            .col_expr(
                followup_alert::Column::Note,
                sea_orm::sea_query::Expr::value("已补报"),
            )
            .col_expr(
                followup_alert::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(followup_alert::Column::Kind.eq(AlertKind::ReportMissing))
            .filter(followup_alert::Column::Township.eq(township))
            .filter(followup_alert::Column::Date.eq(date))
            .filter(followup_alert::Column::State.ne(AlertState::Resolved))
            .exec(&write.txn)
            .await?;
        write.commit().await?;
        Ok(())
    }
}

/// `BAD_USER_INPUT` for a figure below zero or implausibly large, or a day after `today`.
pub(super) fn check_report(
    date: NaiveDate,
    new_persons: i64,
    today: NaiveDate,
) -> Result<(), String> {
    if !(0..=MAX_NEW_PERSONS).contains(&new_persons) {
        return Err(format!(
            "新增人数应在 0 至 {MAX_NEW_PERSONS} 之间：{new_persons}"
        ));
    }
    if date > today {
        return Err(format!("不能报告将来的日期：{date}"));
    }
    Ok(())
}

/// Writes a filing in `txn`, superseding the current one of the same township and day.
pub(super) async fn write_report(
    txn: &DatabaseTransaction,
    township: &str,
    date: NaiveDate,
    new_persons: i64,
    note: Option<String>,
    filed_by: &str,
    now: DateTime<Utc>,
) -> Result<DailyReportFiled, AppError> {
    let earlier = supersede(txn, township, date).await?;
    let report = daily_report::ActiveModel {
        id: Set(next_id(txn, "daily_report").await?),
        township: Set(township.to_owned()),
        date: Set(date),
        new_persons: Set(new_persons),
        note: Set(note),
        filed_by: Set(filed_by.to_owned()),
        filed_at: Set(now),
        superseded: Set(false),
    }
    .insert(txn)
    .await?;
    Ok(DailyReportFiled {
        report,
        replaced: earlier > 0,
    })
}

async fn supersede(
    conn: &impl ConnectionTrait,
    township: &str,
    date: NaiveDate,
) -> Result<u64, AppError> {
    Ok(daily_report::Entity::update_many()
        .col_expr(
            daily_report::Column::Superseded,
            sea_orm::sea_query::Expr::value(true),
        )
        .filter(daily_report::Column::Township.eq(township))
        .filter(daily_report::Column::Date.eq(date))
        .filter(daily_report::Column::Superseded.eq(false))
        .exec(conn)
        .await?
        .rows_affected)
}
