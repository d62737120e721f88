//! The temperature sheets townships keep (CSV or XLSX): one row per person and day, with the
//! morning and afternoon readings. A row names its person by person ID, ID number, or name
//! and phone. Rows that cannot be taken are reported with their number and why; the rest are
//! written in one transaction, so a sheet is never half-written.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sea_orm::{ColumnTrait as _, EntityTrait, QueryFilter as _, QuerySelect as _};

use super::teams::{TeamMemberInput, clean_team, write_team};
use super::{Recorded, write_reading};
use crate::db::{observation, person};
use crate::error::AppError;
use crate::followup::observation::china;
use crate::intake::FileFormat;
use crate::intake::tabular::{CsvRows, Table, cell_of, decode_text, read_xlsx};
use crate::normalize::date::parse_date;
use crate::normalize::phone::normalize_phone;
use crate::register::{ChangeKind, Register};
use crate::states::{Slot, Stored as _, TeamRole};

/// Most data rows a sheet may hold.
const MAX_ROWS: usize = 20_000;

/// A row of a sheet not taken, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RejectedReading {
    /// The row's number in the file (the header is row 1).
    pub row: u32,
    /// Why, in Chinese.
    pub reason: String,
}

/// What a sheet import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TemperatureSheetReport {
    /// Data rows read.
    pub rows: u32,
    /// Readings written.
    pub readings: u32,
    /// Readings that corrected an earlier one of the same day and slot.
    pub corrections: u32,
    /// Fever alerts raised.
    pub fevers: u32,
    /// Rows not taken.
    pub rejected: Vec<RejectedReading>,
}

/// The columns a sheet may have, by the headers each is known by (folded).
const COLUMNS: &[(Column, &[&str])] = &[
    (
        Column::PersonId,
        &["personid", "person_id", "人员id", "人员编号"],
    ),
    (
        Column::IdNumber,
        &["id_number", "idnumber", "身份证号", "身份证号码", "身份证"],
    ),
    (Column::Name, &["name", "姓名"]),
    (
        Column::Phone,
        &["phone", "联系电话", "电话", "手机", "手机号", "手机号码"],
    ),
    (Column::Date, &["date", "日期", "测量日期"]),
    (
        Column::Morning,
        &["morning", "上午", "上午体温", "早", "早上", "晨检"],
    ),
    (
        Column::Afternoon,
        &["afternoon", "下午", "下午体温", "晚", "晚上", "午检"],
    ),
    (
        Column::Member(TeamRole::TownshipCadre),
        &["township_cadre", "乡镇干部", "镇干部", "包保乡镇干部"],
    ),
    (
        Column::MemberPhone(TeamRole::TownshipCadre),
        &["township_cadre_phone", "乡镇干部电话", "镇干部电话"],
    ),
    (
        Column::Member(TeamRole::VillageCadre),
        &["village_cadre", "村干部", "包保村干部"],
    ),
    (
        Column::MemberPhone(TeamRole::VillageCadre),
        &["village_cadre_phone", "村干部电话"],
    ),
    (
        Column::Member(TeamRole::VillageDoctor),
        &["village_doctor", "村医", "乡村医生"],
    ),
    (
        Column::MemberPhone(TeamRole::VillageDoctor),
        &["village_doctor_phone", "村医电话", "乡村医生电话"],
    ),
    (
        Column::Member(TeamRole::PoliceOfficer),
        &["police_officer", "民警", "片区民警"],
    ),
    (
        Column::MemberPhone(TeamRole::PoliceOfficer),
        &["police_officer_phone", "民警电话", "片区民警电话"],
    ),
    (
        Column::Member(TeamRole::GridWorker),
        &["grid_worker", "网格员"],
    ),
    (
        Column::MemberPhone(TeamRole::GridWorker),
        &["grid_worker_phone", "网格员电话"],
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    PersonId,
    IdNumber,
    Name,
    Phone,
    Date,
    Morning,
    Afternoon,
    /// A team member's name, of a role.
    Member(TeamRole),
    /// A team member's phone, of a role.
    MemberPhone(TeamRole),
}

/// A reading of a row, ready to check.
struct Pending {
    row: u32,
    person: person::Model,
    slot: Slot,
    celsius: f64,
    taken_at: DateTime<Utc>,
}

/// The table of a sheet's bytes.
fn read_table(file_name: &str, bytes: &[u8]) -> Result<Table, AppError> {
    let unreadable = |e: crate::intake::IntakeError| AppError::BadInput(e.to_string());
    match FileFormat::from_file_name(file_name) {
        Some(FileFormat::Csv) => {
            let mut reader =
                CsvRows::new(decode_text(bytes).map_err(unreadable)?).map_err(unreadable)?;
            let mut rows = Vec::new();
            while let Some(row) = reader.next_row().map_err(unreadable)? {
                rows.push(row);
                if rows.len() > MAX_ROWS {
                    return Err(AppError::BadInput(format!(
                        "体温表最多 {MAX_ROWS} 行，请分开导入"
                    )));
                }
            }
            Ok(Table {
                headers: reader.headers().to_vec(),
                rows,
            })
        }
        Some(FileFormat::Xlsx) => read_xlsx(bytes).map_err(unreadable),
        _ => Err(AppError::BadInput(format!(
            "体温表应为 CSV 或 XLSX 文件：{file_name}"
        ))),
    }
}

/// Whether a sheet's columns can name a person.
fn identifies(columns: &HashMap<Column, usize>) -> bool {
    columns.contains_key(&Column::PersonId)
        || columns.contains_key(&Column::IdNumber)
        || (columns.contains_key(&Column::Name) && columns.contains_key(&Column::Phone))
}

/// A temperature cell: `36.5`, `36.5℃`, `36.5°C`; none when empty.
fn celsius(cell: &str) -> Result<Option<f64>, String> {
    let text = cell
        .trim()
        .trim_end_matches(['℃', 'C', 'c', '度'])
        .trim_end_matches('°')
        .trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<f64>()
        .map(Some)
        .map_err(|_| format!("体温“{}”不是数字", cell.trim()))
}

/// When a sheet's reading of `slot` on `date` counts as taken: 08:00 for the morning, 15:00
/// for the afternoon, China time.
fn taken_at(date: NaiveDate, slot: Slot) -> DateTime<Utc> {
    let hour = match slot {
        Slot::Morning => 8,
        Slot::Afternoon => 15,
    };
    let time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN);
    date.and_time(time)
        .and_local_timezone(china())
        .single()
        .map_or_else(
            || date.and_time(time).and_utc(),
            |at| at.with_timezone(&Utc),
        )
}

impl Register {
    /// Imports a temperature sheet: each row's person (by person ID, ID number, or name and
    /// phone; `may_see` says which persons the caller may record for), date, and morning and
    /// afternoon readings, checked as `recordTemperature` checks them. Rows refused are
    /// reported; the others are written in one transaction.
    pub async fn import_temperatures(
        &self,
        file_name: &str,
        bytes: &[u8],
        may_see: impl Fn(&person::Model) -> bool,
    ) -> Result<TemperatureSheetReport, AppError> {
        let table = read_table(file_name, bytes)?;
        let columns = table.columns_of(COLUMNS);
        if !identifies(&columns)
            || !columns.contains_key(&Column::Date)
            || !(columns.contains_key(&Column::Morning) || columns.contains_key(&Column::Afternoon))
        {
            return Err(AppError::BadInput(
                "体温表须有人员编号、身份证号或姓名加电话一列，日期一列，及上午、下午体温列".into(),
            ));
        }
        let now = self.reference.clock.now();
        let today = self.reference.clock.today();
        let mut report = TemperatureSheetReport::default();
        let mut pending = Vec::new();
        for (number, cells) in table.rows {
            // Data rows count from 1 under the header, which is row 1 of the file.
            let row = number + 1;
            report.rows += 1;
            let cells = match cells {
                Ok(cells) => cells,
                Err(reason) => {
                    report.rejected.push(RejectedReading { row, reason });
                    continue;
                }
            };
            let cell = |c: Column| cell_of(&columns, &cells, c);
            match self.read_row(&cell, today, &may_see).await? {
                Ok(readings) => {
                    if readings.is_empty() {
                        report.rejected.push(RejectedReading {
                            row,
                            reason: "没有体温读数".into(),
                        });
                    }
                    for (person, slot, celsius, taken_at) in readings {
                        pending.push(Pending {
                            row,
                            person: person.clone(),
                            slot,
                            celsius,
                            taken_at,
                        });
                    }
                }
                Err(reason) => report.rejected.push(RejectedReading { row, reason }),
            }
        }
        let rules = self.reference.followup.clone();
        let write = self.db.write("a temperature sheet").await?;
        let persons: Vec<i64> = pending.iter().map(|p| p.person.id).collect();
        let mut observations: HashMap<i64, observation::Model> = HashMap::new();
        for ids in persons.chunks(500) {
            for row in observation::Entity::find()
                .filter(observation::Column::PersonId.is_in(ids.to_vec()))
                .all(&write.txn)
                .await?
            {
                observations.insert(row.person_id, row);
            }
        }
        let mut refused_rows = Vec::new();
        let mut accepted = Vec::new();
        for p in pending {
            match self.check_reading_of(
                p.person.id,
                observations.get(&p.person.id),
                p.celsius,
                p.taken_at,
                now,
            ) {
                Ok(observed) => accepted.push((observed.clone(), p)),
                Err(reason) => refused_rows.push(RejectedReading { row: p.row, reason }),
            }
        }
        // A row with one reading refused is refused whole.
        let refused: std::collections::HashSet<u32> = refused_rows.iter().map(|r| r.row).collect();
        report.rejected.extend(refused_rows);
        for (observed, p) in accepted {
            if refused.contains(&p.row) {
                continue;
            }
            let Recorded {
                corrected, alert, ..
            } = write_reading(
                &write.txn, &observed, p.celsius, p.taken_at, p.slot, now, &rules,
            )
            .await?;
            report.readings += 1;
            report.corrections += u32::from(corrected);
            report.fevers += u32::from(alert.is_some());
        }
        write.commit().await?;
        report.rejected.sort_by_key(|r| r.row);
        if report.readings > 0 {
            let kind = if report.fevers > 0 {
                ChangeKind::Alert
            } else {
                ChangeKind::Observation
            };
            self.announce(kind, Vec::new()).await;
        }
        Ok(report)
    }

    /// The person and readings of one row, or why it is refused.
    #[allow(clippy::type_complexity)]
    async fn read_row<'c>(
        &self,
        cell: &impl Fn(Column) -> Option<&'c str>,
        today: NaiveDate,
        may_see: &impl Fn(&person::Model) -> bool,
    ) -> Result<Result<Vec<(person::Model, Slot, f64, DateTime<Utc>)>, String>, AppError> {
        let person = match self.person_of_row(cell, may_see).await? {
            Ok(person) => person,
            Err(reason) => return Ok(Err(reason)),
        };
        let Some(date) = cell(Column::Date) else {
            return Ok(Err("缺少日期".into()));
        };
        let Ok(date) = parse_date(date, today) else {
            return Ok(Err(format!("日期“{date}”无法识别")));
        };
        let mut readings = Vec::new();
        for (column, slot) in [
            (Column::Morning, Slot::Morning),
            (Column::Afternoon, Slot::Afternoon),
        ] {
            let Some(text) = cell(column) else {
                continue;
            };
            match celsius(text) {
                Ok(Some(c)) => readings.push((person.clone(), slot, c, taken_at(date, slot))),
                Ok(None) => {}
                Err(reason) => return Ok(Err(reason)),
            }
        }
        Ok(Ok(readings))
    }

    /// The person a row names (by person ID, ID number, or name and phone) among those the
    /// caller may see, or why none.
    async fn person_of_row<'c>(
        &self,
        cell: &impl Fn(Column) -> Option<&'c str>,
        may_see: &impl Fn(&person::Model) -> bool,
    ) -> Result<Result<person::Model, String>, AppError> {
        let person = if let Some(id) = cell(Column::PersonId) {
            match id.parse::<i64>() {
                Ok(id) => self.person(id).await?,
                Err(_) => return Ok(Err(format!("人员编号“{id}”不是数字"))),
            }
        } else if let Some(number) = cell(Column::IdNumber) {
            match self.person_by_id_number(number).await {
                Ok(found) => found,
                Err(AppError::BadInput(reason)) => return Ok(Err(reason)),
                Err(e) => return Err(e),
            }
        } else if let (Some(name), Some(phone)) = (cell(Column::Name), cell(Column::Phone)) {
            let Some(phone) = normalize_phone(phone) else {
                return Ok(Err(format!("电话“{phone}”不是有效的号码")));
            };
            let found = person::Entity::find()
                .filter(person::Column::MergedInto.is_null())
                .filter(person::Column::Name.eq(name))
                .filter(person::Column::Phones.contains(format!("\"{}\"", phone.number)))
                .limit(2)
                .all(&self.db.conn)
                .await?;
            if found.len() > 1 {
                return Ok(Err(
                    "姓名和电话对应多于一人：请填写身份证号或人员编号".into()
                ));
            }
            found.into_iter().next()
        } else {
            return Ok(Err("没有人员编号、身份证号或姓名加电话".into()));
        };
        Ok(person
            .filter(|p| may_see(p))
            .ok_or_else(|| "找不到此人（或不在当前令牌的乡镇范围内）".to_owned()))
    }

    /// Imports a team sheet (五包一): one row per person (by person ID, ID number, or name
    /// and phone; `may_see` says which persons the caller may assign), with a name and a
    /// phone column for each role (`乡镇干部`, `乡镇干部电话`, `村干部`, `村医`, `民警`, `网格员`
    /// …). A row's members replace the person's team, as `assignTeam` does. Rows refused are
    /// reported; the others are written in one transaction.
    pub async fn import_teams(
        &self,
        file_name: &str,
        bytes: &[u8],
        may_see: impl Fn(&person::Model) -> bool,
    ) -> Result<TeamSheetReport, AppError> {
        let table = read_table(file_name, bytes)?;
        let columns = table.columns_of(COLUMNS);
        let has_member = columns.keys().any(|c| matches!(c, Column::Member(_)));
        if !identifies(&columns) || !has_member {
            return Err(AppError::BadInput(
                "包保表须有人员编号、身份证号或姓名加电话一列，及乡镇干部、村干部、村医、民警、网格员的姓名和电话列"
                    .into(),
            ));
        }
        let mut report = TeamSheetReport::default();
        let mut pending = Vec::new();
        for (number, cells) in table.rows {
            let row = number + 1;
            report.rows += 1;
            let cells = match cells {
                Ok(cells) => cells,
                Err(reason) => {
                    report.rejected.push(RejectedReading { row, reason });
                    continue;
                }
            };
            let cell = |c: Column| cell_of(&columns, &cells, c);
            let person = match self.person_of_row(&cell, &may_see).await? {
                Ok(person) => person,
                Err(reason) => {
                    report.rejected.push(RejectedReading { row, reason });
                    continue;
                }
            };
            let members: Vec<TeamMemberInput> = TeamRole::ALL
                .iter()
                .filter_map(|role| {
                    let name = cell(Column::Member(*role));
                    let phone = cell(Column::MemberPhone(*role));
                    (name.is_some() || phone.is_some()).then(|| TeamMemberInput {
                        role: *role,
                        name: name.unwrap_or_default().to_owned(),
                        phone: phone.unwrap_or_default().to_owned(),
                    })
                })
                .collect();
            if members.is_empty() {
                report.rejected.push(RejectedReading {
                    row,
                    reason: "没有包保责任人".into(),
                });
                continue;
            }
            match clean_team(&members) {
                Ok(members) => pending.push((row, person.id, members)),
                Err(reason) => report.rejected.push(RejectedReading { row, reason }),
            }
        }
        let now = self.reference.clock.now();
        let write = self.db.write("a team sheet").await?;
        for (row, person_id, members) in pending {
            if observation::Entity::find_by_id(person_id)
                .one(&write.txn)
                .await?
                .is_none()
            {
                report.rejected.push(RejectedReading {
                    row,
                    reason: format!("人员 {person_id} 没有居家医学观察记录（不在县内）"),
                });
                continue;
            }
            write_team(&write.txn, person_id, members, now).await?;
            report.teams += 1;
        }
        write.commit().await?;
        report.rejected.sort_by_key(|r| r.row);
        if report.teams > 0 {
            self.announce(ChangeKind::Observation, Vec::new()).await;
        }
        Ok(report)
    }
}

/// What a team sheet import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TeamSheetReport {
    /// Data rows read.
    pub rows: u32,
    /// Teams assigned.
    pub teams: u32,
    /// Rows not taken.
    pub rejected: Vec<RejectedReading>,
}
