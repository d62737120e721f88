//! Notification letters (协查函) to the jurisdictions where the county's persons outside it
//! are, and the county's answers (回函) to the notices it receives: what a letter holds
//! ([`document`]) and how it is written out ([`render`]).

pub mod document;
pub mod render;
