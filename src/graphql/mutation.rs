//! Root mutations.

use async_graphql::{Context, Object, Result, SimpleObject, Upload};
use chrono::{DateTime, Utc};
use std::io::Read;

use super::types::{BatchReport, Person, ReviewCandidate, Source, parse_id};
use crate::access::audit::note_mutation;
use crate::access::guard::principal;
use crate::access::{Permission, Role};
use crate::error::AppError;
use crate::register::query::ReviewItem;
use crate::register::{ImportRequest, Register};

/// The format of an export file.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::register::query::ExportFormat")]
pub enum ExportFormat {
    /// CSV in UTF-8 with a byte-order mark (Excel opens the Chinese as it is), CRLF line ends;
    /// a cell a spreadsheet would run as a formula starts with `'`.
    Csv,
    /// An Excel workbook (`.xlsx`) of one sheet, `人员`, every cell text.
    Xlsx,
}

/// A file of persons made by `exportPersons`, waiting to be downloaded.
#[derive(SimpleObject, Clone, Debug)]
pub struct PersonExport {
    /// Where to download the file: a path on this server (`/exports/{id}.csv`, 128 random
    /// bits), fetched with `GET` and the same token that made it (`Authorization: Bearer …`);
    /// 404 for any other token and once it has expired.
    pub url: String,
    /// When the file is deleted (an hour after it was made).
    pub expires_at: DateTime<Utc>,
    /// Persons in the file (one row each, below the header row).
    pub rows: u64,
    /// The file's format.
    pub format: ExportFormat,
}

/// An analyst's verdict on a pair of records.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::register::Verdict")]
pub enum Decision {
    /// The two records are one person.
    Same,
    /// The two records are two persons.
    Different,
}

/// The root of every mutation.
pub struct Mutation;

fn read_upload(ctx: &Context<'_>, upload: &Upload) -> Result<(String, Vec<u8>), AppError> {
    let value = upload
        .value(ctx)
        .map_err(|e| AppError::BadInput(format!("上传文件无法读取：{e}")))?;
    let name = value.filename.clone();
    let mut bytes = Vec::new();
    value
        .into_read()
        .read_to_end(&mut bytes)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((name, bytes))
}

/// Who filed or recorded something, as stored beside it: the role and the token's ID (no
/// name: tokens carry none).
fn filed_by(caller: &crate::access::Principal) -> String {
    match caller.token_id {
        Some(id) => format!("{} token {id}", caller.role),
        None => caller.role.to_string(),
    }
}

/// The person `id` (the one it redirects to), `NOT_FOUND` when there is none and
/// `FORBIDDEN` when the caller may not see them.
async fn person_in_scope(
    ctx: &Context<'_>,
    id: &async_graphql::ID,
) -> Result<crate::db::person::Model> {
    let register = ctx.data::<Register>()?;
    let id = parse_id(id, "人员")?;
    let person = register
        .person(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("人员 {id} 不存在")))?;
    crate::access::guard::ensure_visible(ctx, &person)?;
    Ok(person)
}

/// Moves the alert `id` (one the caller may see) to `state` with `note`.
async fn answer_alert(
    ctx: &Context<'_>,
    id: &async_graphql::ID,
    state: crate::states::AlertState,
    note: Option<String>,
) -> Result<super::types::followup::Alert> {
    let register = ctx.data::<Register>()?;
    let alert = alert_in_scope(ctx, id).await?;
    let answered = register
        .answer_alert(alert.id, state, note.as_deref())
        .await?;
    note_mutation(ctx, alert.person_id)?;
    Ok(super::types::followup::Alert(answered))
}

/// The alert `id`, `NOT_FOUND` when there is none or the caller may not see it.
async fn alert_in_scope(
    ctx: &Context<'_>,
    id: &async_graphql::ID,
) -> Result<crate::db::followup_alert::Model> {
    let register = ctx.data::<Register>()?;
    let id = parse_id(id, "预警")?;
    let missing = || AppError::NotFound(format!("预警 {id} 不存在"));
    let alert = register.alert(id).await?.ok_or_else(missing)?;
    Ok(crate::access::guard::in_scope(ctx, alert)?.ok_or_else(missing)?)
}

/// The root of every mutation.
#[Object(name = "RegisterMutation")]
impl Mutation {
    /// Adds a partner hub: `code` a GB/T 2260 code of the national division table, `baseUrl`
    /// where its hub answers, `secret` the one its administrator gave (at least 32 visible
    /// ASCII characters); without it a new one is made. The answer carries the secret this
    /// once. A code already added is a `CONFLICT`. Admins only.
    #[graphql(guard = "super::rules::guard(\"addPartner\")")]
    async fn add_partner(
        &self,
        ctx: &Context<'_>,
        code: String,
        name: String,
        base_url: String,
        secret: Option<String>,
    ) -> Result<super::types::PartnerWithSecret> {
        let register = ctx.data::<Register>()?;
        let spec = crate::exchange::partners::PartnerSpec::parse(
            register.reference.divisions,
            &code,
            &name,
            &base_url,
            secret.as_deref(),
        )?;
        Ok(register.add_partner(spec).await?.into())
    }

    /// Removes the partner hub with `code`: its requests are refused from now on. False when
    /// there was none. Admins only.
    #[graphql(guard = "super::rules::guard(\"removePartner\")")]
    async fn remove_partner(&self, ctx: &Context<'_>, code: String) -> Result<bool> {
        let register = ctx.data::<Register>()?;
        Ok(register.remove_partner(&code).await?)
    }

    /// Gives the partner hub with `code` a new shared secret (`secret`, or a new one when not
    /// given), carried by the answer this once; the old one stops working at once.
    /// `NOT_FOUND` for an unknown code. Admins only.
    #[graphql(guard = "super::rules::guard(\"rotatePartnerSecret\")")]
    async fn rotate_partner_secret(
        &self,
        ctx: &Context<'_>,
        code: String,
        secret: Option<String>,
    ) -> Result<super::types::PartnerWithSecret> {
        let register = ctx.data::<Register>()?;
        Ok(register
            .rotate_partner_secret(&code, secret.as_deref())
            .await?
            .into())
    }

    /// Sets a person's home observation by hand: `TRANSFERRED` (to concentrated quarantine or
    /// a hospital: `place` is required), `LOST_CONTACT`, `RELEASED` early, or back to
    /// `UNDER_OBSERVATION` (the register then releases it on its own when the period is over).
    /// `note` up to 2000 characters. A TOWNSHIP token changes its township's persons only.
    #[graphql(guard = "super::rules::guard(\"updateObservation\")")]
    async fn update_observation(
        &self,
        ctx: &Context<'_>,
        person_id: async_graphql::ID,
        state: super::types::followup::ObservationState,
        place: Option<String>,
        note: Option<String>,
    ) -> Result<super::types::followup::Observation> {
        let register = ctx.data::<Register>()?;
        let person = person_in_scope(ctx, &person_id).await?;
        let updated = register
            .update_observation(person.id, state.into(), place.as_deref(), note.as_deref())
            .await?;
        note_mutation(ctx, [person.id])?;
        Ok(super::types::followup::Observation(updated))
    }

    /// Records a temperature reading of a person under home observation, taken at `takenAt`,
    /// for `slot` (when not given: `MORNING` before the morning check's hour, China time,
    /// `AFTERNOON` after). Refused with `BAD_USER_INPUT` outside 34–43 °C, in the future, on a
    /// day outside the observation, or for a person not under observation. A second reading
    /// of the same day and slot is a correction: both are kept, the later one counts. A
    /// reading at or above 37.3 °C raises a `FEVER` alert, pushed to `registerChanges`
    /// (kind `ALERT`) once committed.
    #[graphql(guard = "super::rules::guard(\"recordTemperature\")")]
    async fn record_temperature(
        &self,
        ctx: &Context<'_>,
        person_id: async_graphql::ID,
        celsius: f64,
        taken_at: DateTime<Utc>,
        slot: Option<super::types::followup::Slot>,
    ) -> Result<super::types::followup::TemperatureRecorded> {
        let register = ctx.data::<Register>()?;
        let person = person_in_scope(ctx, &person_id).await?;
        let recorded = register
            .record_temperature(person.id, celsius, taken_at, slot.map(Into::into))
            .await?;
        note_mutation(ctx, [person.id])?;
        Ok(super::types::followup::TemperatureRecorded {
            reading: recorded.reading.into(),
            correction: recorded.corrected,
            alert: recorded.alert.map(super::types::followup::Alert),
        })
    }

    /// Acknowledges an open alert (someone is on it), with an optional note.
    #[graphql(guard = "super::rules::guard(\"acknowledgeAlert\")")]
    async fn acknowledge_alert(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
        note: Option<String>,
    ) -> Result<super::types::followup::Alert> {
        answer_alert(ctx, &id, crate::states::AlertState::Acknowledged, note).await
    }

    /// Resolves an open or acknowledged alert, with an optional note. A person whose period
    /// is over is released once no fever alert of theirs is left open.
    #[graphql(guard = "super::rules::guard(\"resolveAlert\")")]
    async fn resolve_alert(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
        note: Option<String>,
    ) -> Result<super::types::followup::Alert> {
        answer_alert(ctx, &id, crate::states::AlertState::Resolved, note).await
    }

    /// Imports a temperature sheet (CSV or XLSX, multipart upload) as townships keep them:
    /// one row per person and day, the person named by person ID (`人员编号`), ID number
    /// (`身份证号`) or name and phone (`姓名`, `联系电话`), then `日期`, `上午` and `下午`
    /// readings (taken at 08:00 and 15:00 China time). Each reading is checked as
    /// `recordTemperature` checks it; a row with a reading refused is refused whole and
    /// reported with its number and why. The rows taken are written in one transaction. A
    /// TOWNSHIP token records for its township's persons only.
    #[graphql(guard = "super::rules::guard(\"importTemperatures\")")]
    async fn import_temperatures(
        &self,
        ctx: &Context<'_>,
        file: Upload,
    ) -> Result<super::types::followup::TemperatureSheetReport> {
        use crate::access::Scoped as _;
        let register = ctx.data::<Register>()?;
        let caller = principal(ctx)?;
        let (file_name, bytes) = read_upload(ctx, &file)?;
        let report = register
            .import_temperatures(&file_name, &bytes, |p| caller.may_see(p.scope()))
            .await?;
        Ok(report.into())
    }

    /// Imports a team sheet (五包一; CSV or XLSX, as `paicha import teams`): one row per
    /// person, named by person ID (`人员编号`), ID number (`身份证号`) or name and phone
    /// (`姓名`, `联系电话`), with a name and a phone column for each role (`乡镇干部`,
    /// `乡镇干部电话`, `村干部`, `村医`, `民警`, `网格员` …). A row's members replace the
    /// person's team, as `assignTeam` does; rows refused are reported with their number and
    /// why, the others written in one transaction. A TOWNSHIP token assigns its township's
    /// persons only.
    #[graphql(guard = "super::rules::guard(\"importTeams\")")]
    async fn import_teams(
        &self,
        ctx: &Context<'_>,
        file: Upload,
    ) -> Result<super::types::followup::TeamSheetReport> {
        use crate::access::Scoped as _;
        let register = ctx.data::<Register>()?;
        let caller = principal(ctx)?;
        let (file_name, bytes) = read_upload(ctx, &file)?;
        let report = register
            .import_teams(&file_name, &bytes, |p| caller.may_see(p.scope()))
            .await?;
        Ok(report.into())
    }

    /// Sets the responsible team (五包一) of a person who has a home observation: the members
    /// given replace the team, one per role (`TOWNSHIP_CADRE`, `VILLAGE_CADRE`,
    /// `VILLAGE_DOCTOR`, `POLICE_OFFICER`, `GRID_WORKER`), each with a name and a phone.
    /// Persons under observation without all five are listed by
    /// `persons(filter: { teamIncomplete: true })`.
    #[graphql(guard = "super::rules::guard(\"assignTeam\")")]
    async fn assign_team(
        &self,
        ctx: &Context<'_>,
        person_id: async_graphql::ID,
        members: Vec<super::types::followup::TeamMemberInput>,
    ) -> Result<Vec<super::types::followup::TeamMember>> {
        let register = ctx.data::<Register>()?;
        let person = person_in_scope(ctx, &person_id).await?;
        let members: Vec<crate::register::followup::TeamMemberInput> = members
            .into_iter()
            .map(|m| crate::register::followup::TeamMemberInput {
                role: m.role.into(),
                name: m.name,
                phone: m.phone,
            })
            .collect();
        let team = register.assign_team(person.id, &members).await?;
        note_mutation(ctx, [person.id])?;
        Ok(team
            .into_iter()
            .map(|row| super::types::followup::TeamMember {
                row,
                person: person.id,
                township: person.township.clone(),
            })
            .collect())
    }

    /// Files a township's daily report for `date` (default: the county's today): `newPersons`
    /// found that day, zero being a report (零报告). One report per township and day: a later
    /// filing replaces the earlier, which stays in the history. A TOWNSHIP token files for
    /// its own township only.
    #[graphql(guard = "super::rules::guard(\"fileDailyReport\")")]
    async fn file_daily_report(
        &self,
        ctx: &Context<'_>,
        township: String,
        date: Option<chrono::NaiveDate>,
        new_persons: i64,
        note: Option<String>,
    ) -> Result<super::types::reports::DailyReportFiled> {
        let register = ctx.data::<Register>()?;
        let caller = principal(ctx)?;
        let canonical = register.canonical_township(&township)?;
        if caller.role == Role::Township && caller.township.as_deref() != Some(canonical.as_str()) {
            return Err(AppError::Forbidden(format!("只能填报本乡镇的日报：{canonical}")).into());
        }
        let date = date.unwrap_or_else(|| register.reference.clock.today());
        let filed = register
            .file_daily_report(
                &canonical,
                date,
                new_persons,
                note.as_deref(),
                &filed_by(caller),
            )
            .await?;
        note_mutation(ctx, std::iter::empty())?;
        Ok(filed.into())
    }

    /// Records a person's case status (`SUSPECTED`, `CONFIRMED`, `RULED_OUT`, `RECOVERED`)
    /// from `date` (default: the county's today); every recording is kept (`Person.cases`). A
    /// TOWNSHIP token records for its township's persons only.
    #[graphql(guard = "super::rules::guard(\"recordCase\")")]
    async fn record_case(
        &self,
        ctx: &Context<'_>,
        person_id: async_graphql::ID,
        status: super::types::reports::CaseStatus,
        date: Option<chrono::NaiveDate>,
        note: Option<String>,
    ) -> Result<super::types::reports::CaseRecord> {
        let register = ctx.data::<Register>()?;
        let person = person_in_scope(ctx, &person_id).await?;
        let date = date.unwrap_or_else(|| register.reference.clock.today());
        let row = register
            .record_case(
                person.id,
                status.into(),
                date,
                note.as_deref(),
                &filed_by(principal(ctx)?),
            )
            .await?;
        note_mutation(ctx, [person.id])?;
        Ok(super::types::reports::CaseRecord(row))
    }

    /// Imports one file (multipart upload, GraphQL multipart request spec) of one source kind.
    /// The file's extension decides its format (`.csv`, `.xlsx`, `.json`, `.ndjson`); an
    /// optional `mapping` file (TOML `"column" = "field"`) names headers paicha does not know.
    /// A partner may import external notices (`source: EXTERNAL`) only, and its report says
    /// what was accepted and rejected, never what matched (those figures are null).
    #[graphql(guard = "super::rules::guard(\"importBatch\")")]
    async fn import_batch(
        &self,
        ctx: &Context<'_>,
        source: Source,
        file: Upload,
        mapping: Option<Upload>,
    ) -> Result<BatchReport> {
        let register = ctx.data::<Register>()?;
        let principal = principal(ctx)?;
        if !Permission::Import.allows(principal.role) && source != Source::External {
            return Err(AppError::Forbidden(format!(
                "{} 令牌只能提交外部协查通知（source: EXTERNAL）",
                principal.role
            ))
            .into());
        }
        let (file_name, bytes) = read_upload(ctx, &file)?;
        let mapping = match mapping {
            Some(m) => {
                let (_, bytes) = read_upload(ctx, &m)?;
                Some(
                    String::from_utf8(bytes)
                        .map_err(|_| AppError::BadInput("映射文件必须是 UTF-8 编码".into()))?,
                )
            }
            None => None,
        };
        let actor = principal.actor();
        let mut request = ImportRequest::new(source.into(), &file_name, bytes, &actor);
        request.mapping = mapping.as_deref();
        if principal.role == Role::Partner {
            let partner = principal
                .partner
                .as_deref()
                .ok_or_else(|| AppError::Forbidden("该 PARTNER 令牌没有指定辖区".into()))?;
            request.sender = Some(partner);
        }
        let report = register.import(request).await?;
        Ok(BatchReport::from(report).for_caller(principal))
    }

    /// Decides a review candidate: the two persons are one person or two. The decision is a
    /// constraint every later resolution run honours, and no other pair of records of the
    /// same two persons is proposed again; the register is re-resolved at once. `note` (up
    /// to 2000 characters) is kept with the decision. A candidate already decided or no
    /// longer pending is a `CONFLICT` that says which and why. `id` is the candidate's ID or
    /// the ID of one of its `pairs`.
    #[graphql(guard = "super::rules::guard(\"decideCandidate\")")]
    async fn decide_candidate(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
        decision: Decision,
        note: Option<String>,
    ) -> Result<ReviewCandidate> {
        let register = ctx.data::<Register>()?;
        let decided = register
            .decide_candidate(
                parse_id(&id, "候选")?,
                decision.into(),
                note.as_deref(),
                &principal(ctx)?.actor(),
            )
            .await?;
        let mut persons = Vec::new();
        for record in [decided.record_a, decided.record_b] {
            if let Some(link) = register.link_of_record(record).await? {
                persons.push(link.person_id);
            }
        }
        note_mutation(ctx, persons)?;
        Ok(ReviewCandidate(ReviewItem::single(decided)))
    }

    /// Makes two persons one. The older ID survives; the other answers with it from now on.
    #[graphql(guard = "super::rules::guard(\"mergePersons\")")]
    async fn merge_persons(
        &self,
        ctx: &Context<'_>,
        a: async_graphql::ID,
        b: async_graphql::ID,
    ) -> Result<Person> {
        let register = ctx.data::<Register>()?;
        let (a, b) = (parse_id(&a, "人员")?, parse_id(&b, "人员")?);
        let merged = register
            .merge_persons(a, b, &principal(ctx)?.actor())
            .await?;
        note_mutation(ctx, [a, b, merged.id])?;
        Ok(Person(merged))
    }

    /// Splits the given source records off a person into a new person (with a new ID).
    #[graphql(guard = "super::rules::guard(\"splitPerson\")")]
    async fn split_person(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
        record_ids: Vec<async_graphql::ID>,
    ) -> Result<Person> {
        let register = ctx.data::<Register>()?;
        let records = record_ids
            .iter()
            .map(|r| parse_id(r, "记录"))
            .collect::<Result<Vec<i64>, AppError>>()?;
        let id = parse_id(&id, "人员")?;
        let split = register
            .split_person(id, &records, &principal(ctx)?.actor())
            .await?;
        note_mutation(ctx, [id, split.id])?;
        Ok(Person(split))
    }

    /// Writes the persons `filter` selects (all by default; the filter of `persons`) to a
    /// file for download, one row per person under Chinese headers (姓名, 性别, 身份证号,
    /// 联系电话, 乡镇, 村（社区）, 现住址, 与湖北关联, 状态, 首次报告日期, 来源 …), by person ID.
    /// Masked as the caller reads persons; `unmasked: true` (ADMIN and TOWNSHIP only) writes ID
    /// numbers, phones, birth dates, addresses and origins as stored. A TOWNSHIP token exports
    /// its township only. At most 100 000 persons (more is `BAD_USER_INPUT`: narrow the
    /// filter). Every export is written to the audit log (kind `EXPORT`: the filter, the row
    /// count, and for an unmasked one the persons) before the file can be fetched. A mutation:
    /// it makes a file and an audit entry, so it is not sent over GET.
    #[graphql(guard = "super::rules::guard(\"exportPersons\")")]
    async fn export_persons(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::query::PersonFilterInput>,
        format: ExportFormat,
        #[graphql(default = false)] unmasked: bool,
    ) -> Result<PersonExport> {
        use crate::access::audit::{self, AuditEntry, AuditKind};
        use crate::access::guard::visible_rows;
        use crate::config::limits::MAX_EXPORT_ROWS;
        use crate::db::{person, source_record};
        use crate::http::exports::ExportStore;

        let register = ctx.data::<Register>()?;
        let caller = principal(ctx)?;
        let store = ctx.data_opt::<ExportStore>().ok_or_else(|| {
            AppError::BadInput("导出文件只能通过 HTTP 请求（POST /graphql）生成".into())
        })?;
        if unmasked && !Permission::ReadUnmasked.allows(caller.role) {
            return Err(AppError::Forbidden(format!(
                "{} 令牌只能导出脱敏的身份证号和手机号",
                caller.role
            ))
            .into());
        }
        // The filter as the caller wrote it (GraphQL syntax), for the audit log.
        let described = ctx
            .field()
            .arguments()?
            .into_iter()
            .find(|(name, _)| name.as_str() == "filter")
            .map_or_else(|| "{}".to_owned(), |(_, value)| value.to_string());
        let filter = filter.unwrap_or_default().into_filter()?;
        let sheet = register
            .export_person_sheet(
                &filter,
                visible_rows::<person::Entity>(ctx)?,
                visible_rows::<source_record::Entity>(ctx)?,
                unmasked,
                MAX_EXPORT_ROWS,
            )
            .await?;
        let bytes = sheet.encode(format.into())?;
        store.check_room(bytes.len())?;
        let rows = sheet.persons.len();
        let mut entry = AuditEntry::by(
            Some(caller),
            AuditKind::Export,
            format!(
                "exportPersons(format: {}, unmasked: {unmasked}, filter: {described}): {rows} rows",
                crate::register::query::ExportFormat::from(format).as_str()
            ),
        );
        if unmasked {
            entry.persons = sheet.persons;
            entry.fields = ["address", "birthDate", "idNumber", "origin", "phones"]
                .map(str::to_owned)
                .to_vec();
        }
        // On disk before the file can be fetched: no export leaves unaudited.
        audit::record(register.db().audit(), &entry).await?;
        let kept = store.keep(caller.token_id, format.into(), bytes)?;
        Ok(PersonExport {
            url: kept.path,
            expires_at: kept.expires_at,
            rows: u64::try_from(rows).unwrap_or(u64::MAX),
            format,
        })
    }
}
