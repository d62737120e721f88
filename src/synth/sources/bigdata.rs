//! The province's big-data list (大数据核查): telecom and ticket rows pushed in batches.

use chrono::Days;
use rand::Rng;
use rand::seq::SliceRandom;

use super::truth::Truth;
use super::{BIGDATA, Gen, HOMOPHONE, Row, date_text, day, unusable_count, write_csv};
use crate::synth::ids::{mask_prefecture, mask_region};
use crate::synth::people::{Home, Person};
use crate::synth::places::division_text;

/// Big-data list headers, as in `fixtures/demo/bigdata.csv`.
const BD_HEADERS: [&str; 10] = [
    "序号",
    "姓名",
    "身份证号",
    "手机号",
    "来源地",
    "抵达日期",
    "现所在地",
    "交通方式",
    "车次",
    "批次日期",
];

/// Days the province pushed big-data lists.
const BATCHES: [(i32, u32, u32); 4] = [(2020, 1, 25), (2020, 1, 27), (2020, 1, 30), (2020, 2, 2)];

impl<R: Rng> Gen<'_, R> {
    /// The big-data rows about person `i`: one, sometimes pushed again in a later batch.
    pub(super) fn bigdata_rows(&mut self, i: usize) {
        let (batch, hint) = self.bigdata_row(i, None, None);
        if batch + 1 < BATCHES.len() && self.chance(0.06) {
            self.note(BIGDATA, "pushed again in a later batch");
            let later = self.rng.random_range(batch + 1..BATCHES.len());
            self.bigdata_row(i, Some(later), Some(hint));
        }
    }

    /// One big-data row about `p` (a telecom entry for a phone holder, a manifest entry for a
    /// household member), in `batch` or a batch after the arrival.
    fn bigdata_row(
        &mut self,
        i: usize,
        batch: Option<usize>,
        hint: Option<String>,
    ) -> (usize, String) {
        let persons = self.persons;
        let p = &persons[i];
        let batch = batch.unwrap_or_else(|| {
            let possible: Vec<usize> = (0..BATCHES.len())
                .filter(|&b| day(BATCHES[b]) >= p.arrival)
                .collect();
            possible[self.rng.random_range(0..possible.len())]
        });
        let mut cells = vec![String::new(); BD_HEADERS.len()];
        (cells[1], cells[2], cells[3]) = self.bigdata_identity(p);
        let style = [0, 2, 2, 3][self.rng.random_range(0..4)];
        cells[4] = division_text(self.reference.divisions, &p.origin, style);
        cells[5] = date_text(p.arrival, [0, 1, 2, 3][self.rng.random_range(0..4)]);
        let hint = hint.unwrap_or_else(|| self.location_hint(p));
        cells[6].clone_from(&hint);
        cells[7] = p.travel.bigdata_text().to_owned();
        cells[8].clone_from(&p.train);
        cells[9] = date_text(day(BATCHES[batch]), 0);
        self.bigdata.push(Row {
            person: Some(i),
            cells,
            group: batch,
        });
        (batch, hint)
    }

    /// The name, ID number and phone cells of a big-data row about `p`.
    fn bigdata_identity(&mut self, p: &Person) -> (String, String, String) {
        let (mut name, mut id, mut phone) = (String::new(), String::new(), String::new());
        if p.holds_phone {
            let phone_only = if p.household.is_some() { 0.35 } else { 0.15 };
            if self.chance(phone_only) {
                if let Some(mask) = registered_mask(p) {
                    self.note(BIGDATA, "no name, the holder's registered ID masked");
                    id = mask;
                } else {
                    self.note(BIGDATA, "phone only (no name, no ID)");
                    if p.household.is_some() {
                        self.note(BIGDATA, "phone only, a family's shared phone");
                    }
                }
            } else {
                if self.chance(0.55) {
                    name = self.bigdata_name(p);
                } else {
                    self.note(BIGDATA, "name missing");
                }
                id = self.bigdata_id(p, 0.2, 0.3, 0.2);
            }
            phone = if p.phones.len() > 1 && self.chance(0.15) {
                self.note(BIGDATA, "the person's second phone");
                p.phones[1].clone()
            } else {
                p.phones[0].clone()
            };
        } else {
            // A rail or air manifest: each traveller by name and ID, the family phone as contact.
            self.note(BIGDATA, "manifest entry of a household member");
            if self.chance(0.92) {
                name = self.bigdata_name(p);
            } else {
                self.note(BIGDATA, "name missing");
            }
            id = self.bigdata_id(p, 0.45, 0.3, 0.25);
            phone.clone_from(&p.phones[0]);
        }
        if self.chance(0.05) {
            self.note(BIGDATA, "phone with +86 prefix");
            phone = format!("+86 {phone}");
        }
        (name, id, phone)
    }

    /// The location hint of a big-data row: where the phone or ticket puts the person.
    fn location_hint(&mut self, p: &Person) -> String {
        let divisions = self.reference.divisions;
        if let Some(away) = &p.away {
            if self.chance(0.6) {
                self.note(BIGDATA, "location hint outside the county");
                let style = if self.chance(0.5) { 0 } else { 1 };
                return division_text(divisions, away, style);
            }
            return String::new();
        }
        if self.chance(0.04) {
            // Roaming data still places them where they came from.
            self.note(BIGDATA, "stale hint: still at the origin");
            return division_text(divisions, &p.origin, 0);
        }
        let Home::County { township, .. } = p.home else {
            return String::new();
        };
        let x: f64 = self.rng.random();
        if x < 0.55 {
            format!(
                "{}{}",
                self.reference.gazetteer.name,
                self.township_name(township)
            )
        } else if x < 0.7 {
            self.county_prefix()
        } else {
            String::new()
        }
    }

    fn bigdata_name(&mut self, p: &Person) -> String {
        let typo = self.chance(0.06);
        self.misspelt(BIGDATA, &[(typo, HOMOPHONE)], &p.name)
            .unwrap_or_else(|| p.name.clone())
    }

    /// Full with `full`, masked `420102********` with `region`, `4201**********` with
    /// `prefecture`, else missing.
    fn bigdata_id(&mut self, p: &Person, full: f64, region: f64, prefecture: f64) -> String {
        let x: f64 = self.rng.random();
        if x < full {
            self.note(BIGDATA, "ID full");
            p.id_number.clone()
        } else if x < full + region {
            self.note(BIGDATA, "ID masked 420102********1234");
            mask_region(&p.id_number)
        } else if x < full + region + prefecture {
            self.note(BIGDATA, "ID masked 4201**********1234");
            mask_prefecture(&p.id_number)
        } else {
            self.note(BIGDATA, "ID missing");
            String::new()
        }
    }

    /// Adds the rows that name nobody (an origin, dates, the travel mode only).
    pub(super) fn unusable_bigdata_rows(&mut self) {
        let divisions = self.reference.divisions;
        for _ in 0..unusable_count(self.bigdata.len()) {
            let mut cells = vec![String::new(); BD_HEADERS.len()];
            let batch = self.rng.random_range(0..BATCHES.len());
            let origin = self.places.origin(self.rng);
            cells[4] = division_text(divisions, &origin, 2);
            cells[5] = date_text(day(BATCHES[0]) - Days::new(self.rng.random_range(1..10)), 0);
            cells[7] = "铁路".to_owned();
            cells[9] = date_text(day(BATCHES[batch]), 0);
            self.bigdata.push(Row::nobody(cells, batch));
        }
    }

    /// `bigdata.csv`: the rows numbered per batch in a shuffled order, listed by number.
    pub(super) fn bigdata_file(&mut self, truth: &mut Truth) -> String {
        let mut bigdata = std::mem::take(&mut self.bigdata);
        bigdata.shuffle(self.rng);
        let mut counters = [0usize; BATCHES.len()];
        for row in &mut bigdata {
            counters[row.group] += 1;
            row.cells[0] = format!(
                "DSJ-{}-{:05}",
                day(BATCHES[row.group]).format("%Y%m%d"),
                counters[row.group]
            );
        }
        bigdata.sort_by(|a, b| a.cells[0].cmp(&b.cells[0]));
        for row in &bigdata {
            truth.record(
                BIGDATA,
                &row.cells[0],
                row.person.map(|i| self.persons[i].id),
            );
        }
        write_csv(&BD_HEADERS, &bigdata, true)
    }
}

/// The masked ID number a telecom list gives for a household's phone whose row carries no name:
/// `None` for half of them (and for a single's phone), which stay phone-only.
///
/// Mobile numbers are registered to a person by real name (since 2013), so an operator's list
/// can show the registered holder's ID number, masked as its lists mask them, even where it
/// leaves the name out. The draw uses a generator of its own (see [`crate::synth::seeded`]), so
/// every other row is drawn as without it.
fn registered_mask(p: &Person) -> Option<String> {
    p.household?;
    let mut rng = crate::synth::seeded(&p.id_number);
    if !rng.random_bool(0.5) {
        return None;
    }
    Some(if rng.random_bool(0.5) {
        mask_region(&p.id_number)
    } else {
        mask_prefecture(&p.id_number)
    })
}
