//! Hub-to-hub exchange (DESIGN §1 "Cross-jurisdiction exchange"): where two counties both run
//! paicha, their hubs post notices to each other over HTTP, signed with a secret they share.
//!
//! - [`partners`]: the registry of partner hubs (code, name, base URL, shared secret);
//! - [`sealing`]: partner secrets sealed at rest under a key kept outside the database;
//! - [`signing`]: HMAC-SHA256 request signatures, for the receiving and the sending side;
//! - [`inbound`]: `POST /api/v1/notices`, a partner's notices imported as an `EXTERNAL` batch,
//!   once per `Idempotency-Key`;
//! - [`answer`]: the JSON answers and error codes of the exchange endpoints;
//! - [`replies`]: `POST /api/v1/letters/{number}/replies`, a partner's per-person replies to
//!   one of our letters, once per `Idempotency-Key`;
//! - [`payload`]: the bodies hubs send each other (a letter as a notice, replies);
//! - [`delivery`]: the delivery worker: our letters posted to partner hubs from the outbox
//!   written when they were issued, retried with backoff until taken;
//! - [`pull`]: upstream big-data lists pulled over HTTP (`ETag`, `If-Modified-Since`).
//!
//! Every exchange is logged without personal data: the partner's code, notice numbers,
//! counts and the status.

pub mod answer;
pub mod delivery;
pub mod inbound;
pub mod partners;
pub mod payload;
pub mod pull;
pub mod replies;
pub mod sealing;
pub mod signing;

pub use inbound::router;
