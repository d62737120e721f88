//! Hub-to-hub exchange (DESIGN §1 "Cross-jurisdiction exchange"): where two counties both run
//! paicha, their hubs post notices to each other over HTTP, signed with a secret they share.
//!
//! - [`partners`]: the registry of partner hubs (code, name, base URL, shared secret);
//! - [`sealing`]: partner secrets sealed at rest under a key kept outside the database;
//! - [`signing`]: HMAC-SHA256 request signatures, for the receiving and the sending side;
//! - [`inbound`]: `POST /api/v1/notices`, a partner's notices imported as an `EXTERNAL` batch,
//!   once per `Idempotency-Key`;
//! - [`answer`]: the JSON answers and error codes of the exchange endpoints;
//! - [`pull`]: upstream big-data lists pulled over HTTP (`ETag`, `If-Modified-Since`).
//!
//! Every exchange is logged without personal data: the partner's code, notice numbers,
//! counts and the status.

pub mod answer;
pub mod inbound;
pub mod partners;
pub mod pull;
pub mod sealing;
pub mod signing;

pub use inbound::router;
