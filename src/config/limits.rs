//! Every limit, page size, threshold and timeout of the hub, in one place. The README's
//! "Limits" section lists them for operators; the match thresholds are data of the matching
//! profile (`fixtures/profiles/`), not code.
//!
//! Each constant is used where its rule is enforced; none is read anywhere else.

use std::time::Duration;

// ---- HTTP -----------------------------------------------------------------------------------

/// Largest request body accepted (an uploaded source file included).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;
/// Largest file uploaded with `importBatch`; the rest of the body is the multipart framing and
/// the operation.
pub const MAX_UPLOAD_BYTES: usize = MAX_BODY_BYTES - 1024 * 1024;
/// Longest a request may run; an import cut off is rolled back whole. A 60 MB upload imports
/// in well under a minute.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// Most operations one JSON array batch may carry (each is limited on its own as well).
pub const MAX_BATCH: usize = 10;
/// Longest the unread rest of a body refused as too large is read and thrown away, so the
/// client sees the 413 instead of a reset connection.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

// ---- GraphQL --------------------------------------------------------------------------------

/// Deepest query accepted (the standard introspection query of GraphiQL and graphql-js needs
/// about 15 levels).
pub const MAX_DEPTH: usize = 20;
/// Most costly request accepted, all operations of a JSON array batch together. The cost is
/// what the response can hold: every field counts 1 each time it can appear (a connection's
/// selection once per item of the largest page it may return), and every root field
/// [`ROOT_FIELD_COST`] more. A page of 500 persons with a dozen headline fields (about 7 000)
/// goes through; 500 persons with their golden records, records and events do not.
pub const MAX_COMPLEXITY: usize = 25_000;
/// What every root field costs beyond its selection: each runs queries of its own, so a
/// thousand aliases of a cheap field are not cheap.
pub const ROOT_FIELD_COST: usize = 50;
/// Most searches (`searchPersons`, `personByIdNumber`) one request may run, aliases and the
/// operations of a batch together; each also counts against the token's rate as a request of
/// its own.
pub const MAX_SEARCHES: usize = 10;
/// Persisted queries kept (automatic persisted queries: a client sends a query's sha256 and
/// the query only when the server does not know it yet).
pub const PERSISTED_QUERIES: usize = 1_000;
/// How long a loader waits for more keys before it reads a batch of relations.
pub const LOADER_DELAY: Duration = Duration::from_millis(2);

// ---- Pages and search -----------------------------------------------------------------------

/// Largest page a caller may ask for.
pub const MAX_PAGE: u64 = 500;
/// The page size when the caller gives neither `first` nor `last`.
pub const DEFAULT_PAGE: u64 = 50;
/// Fewest trailing ID characters a search accepts (fewer would list half the register).
pub const MIN_ID_SUFFIX: usize = 4;
/// Fewest trailing digits of a phone a search accepts.
pub const MIN_PHONE_ENDING: usize = 4;
/// Most persons one search weighs (its hits are ordered by how well they match, so every
/// person the text may find is read): a text that finds more asks for a fuller name or a
/// filter.
pub const MAX_SEARCH_CANDIDATES: usize = 20_000;

// ---- Access ---------------------------------------------------------------------------------

/// Requests per minute a token may send by default (bursts of a tenth of it at once);
/// `serve --rate-limit` changes it. Requests without a valid token are held to the same rate
/// per client address.
pub const DEFAULT_REQUESTS_PER_MINUTE: u32 = 600;

/// Fewest persons a group of an aggregate may count for a DASHBOARD caller: smaller groups
/// are withheld (`suppressedBelow`); `serve --min-group` changes it.
pub const DASHBOARD_MIN_GROUP: u64 = 5;

// ---- Files (intake) -------------------------------------------------------------------------
//
// No file — careless or hostile — may exhaust the hub's memory or time: a file beyond these
// limits is refused whole, with a message saying which limit, before the costly work of
// reading it. They sit well above any real screening file: the largest county list expected
// is a million rows of a few dozen columns (see BENCHMARKS.md, 1 M rows in 179 MB).

/// Data rows in one file: Excel's sheet limit, above the 1 M-row county the hub is built for.
pub const MAX_ROWS: usize = 1_048_576;
/// Columns in a row (a screening form has a few dozen).
pub const MAX_COLUMNS: usize = 1_000;
/// Cells in one file, rows × header columns: each becomes a value in memory.
pub const MAX_CELLS: usize = 40_000_000;
/// Rejected rows a batch report keeps with their reasons (the first ones); the report counts
/// them all.
pub const MAX_REJECTED_ROWS_KEPT: usize = 1_000;
/// Characters in one cell: Excel's cell limit.
pub const MAX_CELL_CHARS: usize = 32_767;
/// Bytes in one line of a text file (CSV, NDJSON).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;
/// Entries in an XLSX container (a workbook has a dozen or so).
pub const MAX_XLSX_ENTRIES: usize = 10_000;
/// Bytes an XLSX container may unpack to, all entries together.
pub const MAX_XLSX_UNPACKED_BYTES: u64 = 1024 * 1024 * 1024;
/// How much larger than its packed size an XLSX entry may unpack to, beyond the first
/// [`RATIO_FREE_BYTES`]: spreadsheet XML packs about 5–20 to 1, a ZIP bomb about 1000 to 1.
pub const MAX_XLSX_RATIO: u64 = 100;
/// Unpacked bytes of an entry that are allowed whatever its ratio (small, repetitive files).
pub const RATIO_FREE_BYTES: u64 = 16 * 1024 * 1024;

// ---- The register ---------------------------------------------------------------------------

/// The fewest records an import must write, and at least as many as the register holds, for
/// the tables' secondary indexes to be rebuilt after the batch instead of maintained row by
/// row (see [`crate::db::bulk`]); `Register::with_bulk_min_records` changes it.
pub const BULK_MIN_RECORDS: usize = 50_000;
/// The most records a resolution run holds the identities of through the engine: a run over
/// more records lets each identity go once its comparison values are made (a million records
/// are not held twice over through the engine); smaller runs, batches among them, read
/// nothing back. `Register::with_identities_held` changes it.
pub const IDENTITIES_HELD: usize = 200_000;
/// How often a writer waiting for another process's write looks again.
pub const WRITER_POLL: Duration = Duration::from_millis(50);
/// How long before a request's deadline a writer still waiting for another gives up, so the
/// client hears `BUSY` (try again) rather than `TIMEOUT`.
pub const WRITER_BUSY_MARGIN: Duration = Duration::from_millis(500);
/// Changes a slow subscriber may fall behind by before it misses some.
pub const CHANGE_BUFFER: usize = 256;

// ---- Exports --------------------------------------------------------------------------------

/// Most persons one `exportPersons` may write; a filter selecting more is refused, naming the
/// limit, rather than cut short.
pub const MAX_EXPORT_ROWS: usize = 100_000;
/// How long a file made by `exportPersons` can be downloaded (`GET /exports/{id}`).
pub const EXPORT_TTL: Duration = Duration::from_secs(60 * 60);
/// Bytes all export files waiting to be downloaded may hold together (they are kept in
/// memory); an export that would go beyond it is refused until older ones expire.
pub const MAX_EXPORT_STORE_BYTES: usize = 256 * 1024 * 1024;

// ---- Hub-to-hub exchange --------------------------------------------------------------------

/// How far a signed request's `X-Paicha-Timestamp` may be from our clock, either way: a
/// captured request cannot be replayed later than this.
pub const MAX_SIGNATURE_SKEW: Duration = Duration::from_secs(5 * 60);
/// Largest body of a signed exchange request (`POST /api/v1/notices`): a notice is a few
/// kilobytes a person; a province's list goes through an upstream pull instead.
pub const MAX_EXCHANGE_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Longest an `Idempotency-Key` may be.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;
/// Longest any one call to another hub or an upstream list may take, connection included.
pub const EXCHANGE_CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest connecting to another hub or an upstream list may take.
pub const EXCHANGE_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest upstream list a pull reads (the file limits apply to it as to any file).
pub const MAX_PULL_BYTES: usize = 512 * 1024 * 1024;
/// The first wait before a failed pull is tried again; it doubles with each failure in a row,
/// up to [`PULL_RETRY_MAX`] (or the pull's own interval when that is shorter).
pub const PULL_RETRY_FIRST: Duration = Duration::from_secs(30);
/// The longest wait before a failed pull is tried again.
pub const PULL_RETRY_MAX: Duration = Duration::from_secs(30 * 60);
/// Longest one pull of an upstream list may take, its body read included.
pub const PULL_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Shortest interval between pulls of one URL (`--every`, `every` in `[[pull]]`).
pub const PULL_MIN_INTERVAL: Duration = Duration::from_secs(10);
/// The wait after a letter's first failed delivery to a partner hub; it doubles with each
/// failure in a row (`--delivery-retry-ms`).
pub const DELIVERY_RETRY_FIRST: Duration = Duration::from_secs(5);
/// The longest wait between two attempts at one delivery (`--delivery-retry-max-ms`).
pub const DELIVERY_RETRY_MAX: Duration = Duration::from_secs(10 * 60);
/// Longest one delivery call may take, the answer read included (`--delivery-timeout-ms`):
/// the receiver imports the notice before it answers.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// Delivery calls a server makes at once, at most (`--delivery-concurrency`).
pub const DELIVERY_CONCURRENCY: usize = 4;
/// How often the delivery worker looks for due deliveries when nothing wakes it.
pub const DELIVERY_POLL: Duration = Duration::from_secs(5);

/// How long a server waits after the last import before it retrains a match model that is
/// due for retraining (`paicha serve --retrain-idle`, `PAICHA_RETRAIN_IDLE`; issue 25).
pub const RETRAIN_IDLE: &str = "10m";
/// How often a server looks whether retraining is due and the register idle.
pub const RETRAIN_CHECK_EVERY: Duration = Duration::from_secs(60);
