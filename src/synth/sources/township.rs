//! The townships' field-check forms (镇办实地核查): one row per person checked at home.

use chrono::Days;
use rand::Rng;
use rand::seq::SliceRandom;

use super::remarks;
use super::truth::Truth;
use super::{
    Gen, HOMOPHONE, Row, TOWNSHIP, TRADITIONAL, date_text, day, unique_tags, unusable_count,
    write_csv,
};
use crate::synth::ids::{full_width, one_wrong_digit, spaced_phone, swap_adjacent, to_15};
use crate::synth::names;
use crate::synth::people::{Home, Person};
use crate::synth::places::{division_text, initials, street_address};

/// Township form headers, as in `fixtures/demo/township.csv` (`鄉鎮` in Traditional).
const TS_HEADERS: [&str; 16] = [
    "编号",
    "鄉鎮",
    "村(社区)",
    "姓名",
    "性别",
    "年龄",
    "身份证号码",
    "联系电话",
    "现住址",
    "来源地",
    "返乡日期",
    "交通方式",
    "症状",
    "核查人",
    "核查日期",
    "备注",
];

const REMARKS: [&str; 8] = [
    "",
    "",
    "",
    "居家隔离",
    "已签承诺书",
    "已落实五包一",
    "每日测温正常",
    "已告知居家观察要求",
];
const GONE_REMARKS: [&str; 4] = [
    "已于1月26日离开本县",
    "电话核实，人已不在本地",
    "本人已返回工作地",
    "外出未归，电话联系",
];

impl<R: Rng> Gen<'_, R> {
    /// The township forms about person `i`: filed where the person lives (a township drawn for
    /// one living outside), now and then filed again by a second township.
    pub(super) fn township_rows(&mut self, i: usize) {
        let persons = self.persons;
        let p = &persons[i];
        let townships = self.reference.gazetteer.townships.len();
        let (tw, v) = match &p.home {
            Home::County {
                township, village, ..
            } => (*township, *village),
            Home::Outside { .. } => {
                let tw = self.rng.random_range(0..townships);
                (tw, self.any_village(tw))
            }
        };
        self.township_row(i, tw, v, false);
        if p.away.is_none() && p.lives_in_county() && townships > 1 && self.chance(0.04) {
            // Reported again by another township (a relative's village, a workplace).
            let mut other = self.rng.random_range(0..townships - 1);
            if other >= tw {
                other += 1;
            }
            let ov = self.any_village(other);
            self.note(TOWNSHIP, "same person reported by a second township");
            self.township_row(i, other, ov, true);
        }
    }

    /// A village of township `t`, drawn at random.
    fn any_village(&mut self, t: usize) -> usize {
        let n = self.reference.gazetteer.townships[t].villages.len().max(1);
        self.rng.random_range(0..n)
    }

    /// One township form about `p`, filed by township `t` (village `v`). `second` marks the
    /// second report of the same person by another township.
    fn township_row(&mut self, i: usize, t: usize, v: usize, second: bool) {
        let persons = self.persons;
        let p = &persons[i];
        let mut cells = vec![String::new(); TS_HEADERS.len()];
        let tname = self.township_name(t).to_owned();
        cells[1] = self.township_cell(t);
        let village = self.village_name(t, v).to_owned();
        cells[2] = self.village_cell(&village);
        cells[3] = self.township_person_name(p);
        cells[4] = if p.male { "男" } else { "女" }.to_owned();
        cells[5] = self.age_cell(p);
        cells[6] = self.township_id(p, second);
        let mut remark = self.pick(&REMARKS).to_owned();
        cells[7] = self.township_phone(p, &mut remark);
        if cells[7].is_empty() && cells[3].trim().is_empty() && cells[6].is_empty() {
            cells[7] = p.phones[0].clone();
        }
        cells[8] = self.township_address(p, &tname, &village, &mut remark);
        let style = [0, 1, 1, 2, 3][self.rng.random_range(0..5)];
        cells[9] = division_text(self.reference.divisions, &p.origin, style);
        cells[10] = date_text(p.arrival, [0, 0, 1, 2, 3, 4][self.rng.random_range(0..6)]);
        cells[11] = p.travel.township_text().to_owned();
        cells[12] = if self.chance(0.93) {
            "无".to_owned()
        } else {
            self.pick(&["发热", "咳嗽", "乏力", "发热37.6℃"]).to_owned()
        };
        cells[13].clone_from(&self.reporters[t]);
        let check = p.arrival.max(day((2020, 1, 25))) + Days::new(1 + self.rng.random_range(0..6));
        cells[14] = date_text(check + Days::new(u64::from(second)), 0);
        cells[15] = remark;
        self.township.push(Row {
            person: Some(i),
            cells,
            group: t,
        });
    }

    /// Township `t` as a form names it: in full, without its suffix, or in Traditional.
    fn township_cell(&mut self, t: usize) -> String {
        let reference = self.reference;
        let township = &reference.gazetteer.townships[t];
        let tname = &township.name;
        let short: Vec<&String> = township
            .aliases
            .iter()
            .filter(|a| a.chars().count() < tname.chars().count() && tname.starts_with(a.as_str()))
            .collect();
        let traditional: Vec<&String> = township
            .aliases
            .iter()
            .filter(|a| a.chars().count() == tname.chars().count() && *a != tname)
            .collect();
        let x: f64 = self.rng.random();
        if x < 0.15 && !short.is_empty() {
            self.note(TOWNSHIP, "township without suffix");
            short[0].clone()
        } else if x < 0.3 && !traditional.is_empty() {
            self.note(TOWNSHIP, "township in Traditional");
            traditional[0].clone()
        } else {
            tname.clone()
        }
    }

    /// The village as a form names it, now and then without its `村` or `社区`.
    fn village_cell(&mut self, village: &str) -> String {
        if self.chance(0.06) {
            self.note(TOWNSHIP, "village without suffix");
            let stem = village.trim_end_matches("社区").trim_end_matches('村');
            if stem.chars().count() >= 2 {
                stem.to_owned()
            } else {
                village.to_owned()
            }
        } else {
            village.to_owned()
        }
    }

    fn township_person_name(&mut self, p: &Person) -> String {
        let x: f64 = self.rng.random();
        let tries = [(x < 0.08, TRADITIONAL), (x < 0.12, HOMOPHONE)];
        if let Some(misspelt) = self.misspelt(TOWNSHIP, &tries, &p.name) {
            misspelt
        } else if x < 0.16 {
            self.note(TOWNSHIP, "name with a space");
            names::spaced(&p.name)
        } else {
            p.name.clone()
        }
    }

    /// The age, sometimes counted the traditional way, sometimes written with `岁`.
    fn age_cell(&mut self, p: &Person) -> String {
        let mut age = p.age();
        if self.chance(0.15) {
            self.note(TOWNSHIP, "age in traditional reckoning (+1)");
            age += 1;
        }
        if self.chance(0.1) {
            format!("{age}岁")
        } else {
            age.to_string()
        }
    }

    fn township_id(&mut self, p: &Person, second: bool) -> String {
        let id = &p.id_number;
        let x: f64 = self.rng.random();
        if x < 0.07 {
            self.note(TOWNSHIP, "ID one wrong digit");
            return one_wrong_digit(id, self.rng);
        }
        if x < 0.12
            && let Some(s) = swap_adjacent(id, self.rng)
        {
            self.note(TOWNSHIP, "ID two adjacent digits swapped");
            return s;
        }
        if x < 0.2
            && let Some(old) = to_15(id)
        {
            self.note(TOWNSHIP, "ID old 15-digit");
            return old;
        }
        if x < 0.22 {
            self.note(TOWNSHIP, "ID full-width digits");
            return full_width(id);
        }
        if x < 0.27 && !second {
            self.note(TOWNSHIP, "ID missing");
            return String::new();
        }
        if id.ends_with('X') && self.chance(0.5) {
            self.note(TOWNSHIP, "ID lower-case x");
            return id.to_lowercase();
        }
        id.clone()
    }

    /// The phone cell; a phone noted only in the remark leaves the cell empty.
    fn township_phone(&mut self, p: &Person, remark: &mut String) -> String {
        let phone = &p.phones[0];
        let x: f64 = self.rng.random();
        if x < 0.12 {
            self.note(TOWNSHIP, "phone spaced");
            spaced_phone(phone)
        } else if x < 0.2 {
            self.note(TOWNSHIP, "phone with +86- prefix");
            format!("+86-{phone}")
        } else if x < 0.25 {
            self.note(TOWNSHIP, "two phones in one cell");
            let other = match p.phones.get(1) {
                Some(second) => second.clone(),
                None => self.new_phone(),
            };
            let sep = self.pick(&["/", "，", "、", " ", ";"]);
            format!("{phone}{sep}{other}")
        } else if x < 0.29 {
            // The name or the ID number still names the person: the row stays usable.
            self.note(TOWNSHIP, "phone only in the remark");
            *remark = format!("电话{phone}已联系");
            String::new()
        } else if x < 0.31 {
            self.note(TOWNSHIP, "landline only");
            format!("0376-{}", self.rng.random_range(2_000_000..9_000_000))
        } else {
            phone.clone()
        }
    }

    /// The current address (现住址); for one gone elsewhere, the remark says so.
    fn township_address(
        &mut self,
        p: &Person,
        tname: &str,
        village: &str,
        remark: &mut String,
    ) -> String {
        match (&p.home, &p.away) {
            (_, Some(away)) => {
                self.note(TOWNSHIP, "checked, but gone elsewhere");
                let address = match &p.home {
                    Home::Outside { address, .. } => address.clone(),
                    Home::County { .. } => street_address(self.reference.divisions, away, self.rng),
                };
                let gone_remark = self.pick(&GONE_REMARKS).to_owned();
                // Drawn on the person's own generator, so every other draw stays as it was.
                let mut own = crate::synth::seeded(&format!("away {}", p.id_number));
                let named = own.random_bool(0.7);
                let gone_remark = if own.random_bool(0.8) {
                    self.note(TOWNSHIP, "away: the remark says so in its own words");
                    if named {
                        self.note(TOWNSHIP, "away: the remark names the place");
                    }
                    remarks::away_remark(
                        &self.reference.gazetteer,
                        self.reference.divisions,
                        away,
                        named,
                        p.arrival + Days::new(own.random_range(2..8)),
                        &mut own,
                    )
                } else {
                    gone_remark
                };
                *remark = if remark.starts_with("电话") {
                    format!("{remark}；{gone_remark}")
                } else {
                    gone_remark
                };
                // A form filed at the person's home in the county often keeps that address:
                // only the remark says they are away.
                match &p.home {
                    Home::County { house, .. } if named && own.random_bool(0.5) => {
                        self.note(TOWNSHIP, "away: the address is the home in the county");
                        format!("{}{tname}{village}{house}", self.reference.gazetteer.name)
                    }
                    _ => address,
                }
            }
            (Home::County { .. }, None) => {
                self.home_remark(p, remark);
                self.township_address_at_home(p, tname, village)
            }
            (Home::Outside { address, .. }, None) => address.clone(),
        }
    }

    /// Now and then, a remark of one at home names where they came from (`从武汉返回，居家
    /// 隔离`) or a relative elsewhere: no sign that they are away.
    fn home_remark(&mut self, p: &Person, remark: &mut String) {
        let mut own = crate::synth::seeded(&format!("home {}", p.id_number));
        if remark.starts_with("电话") || !own.random_bool(0.2) {
            return;
        }
        self.note(TOWNSHIP, "at home: the remark names where they came from");
        *remark = remarks::home_remark(self.reference.divisions, &p.origin, p.arrival, &mut own);
    }

    /// The address of one at home in the county, written one of the ways forms write it.
    fn township_address_at_home(&mut self, p: &Person, tname: &str, village: &str) -> String {
        match &p.home {
            Home::County { house, .. } => {
                let x: f64 = self.rng.random();
                if x < 0.4 {
                    format!("{}{tname}{village}{house}", self.reference.gazetteer.name)
                } else if x < 0.8 {
                    format!("{village}{house}")
                } else {
                    format!("{}{tname}{village}{house}", self.county_prefix())
                }
            }
            Home::Outside { address, .. } => address.clone(),
        }
    }

    /// Adds the forms that name nobody (a household found empty).
    pub(super) fn unusable_township_rows(&mut self) {
        let townships = self.reference.gazetteer.townships.len();
        if townships == 0 {
            return;
        }
        for _ in 0..unusable_count(self.township.len()) {
            let mut cells = vec![String::new(); TS_HEADERS.len()];
            let t = self.rng.random_range(0..townships);
            let v = self.any_village(t);
            let village = self.village_name(t, v).to_owned();
            cells[1] = self.township_name(t).to_owned();
            cells[8] = format!("{village}{}组", self.rng.random_range(1..10));
            cells[2] = village;
            cells[9] = "武汉".to_owned();
            cells[13].clone_from(&self.reporters[t]);
            cells[14] = "2020-01-29".to_owned();
            cells[15] = "家中无人，信息待补".to_owned();
            self.township.push(Row::nobody(cells, t));
        }
    }

    /// `township.csv`: the forms numbered per township with its initials, in a shuffled file.
    pub(super) fn township_file(&mut self, truth: &mut Truth) -> String {
        let mut township = std::mem::take(&mut self.township);
        township.shuffle(self.rng);
        let prefixes = unique_tags(
            self.reference
                .gazetteer
                .townships
                .iter()
                .map(|t| initials(&t.name)),
        );
        let mut counters = vec![0usize; prefixes.len()];
        for row in &mut township {
            counters[row.group] += 1;
            row.cells[0] = format!("{}-{:05}", prefixes[row.group], counters[row.group]);
            truth.record(
                TOWNSHIP,
                &row.cells[0],
                row.person.map(|i| self.persons[i].id),
            );
        }
        write_csv(&TS_HEADERS, &township, false)
    }
}
