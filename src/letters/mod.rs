//! Notification letters (协查函) to the jurisdictions where the county's persons outside it
//! are, and the county's answers (回函) to the notices it receives: what a letter holds
//! ([`document`]) and how it is written out ([`render`]); to whom each person's letter goes
//! ([`grouping`]); who is on which open letter ([`entries`]); a letter's life ([`lifecycle`]);
//! what the register knows of a person, in the words of a letter ([`wording`]).

pub mod document;
pub mod entries;
pub mod grouping;
pub mod lifecycle;
pub mod render;
pub mod wording;
