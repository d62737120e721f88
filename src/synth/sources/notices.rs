//! The notices from other jurisdictions (外地通报协查): persons who came from there, in
//! numbered 协查函 of up to 30 persons.

use chrono::Days;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::Serialize;

use super::truth::Truth;
use super::{EXTERNAL, Gen, HOMOPHONE, TRADITIONAL, date_text, day, unique_tags, unusable_count};
use crate::synth::ids::{one_wrong_digit, swap_adjacent};
use crate::synth::names;
use crate::synth::people::{Home, Person};
use crate::synth::places::{initials, street_address};

const NOTICE_NOTES: [&str; 7] = [
    "自武汉返回",
    "与确诊病例同乘列车",
    "密切接触者",
    "曾到华南海鲜市场周边",
    "武汉务工返乡",
    "发热门诊就诊记录",
    "",
];

/// A person of a notice, with its notice fields.
#[derive(Serialize, Default)]
pub(super) struct NoticePerson {
    record_id: String,
    name: String,
    sex: String,
    id_number: String,
    phone: String,
    current_address: String,
    note: String,
}

/// An external notice (协查函), in the order intake reads its keys.
#[derive(Serialize)]
struct Notice {
    notice_no: String,
    sending_jurisdiction: String,
    send_date: String,
    contact: String,
    note: String,
    persons: Vec<NoticePerson>,
}

/// The jurisdiction that sends notices, as its notices name it.
struct Sender {
    /// The name without `区`, `县`, `市`, as in a notice number.
    short: String,
    /// The full name, province first.
    full: String,
    province: String,
    /// The telephone area code of its contact.
    area_code: String,
}

impl<R: Rng> Gen<'_, R> {
    /// The notice entries about person `i`: from the jurisdiction of origin, now and then from
    /// a second one as well.
    pub(super) fn notice_persons(&mut self, i: usize) {
        let persons = self.persons;
        let p = &persons[i];
        self.notice_person(i, &p.origin);
        if self.chance(0.03) {
            let other = loop {
                let o = self.places.origin(self.rng);
                if o != p.origin {
                    break o;
                }
            };
            self.note(EXTERNAL, "same person in a second notice");
            self.notice_person(i, &other);
        }
    }

    /// One notice entry about `p`, from the jurisdiction `from`.
    fn notice_person(&mut self, i: usize, from: &str) {
        let persons = self.persons;
        let p = &persons[i];
        let id_number = self.notice_id_number(p);
        let name = self.notice_name(p);
        let phone = self.notice_phone(p);
        let current_address = self.notice_address(p);
        let sex = if p.male { "男" } else { "女" }.to_owned();
        let note = self.pick(&NOTICE_NOTES).to_owned();
        self.external.entry(from.to_owned()).or_default().push((
            Some(i),
            NoticePerson {
                record_id: String::new(),
                name,
                sex,
                id_number,
                phone,
                current_address,
                note,
            },
        ));
    }

    fn notice_id_number(&mut self, p: &Person) -> String {
        let x: f64 = self.rng.random();
        if x < 0.05 {
            self.note(EXTERNAL, "ID missing");
            String::new()
        } else if x < 0.09 {
            self.note(EXTERNAL, "ID one wrong digit");
            one_wrong_digit(&p.id_number, self.rng)
        } else if x < 0.11
            && let Some(s) = swap_adjacent(&p.id_number, self.rng)
        {
            self.note(EXTERNAL, "ID two adjacent digits swapped");
            s
        } else if p.id_number.ends_with('X') && self.chance(0.5) {
            self.note(EXTERNAL, "ID lower-case x");
            p.id_number.to_lowercase()
        } else {
            p.id_number.clone()
        }
    }

    fn notice_name(&mut self, p: &Person) -> String {
        let x: f64 = self.rng.random();
        let tries = [(x < 0.07, HOMOPHONE), (x < 0.11, TRADITIONAL)];
        self.misspelt(EXTERNAL, &tries, &p.name)
            .unwrap_or_else(|| p.name.clone())
    }

    fn notice_phone(&mut self, p: &Person) -> String {
        let x: f64 = self.rng.random();
        if x < 0.07 {
            // A number only the sender knows (a work phone, a relative's).
            self.note(EXTERNAL, "phone unknown to the other sources");
            self.new_phone()
        } else if x < 0.1 {
            self.note(EXTERNAL, "phone with +86- prefix");
            format!("+86-{}", p.phones[0])
        } else {
            p.phones[0].clone()
        }
    }

    /// Where the sender believes `p` lives now: outside the county for one gone elsewhere,
    /// else the home at varying detail.
    fn notice_address(&mut self, p: &Person) -> String {
        match (&p.away, &p.home) {
            (Some(away), _) => {
                self.note(EXTERNAL, "current address outside the county");
                match &p.home {
                    Home::Outside { address, .. } => address.clone(),
                    Home::County { .. } => street_address(self.reference.divisions, away, self.rng),
                }
            }
            (
                None,
                Home::County {
                    township,
                    village,
                    house,
                },
            ) => {
                let (t, v) = (
                    self.township_name(*township).to_owned(),
                    self.village_name(*township, *village).to_owned(),
                );
                let g = &self.reference.gazetteer;
                let x: f64 = self.rng.random();
                if x < 0.5 {
                    format!("{}{t}{v}{house}", self.county_prefix())
                } else if x < 0.8 {
                    format!("{}{t}{v}", g.name)
                } else {
                    format!("{}{}{t}", g.city, g.name)
                }
            }
            (None, Home::Outside { address, .. }) => address.clone(),
        }
    }

    /// Adds the notice persons that name nobody, from jurisdictions drawn at random.
    pub(super) fn unusable_notice_persons(&mut self) {
        let notice_persons: usize = self.external.values().map(Vec::len).sum();
        for _ in 0..unusable_count(notice_persons) {
            let from = self.places.origin(self.rng);
            self.external.entry(from).or_default().push((
                None,
                NoticePerson {
                    current_address: self.reference.gazetteer.name.clone(),
                    note: "信息不全，请核实".to_owned(),
                    ..NoticePerson::default()
                },
            ));
        }
    }

    /// `external.json`: per sending jurisdiction, its persons in notices of up to 30, numbered;
    /// the notices in date order.
    pub(super) fn notices_file(&mut self, truth: &mut Truth) -> String {
        let divisions = self.reference.divisions;
        let jurisdictions: Vec<String> = self.external.keys().cloned().collect();
        let tags = unique_tags(jurisdictions.iter().map(|code| {
            divisions.get(code).map_or_else(
                || "WD".to_owned(),
                |d| initials(d.name.trim_end_matches(['区', '县', '市'])),
            )
        }));
        let mut notices = Vec::new();
        let mut external = std::mem::take(&mut self.external);
        for (code, tag) in jurisdictions.iter().zip(&tags) {
            let Some(entries) = external.remove(code) else {
                continue;
            };
            self.jurisdiction_notices(code, tag, entries, truth, &mut notices);
        }
        notices.sort_by(|a, b| a.send_date.cmp(&b.send_date));
        let mut external_json = serde_json::to_string_pretty(&notices).unwrap_or_default();
        external_json.push('\n');
        external_json
    }

    /// The notices of jurisdiction `code` about its `entries`, in a shuffled order, numbered
    /// from a number drawn at random; their persons' record IDs start with `tag`.
    fn jurisdiction_notices(
        &mut self,
        code: &str,
        tag: &str,
        mut entries: Vec<(Option<usize>, NoticePerson)>,
        truth: &mut Truth,
        notices: &mut Vec<Notice>,
    ) {
        entries.shuffle(self.rng);
        let sender = self.sender(code);
        let mut number = self.rng.random_range(3..20);
        let mut rest = entries.as_mut_slice();
        while !rest.is_empty() {
            let size = self.rng.random_range(8..=30).min(rest.len());
            let (chunk, tail) = rest.split_at_mut(size);
            rest = tail;
            let mut persons = Vec::with_capacity(chunk.len());
            for (k, (person, entry)) in chunk.iter_mut().enumerate() {
                entry.record_id = format!("{tag}{number:02}-{:02}", k + 1);
                truth.record(
                    EXTERNAL,
                    &entry.record_id,
                    person.map(|i| self.persons[i].id),
                );
                persons.push(std::mem::take(entry));
            }
            notices.push(self.notice(&sender, number, persons));
            number += 1;
        }
    }

    /// The sender's names; the area code of a sender outside Wuhan is drawn at random.
    fn sender(&mut self, code: &str) -> Sender {
        let divisions = self.reference.divisions;
        let place = divisions
            .get(code)
            .map_or_else(|| code.to_owned(), |d| d.name.clone());
        let short = place.trim_end_matches(['区', '县', '市']).to_owned();
        let full = divisions.full_name(code).unwrap_or_else(|| place.clone());
        let province = divisions
            .province_of(code)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        let area_code = if code.starts_with("4201") {
            "027".to_owned()
        } else {
            format!("07{}", self.rng.random_range(10..29))
        };
        Sender {
            short,
            full,
            province,
            area_code,
        }
    }

    /// Notice `number` of `sender` about `persons`, sent on a day drawn at random.
    fn notice(&mut self, sender: &Sender, number: i32, persons: Vec<NoticePerson>) -> Notice {
        let Sender {
            short,
            full,
            province,
            area_code,
        } = sender;
        let send = day((2020, 1, 27)) + Days::new(self.rng.random_range(0..10));
        let contact_surname = names::surname(self.rng);
        let title = self.pick(&["科长", "主任", "股长"]);
        Notice {
            notice_no: format!("{short}防控协〔2020〕{number}号"),
            sending_jurisdiction: full.clone(),
            send_date: date_text(send, 0),
            contact: format!(
                "{contact_surname}{title} {area_code}-{}",
                self.rng.random_range(80_000_000..89_999_999)
            ),
            note: format!(
                "经我区大数据排查，以下{}名人员近期自{}前往你县，请协助核查并落实居家隔离措施，及时反馈。",
                persons.len(),
                full.strip_prefix(province.as_str()).unwrap_or(full)
            ),
            persons,
        }
    }
}
