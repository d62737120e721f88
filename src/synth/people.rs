//! The true population: who each person is, where they live, where they came from.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use super::ids::{make_id, mobile};
use super::places::{Places, house, street_address};
use super::{names, pick_weighted};
use crate::Reference;

/// The day ages are counted on, and the latest arrival.
pub const REFERENCE_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2020, 1, 25) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
/// The first arrival day.
const FIRST_ARRIVAL: NaiveDate = match NaiveDate::from_ymd_opt(2020, 1, 10) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// How a person travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Travel {
    Train,
    HighSpeedTrain,
    Car,
    Coach,
    Plane,
}

impl Travel {
    /// How a township form writes it.
    pub fn township_text(self) -> &'static str {
        match self {
            Travel::Train => "火车",
            Travel::HighSpeedTrain => "高铁",
            Travel::Car => "自驾",
            Travel::Coach => "大巴",
            Travel::Plane => "飞机",
        }
    }

    /// How a big-data list writes it.
    pub fn bigdata_text(self) -> &'static str {
        match self {
            Travel::Train | Travel::HighSpeedTrain => "铁路",
            Travel::Car | Travel::Coach => "公路",
            Travel::Plane => "民航",
        }
    }
}

/// Where a person lives.
#[derive(Debug, Clone)]
pub enum Home {
    /// In the county: gazetteer indexes and the house (`3组25号`).
    County {
        township: usize,
        village: usize,
        house: String,
    },
    /// Outside the county: a county-level division code and a full street address.
    Outside { code: String, address: String },
}

/// One person as they really are.
#[derive(Debug, Clone)]
pub struct Person {
    /// The generator's person index (the truth's `person_id`), from 1.
    pub id: usize,
    pub male: bool,
    pub birth: NaiveDate,
    pub name: String,
    /// The valid 18-digit ID number.
    pub id_number: String,
    /// Own phones; a household member's first phone is the family phone.
    pub phones: Vec<String>,
    pub home: Home,
    /// Division code where the person is now, when outside the county.
    pub away: Option<String>,
    /// Division code in Hubei the person came from.
    pub origin: String,
    pub arrival: NaiveDate,
    pub travel: Travel,
    /// Train or flight number (trains only).
    pub train: String,
    /// Household index, when the person lives with family.
    pub household: Option<usize>,
    /// True for the phone holder: a single, or the head of a household.
    pub holds_phone: bool,
}

impl Person {
    /// Age in full years on [`REFERENCE_DAY`].
    pub fn age(&self) -> u32 {
        let d = REFERENCE_DAY;
        let mut age = d.year() - self.birth.year();
        if (d.month(), d.day()) < (self.birth.month(), self.birth.day()) {
            age -= 1;
        }
        u32::try_from(age).unwrap_or(0)
    }

    /// True when the person lives in the county.
    pub fn lives_in_county(&self) -> bool {
        matches!(self.home, Home::County { .. })
    }
}

/// Builds persons, drawing unique ID numbers and phones.
struct Builder<'a> {
    reference: &'a Reference,
    places: &'a Places,
    ids: HashSet<String>,
    phones: HashSet<String>,
    persons: Vec<Person>,
    households: usize,
}

/// What a new person shares with someone already made.
#[derive(Default)]
struct Shared<'p> {
    male: Option<bool>,
    age: Option<(u32, u32)>,
    surname: Option<&'p str>,
    region: Option<&'p str>,
    origin: Option<&'p str>,
}

impl Builder<'_> {
    fn phone(&mut self, rng: &mut impl Rng) -> String {
        loop {
            let p = mobile(rng);
            if self.phones.insert(p.clone()) {
                return p;
            }
        }
    }

    fn id_number(
        &mut self,
        region: &str,
        birth: NaiveDate,
        male: bool,
        rng: &mut impl Rng,
    ) -> String {
        loop {
            let seq = rng.random_range(0..500u16) * 2 + u16::from(male);
            let id = make_id(region, birth, seq);
            if self.ids.insert(id.clone()) {
                return id;
            }
        }
    }

    fn birth(age_lo: u32, age_hi: u32, rng: &mut impl Rng) -> NaiveDate {
        let age = rng.random_range(age_lo..=age_hi.max(age_lo));
        let year = REFERENCE_DAY.year() - i32::try_from(age).unwrap_or(30);
        let start = NaiveDate::from_ymd_opt(year, 1, 25).unwrap_or(REFERENCE_DAY);
        start - Days::new(rng.random_range(0..365))
    }

    fn region(&self, origin: &str, rng: &mut impl Rng) -> String {
        let x: f64 = rng.random();
        if x < 0.55 {
            self.reference.gazetteer.code.clone()
        } else if x < 0.63 {
            self.places.neighbour_code().to_owned()
        } else if x < 0.93 {
            origin.to_owned()
        } else {
            self.places.origin(rng)
        }
    }

    fn county_home(&self, rng: &mut impl Rng) -> Home {
        let townships = &self.reference.gazetteer.townships;
        if townships.is_empty() {
            return Home::Outside {
                code: self.places.neighbour_code().to_owned(),
                address: street_address(
                    self.reference.divisions,
                    self.places.neighbour_code(),
                    rng,
                ),
            };
        }
        let township = rng.random_range(0..townships.len());
        let villages = &townships[township].villages;
        let village = rng.random_range(0..villages.len().max(1));
        let name = villages.get(village).map_or("", String::as_str);
        Home::County {
            township,
            village,
            house: house(name, rng),
        }
    }

    fn make(&mut self, shared: Shared<'_>, home: Home, rng: &mut impl Rng) -> usize {
        let male = shared.male.unwrap_or_else(|| rng.random_bool(0.5));
        let (lo, hi) = shared.age.unwrap_or((18, 72));
        let birth = Self::birth(lo, hi, rng);
        let origin = shared
            .origin
            .map_or_else(|| self.places.origin(rng), str::to_owned);
        let region = shared
            .region
            .map_or_else(|| self.region(&origin, rng), str::to_owned);
        let id_number = self.id_number(&region, birth, male, rng);
        let name = names::full_name(rng, male, shared.surname);
        let phone = self.phone(rng);
        let mut phones = vec![phone];
        if rng.random_bool(0.12) {
            let second = self.phone(rng);
            phones.push(second);
        }
        let arrival = FIRST_ARRIVAL + Days::new(rng.random_range(0..=15));
        let (travel, train) = journey(rng);
        let id = self.persons.len() + 1;
        self.persons.push(Person {
            id,
            male,
            birth,
            name,
            id_number,
            phones,
            home,
            away: None,
            origin,
            arrival,
            travel,
            train,
            household: None,
            holds_phone: true,
        });
        self.persons.len() - 1
    }

    /// A household of `size` (2–5): a couple, children with the head's surname, maybe a parent.
    /// They share the head's phone, address and origin, and mostly the head's journey (see
    /// [`split_journey`]).
    fn household(&mut self, size: usize, rng: &mut impl Rng) {
        let home = self.county_home(rng);
        let head_male = rng.random_bool(0.8);
        let head = self.make(
            Shared {
                male: Some(head_male),
                age: Some((28, 60)),
                ..Shared::default()
            },
            home.clone(),
            rng,
        );
        let h = self.households;
        self.households += 1;
        let head_age = self.persons[head].age();
        let surname = names::surname_of(&self.persons[head].name).to_owned();
        let region = self.persons[head].id_number[..6].to_owned();
        let origin = self.persons[head].origin.clone();
        let mut members = vec![head];
        members.push(self.make(
            Shared {
                male: Some(!head_male),
                age: Some((head_age.saturating_sub(6).max(20), head_age + 3)),
                origin: Some(&origin),
                ..Shared::default()
            },
            home.clone(),
            rng,
        ));
        let elder = size >= 4 && rng.random_bool(0.3);
        let children = size - 2 - usize::from(elder);
        for _ in 0..children {
            members.push(self.make(
                Shared {
                    age: Some((1, head_age.saturating_sub(20).clamp(2, 22))),
                    surname: Some(&surname),
                    region: Some(&region),
                    origin: Some(&origin),
                    ..Shared::default()
                },
                home.clone(),
                rng,
            ));
        }
        if elder {
            members.push(self.make(
                Shared {
                    age: Some((head_age + 22, (head_age + 35).min(92))),
                    surname: Some(&surname),
                    region: Some(&region),
                    origin: Some(&origin),
                    ..Shared::default()
                },
                home.clone(),
                rng,
            ));
        }
        let family_phone = self.persons[head].phones[0].clone();
        let (arrival, travel, train) = {
            let p = &self.persons[head];
            (p.arrival, p.travel, p.train.clone())
        };
        let split = split_journey(&self.persons[head].id_number, arrival, members.len());
        for (position, &m) in members.iter().enumerate() {
            let p = &mut self.persons[m];
            p.household = Some(h);
            match &split {
                Some((apart, day, own_travel, own_train)) if apart[position] => {
                    p.arrival = *day;
                    p.travel = *own_travel;
                    p.train.clone_from(own_train);
                }
                _ => {
                    p.arrival = arrival;
                    p.travel = travel;
                    p.train.clone_from(&train);
                }
            }
            if m != head {
                p.holds_phone = false;
                // An adult may keep a phone of their own as a second number; children do not.
                let own = p.phones[0].clone();
                p.phones = vec![family_phone.clone()];
                if p.age() >= 18 && rng.random_bool(0.25) {
                    p.phones.push(own);
                }
            }
        }
    }
}

/// How a person (or a party travelling together) came home: the mode, and the train number
/// for a train.
fn journey(rng: &mut impl Rng) -> (Travel, String) {
    let travel = match pick_weighted(rng, &[3, 2, 3, 2, 1]) {
        0 => Travel::Train,
        1 => Travel::HighSpeedTrain,
        2 => Travel::Car,
        3 => Travel::Coach,
        _ => Travel::Plane,
    };
    let train = match travel {
        Travel::Train => format!(
            "{}{}",
            ["K", "Z", "T"][rng.random_range(0..3)],
            rng.random_range(10..2000)
        ),
        Travel::HighSpeedTrain => format!(
            "{}{}",
            ["G", "D"][rng.random_range(0..2)],
            rng.random_range(10..2000)
        ),
        _ => String::new(),
    };
    (travel, train)
}

/// The share of households whose members did not all come home on the head's journey.
const SPLIT_JOURNEY: f64 = 0.3;

/// Which members of a household (by position, the head first) came home on a journey of their
/// own, and that journey: `None` when the whole household travelled together.
///
/// Families did not always travel together at the 2020 Spring Festival: school holidays began
/// before most workers' leave, so a parent often took the children home days earlier, or one
/// spouse stayed on to work; rail and air manifests list each traveller on their own ticket.
/// The draw uses a generator of its own, seeded from the head's ID number, so that the rest of
/// the population is drawn exactly as without it.
fn split_journey(
    head_id: &str,
    head_arrival: NaiveDate,
    members: usize,
) -> Option<(Vec<bool>, NaiveDate, Travel, String)> {
    let mut rng = super::seeded(head_id);
    if members < 2 || !rng.random_bool(SPLIT_JOURNEY) {
        return None;
    }
    // Each member but the head goes separately with even odds; at least one does.
    let mut apart: Vec<bool> = (0..members)
        .map(|m| m > 0 && rng.random_bool(0.5))
        .collect();
    if !apart.iter().any(|a| *a) {
        apart[1] = true;
    }
    // One to six days before or after the head, within the arrival window.
    let shift = Days::new(rng.random_range(1..=6));
    let earlier = head_arrival
        .checked_sub_days(shift)
        .filter(|d| *d >= FIRST_ARRIVAL);
    let later = head_arrival
        .checked_add_days(shift)
        .filter(|d| *d <= REFERENCE_DAY);
    let arrival = if rng.random_bool(0.5) {
        earlier.or(later)
    } else {
        later.or(earlier)
    }?;
    let (travel, train) = journey(&mut rng);
    Some((apart, arrival, travel, train))
}

/// The population of `n` persons: about 30 % in households of 2–5, the rest singles; about
/// one in eight singles lives outside the county, and one in twenty of the county's singles has
/// left it again.
pub fn population(
    n: usize,
    reference: &Reference,
    places: &Places,
    rng: &mut impl Rng,
) -> (Vec<Person>, usize) {
    let mut b = Builder {
        reference,
        places,
        ids: HashSet::new(),
        phones: HashSet::new(),
        persons: Vec::with_capacity(n),
        households: 0,
    };
    while b.persons.len() < n {
        let left = n - b.persons.len();
        if left >= 2 && rng.random_bool(0.123) {
            let size = 2 + pick_weighted(rng, &[35, 35, 20, 10]);
            b.household(size.min(left), rng);
            continue;
        }
        let outside = rng.random_bool(0.12);
        let home = if outside {
            let code = places.outside(rng);
            let address = street_address(reference.divisions, &code, rng);
            Home::Outside { code, address }
        } else {
            b.county_home(rng)
        };
        let i = b.make(
            Shared {
                age: Some((16, 82)),
                ..Shared::default()
            },
            home,
            rng,
        );
        let p = &mut b.persons[i];
        p.away = match &p.home {
            Home::Outside { code, .. } => Some(code.clone()),
            Home::County { .. } if rng.random_bool(0.05) => Some(if rng.random_bool(0.6) {
                p.origin.clone()
            } else {
                places.outside(rng)
            }),
            Home::County { .. } => None,
        };
    }
    (b.persons, b.households)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_journey_is_another_day_in_the_window_and_the_same_for_the_same_head() {
        let head_arrival = FIRST_ARRIVAL + Days::new(7);
        let mut split = 0;
        for n in 0..400u32 {
            let head = format!("42010219800101{n:04}");
            let drawn = split_journey(&head, head_arrival, 4);
            assert_eq!(
                drawn,
                split_journey(&head, head_arrival, 4),
                "seeded by the head"
            );
            let Some((apart, day, _, _)) = drawn else {
                continue;
            };
            split += 1;
            assert!(!apart[0], "the head keeps the household's journey");
            assert!(apart.iter().any(|a| *a), "someone travels apart");
            assert_ne!(day, head_arrival);
            assert!((FIRST_ARRIVAL..=REFERENCE_DAY).contains(&day));
        }
        // About SPLIT_JOURNEY of the households: 120 of 400 expected.
        assert!((80..160).contains(&split), "{split} of 400 split");
        assert_eq!(split_journey("420102198001010000", head_arrival, 1), None);
    }
}
