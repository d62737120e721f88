//! Normalising 1 M mixed source records on one core.
//!
//! `cargo bench --bench normalize [-- N]` prints the wall time of `normalize_record` over N
//! (default 1 000 000) generated records shaped like the three sources in the proportions of
//! the demo county (40 % big-data list entries: a phone, often no name, masked or missing ID
//! numbers, a location hint; 45 % township forms with every field; 15 % external-notice persons),
//! with every kind of noise intake meets: Traditional names, masked / 15-digit / mistyped ID
//! numbers, spaced and prefixed phones, phones in remarks, township aliases, dates in every
//! written form, places inside and outside the county.

use std::hint::black_box;
use std::time::Instant;

use chrono::NaiveDate;
use paicha::Reference;
use paicha::normalize::id_number::check_digit;
use paicha::normalize::{NormalizeContext, RawIdentity, normalize_record};

/// The cells of one generated row.
struct Row {
    /// Where the person is now (a big-data location hint, a notice's current address).
    location: String,
    name: String,
    id_number: String,
    phone: String,
    sex: &'static str,
    age: String,
    township: String,
    village: String,
    address: String,
    origin: &'static str,
    arrival: String,
    remark: String,
}

// The same allocator as the `paicha` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A small deterministic generator (xorshift), so every run normalises the same records.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "張", "刘", "陳", "杨", "黃", "赵", "欧阳", "司马", "周", "吳",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "麗華", "国强", "秀英", "建軍", "娜", "磊", "明", " 静", "·海",
];
const REGIONS: &[&str] = &[
    "420102", "420106", "420111", "420902", "421002", "411599", "411502",
];
const SEXES: &[&str] = &["男", "女", "", "1"];
const ORIGINS: &[&str] = &[
    "武汉市江岸区",
    "湖北省孝感市",
    "武汉",
    "湖北黄冈",
    "漢口",
    "",
];
const PLACES: &[&str] = &[
    "",
    "湖北省武汉市江岸区胜利街1号",
    "广东省深圳市南山区",
    "河南省信阳市浉河区",
    "青溪县城关镇东大街社区",
];

fn row(rng: &mut Rng, townships: &[(String, Vec<String>)]) -> Row {
    let year = 1940 + rng.below(70) as i32;
    let birth = NaiveDate::from_ymd_opt(year, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
        .unwrap_or_default();
    let seq = rng.below(1000);
    let body = format!("{}{}{seq:03}", rng.pick(REGIONS), birth.format("%Y%m%d"));
    let sex = match rng.below(10) {
        0 => rng.pick_str(SEXES),
        _ if seq % 2 == 1 => "男",
        _ => "女",
    };
    let full = format!("{body}{}", check_digit(&body).unwrap_or('0'));
    let id_number = match rng.below(10) {
        0 | 1 => String::new(),
        2 => format!("{}********{}", &full[..6], &full[14..]),
        3 => format!("{}{}", &full[..6], &full[8..17]),
        4 => {
            let mut typo = full.clone().into_bytes();
            typo[10] = b'0' + (typo[10] - b'0' + 1) % 10;
            String::from_utf8(typo).unwrap_or_default()
        }
        5 => format!("{} {} {}", &full[..6], &full[6..14], &full[14..]),
        _ => full,
    };
    let mobile = format!(
        "1{}{:08}",
        rng.pick(&["39", "58", "86", "77"]),
        rng.below(100_000_000)
    );
    let phone = match rng.below(6) {
        0 => format!("{} {} {}", &mobile[..3], &mobile[3..7], &mobile[7..]),
        1 => format!("+86-{mobile}"),
        2 => format!("{mobile}，0376-7123456"),
        3 => String::new(),
        _ => mobile.clone(),
    };
    let remark = if phone.is_empty() {
        format!("电话{mobile}已联系")
    } else {
        String::new()
    };
    let (township, villages) = rng.pick(townships);
    let township = match rng.below(3) {
        0 => township.trim_end_matches(['镇', '乡']).to_owned(),
        _ => township.clone(),
    };
    let arrival = match rng.below(4) {
        0 => "2020-01-21".to_owned(),
        1 => "1月21日".to_owned(),
        2 => "1.21".to_owned(),
        _ => "20200121".to_owned(),
    };
    let mut row = Row {
        location: String::new(),
        name: if rng.below(8) == 0 {
            String::new()
        } else {
            format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
        },
        id_number,
        phone,
        sex,
        age: (2020 - year).to_string(),
        township,
        village: villages.first().cloned().unwrap_or_default(),
        address: rng.pick(PLACES).to_string(),
        origin: rng.pick_str(ORIGINS),
        arrival,
        remark,
    };
    match rng.below(20) {
        // A big-data list entry: a phone, a hint of where the phone is, little else.
        0..8 => {
            if rng.below(2) == 0 {
                row.name.clear();
            }
            if row.id_number.len() == 18 && rng.below(3) > 0 {
                row.id_number =
                    format!("{}**********{}", &row.id_number[..4], &row.id_number[14..]);
            }
            if row.phone.is_empty() {
                row.phone = mobile;
            }
            row.location = std::mem::take(&mut row.address);
            for cell in [
                &mut row.age,
                &mut row.township,
                &mut row.village,
                &mut row.remark,
            ] {
                cell.clear();
            }
            row.sex = "";
        }
        // A person of an external notice: who and where, no township form fields.
        8..11 => {
            row.location = row.address.clone();
            for cell in [
                &mut row.age,
                &mut row.township,
                &mut row.village,
                &mut row.arrival,
            ] {
                cell.clear();
            }
            row.origin = "";
        }
        // A township form: every field.
        _ => {}
    }
    row
}

/// `None` for an empty cell.
fn present(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let reference = Reference::load(None).expect("demo county");
    let townships: Vec<(String, Vec<String>)> = reference
        .gazetteer
        .townships
        .iter()
        .map(|t| (t.name.clone(), t.villages.clone()))
        .collect();
    let mut rng = Rng(0x5eed_2020_0123);
    let rows: Vec<Row> = (0..n).map(|_| row(&mut rng, &townships)).collect();
    let ctx = NormalizeContext {
        divisions: reference.divisions,
        gazetteer: &reference.gazetteer,
        reference_date: NaiveDate::from_ymd_opt(2020, 1, 28).unwrap_or_default(),
    };
    let start = Instant::now();
    let mut problems: std::collections::BTreeMap<String, usize> = Default::default();
    for r in &rows {
        let raw = RawIdentity {
            name: present(&r.name),
            id_number: present(&r.id_number),
            phone: present(&r.phone),
            sex: present(r.sex),
            age: present(&r.age),
            township: present(&r.township),
            village: present(&r.village),
            address: present(&r.address),
            current_location: present(&r.location).or(present(&r.address)),
            origin: present(r.origin),
            arrival_date: present(&r.arrival),
            report_date: Some("2020-01-28"),
            notes: if r.remark.is_empty() {
                Vec::new()
            } else {
                vec![r.remark.as_str()]
            },
            ..RawIdentity::default()
        };
        let identity = black_box(normalize_record(&raw, &ctx));
        for p in &identity.problems {
            *problems.entry(p.code.to_string()).or_default() += 1;
        }
    }
    let elapsed = start.elapsed();
    println!(
        "normalised {n} mixed records in {:.3} s on one core ({:.2} µs/record)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
    println!("problems found: {problems:?}");
}
