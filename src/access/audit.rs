//! The audit log: who read which persons' personal data unmasked, who searched for a full ID
//! number or phone (its sha256 kept, never the value), who changed what, and who wrote the
//! register out on the command line (`paicha export`).
//!
//! Append-only (the database refuses UPDATE and DELETE on `audit_log`), and kept in a store of
//! its own ([`AuditStore`]: on SQLite a file beside the register's) so that writing it never
//! waits for an import, nor makes one fail. Entries are gathered
//! per GraphQL request in an [`AuditTrail`] and written by [`AuditExtension`] once the
//! operation has run and before its response leaves: one row per kind, naming every person
//! and field. Resolvers only note what they did — [`unmask`](super::guard::unmask) notes
//! unmasked reads, [`note_search`] the full ID numbers and phones searched for, [`note_mutation`]
//! the persons a mutation changed — and every mutation that succeeds is recorded even when its
//! resolver notes nothing.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest, NextResolve,
    ResolveInfo,
};
use async_graphql::{Context, Pos, Request, Response, ServerResult, Value};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, EntityTrait as _, QueryOrder as _};
use sha2::{Digest as _, Sha256};

use super::Principal;
use crate::db::{AuditStore, Db, audit_log};
use crate::error::AppError;
use crate::states::Stored;

/// Why an entry was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuditKind {
    /// ID numbers or phones were returned unmasked.
    UnmaskedRead,
    /// The register was searched by a full ID number or phone (which confirms a masked one).
    Search,
    /// The register was changed.
    Mutation,
    /// The register was written out: by the command line (`paicha export`) or `exportPersons`.
    Export,
}

impl AuditKind {
    /// Every kind.
    pub const ALL: [AuditKind; 4] = [
        Self::UnmaskedRead,
        Self::Search,
        Self::Mutation,
        Self::Export,
    ];

    /// The stored name (`UNMASKED_READ`, `SEARCH`, `MUTATION`, `EXPORT`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnmaskedRead => "UNMASKED_READ",
            Self::Search => "SEARCH",
            Self::Mutation => "MUTATION",
            Self::Export => "EXPORT",
        }
    }
}

impl Stored for AuditKind {
    const ALL: &'static [Self] = &Self::ALL;

    fn as_str(self) -> &'static str {
        AuditKind::as_str(self)
    }
}

crate::db::stored::stored_as_text!(AuditKind);

/// One audit entry to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The token that acted; `None` for the command line or with access control off.
    pub token_id: Option<i64>,
    /// Its role (`ADMIN` …), or `CLI` for the command line.
    pub role: String,
    pub kind: AuditKind,
    /// The GraphQL fields that ran, with the client's operation name (`GetPerson: person`).
    pub operation: String,
    /// Persons read, found or changed, ascending.
    pub persons: Vec<i64>,
    /// Fields read unmasked (`idNumber`, `phones`), ascending; for a search, what it looked for
    /// as `idNumber:` or `phone:` and the sha256 (hex) of the normalised value; empty for
    /// mutations.
    pub fields: Vec<String>,
}

impl AuditEntry {
    /// An entry for `principal` (`None`: a request that reached the schema without one, which
    /// the guards refuse; recorded as role `NONE`).
    pub fn by(
        principal: Option<&Principal>,
        kind: AuditKind,
        operation: impl Into<String>,
    ) -> Self {
        Self {
            token_id: principal.and_then(|p| p.token_id),
            role: principal.map_or("NONE", |p| p.role.as_str()).to_owned(),
            kind,
            operation: operation.into(),
            persons: Vec::new(),
            fields: Vec::new(),
        }
    }
}

/// Appends one entry to the audit log; it is on disk when this returns.
pub async fn record(store: &AuditStore, entry: &AuditEntry) -> Result<(), AppError> {
    let row = audit_log::ActiveModel {
        at: Set(Utc::now()),
        token_id: Set(entry.token_id),
        role: Set(entry.role.clone()),
        kind: Set(entry.kind),
        operation: Set(entry.operation.clone()),
        persons: Set(serde_json::to_string(&entry.persons).map_err(anyhow::Error::from)?),
        fields: Set(serde_json::to_string(&entry.fields).map_err(anyhow::Error::from)?),
        ..Default::default()
    };
    let _writer = store.writer().await;
    audit_log::Entity::insert(row).exec(&store.conn).await?;
    Ok(())
}

/// The whole audit log, oldest first.
pub async fn entries(store: &AuditStore) -> Result<Vec<audit_log::Model>, AppError> {
    Ok(audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&store.conn)
        .await?)
}

/// What one request did that the audit log must hear of; resolvers reach it through the
/// request's data (`ctx.data::<AuditTrail>()`).
#[derive(Debug, Default, Clone)]
pub struct AuditTrail(Arc<Mutex<Noted>>);

#[derive(Debug, Default)]
struct Noted {
    unmasked_persons: BTreeSet<i64>,
    unmasked_fields: BTreeSet<&'static str>,
    /// `field:sha256` of every full ID number and phone searched for.
    searched: BTreeSet<String>,
    found_persons: BTreeSet<i64>,
    mutated_persons: BTreeSet<i64>,
}

impl AuditTrail {
    fn noted(&self) -> std::sync::MutexGuard<'_, Noted> {
        // A panic elsewhere while holding the lock leaves only sets behind: still usable.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes that `field` of person `person` was returned unmasked.
    pub fn note_unmasked(&self, person: i64, field: &'static str) {
        let mut noted = self.noted();
        noted.unmasked_persons.insert(person);
        noted.unmasked_fields.insert(field);
    }

    /// Notes a search for full identifiers, `(field, normalised value)`: only their sha256 is
    /// kept.
    pub fn note_searched<'a>(&self, identifiers: impl IntoIterator<Item = (&'a str, &'a str)>) {
        let mut noted = self.noted();
        for (field, value) in identifiers {
            let hash = hex::encode(Sha256::digest(value.as_bytes()));
            noted.searched.insert(format!("{field}:{hash}"));
        }
    }

    /// Notes persons a search for full identifiers found.
    pub fn note_found(&self, persons: impl IntoIterator<Item = i64>) {
        self.noted().found_persons.extend(persons);
    }

    /// Notes persons a mutation changed.
    pub fn note_mutated(&self, persons: impl IntoIterator<Item = i64>) {
        self.noted().mutated_persons.extend(persons);
    }

    fn take(&self) -> Noted {
        std::mem::take(&mut *self.noted())
    }
}

/// Notes, from a mutation's resolver, the persons it changed (created, merged, split, decided).
pub fn note_mutation(
    ctx: &Context<'_>,
    persons: impl IntoIterator<Item = i64>,
) -> Result<(), AppError> {
    trail(ctx)?.note_mutated(persons);
    Ok(())
}

/// Notes, from a search's resolver, the full ID numbers and phones it looks for,
/// `(field, normalised value)`, before it runs; nothing when there are none.
pub fn note_search<'a>(
    ctx: &Context<'_>,
    identifiers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), AppError> {
    trail(ctx)?.note_searched(identifiers);
    Ok(())
}

/// Notes, from a search's resolver that noted [`note_search`], the persons it found.
pub fn note_search_found(
    ctx: &Context<'_>,
    persons: impl IntoIterator<Item = i64>,
) -> Result<(), AppError> {
    trail(ctx)?.note_found(persons);
    Ok(())
}

fn trail<'a>(ctx: &Context<'a>) -> Result<&'a AuditTrail, AppError> {
    ctx.data_opt::<AuditTrail>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no audit trail in the request")))
}

/// The schema extension that gives every request an [`AuditTrail`] and writes it to the audit
/// log when the operation has run. Install it with `Schema::build(..).extension(..)`.
pub struct AuditExtension {
    store: AuditStore,
}

impl AuditExtension {
    /// Writes to `db`'s audit log.
    pub fn new(db: Db) -> Self {
        Self {
            store: db.audit().clone(),
        }
    }
}

impl ExtensionFactory for AuditExtension {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AuditRequest {
            store: self.store.clone(),
            trail: AuditTrail::default(),
            root_fields: Mutex::default(),
        })
    }
}

/// Mutations that change nothing in the register and write an audit entry of their own
/// instead of `MUTATION` (`exportPersons`: an `EXPORT` entry, on disk before its file can be
/// fetched).
const SELF_AUDITED: &[&str] = &["exportPersons"];

/// The extension's state for one request.
struct AuditRequest {
    store: AuditStore,
    trail: AuditTrail,
    /// Root fields that ran (names, not aliases), and whether each was a mutation that
    /// succeeded.
    root_fields: Mutex<Vec<(String, bool)>>,
}

impl AuditRequest {
    fn entries(
        &self,
        principal: Option<&Principal>,
        operation_name: Option<&str>,
    ) -> Vec<AuditEntry> {
        let roots = std::mem::take(
            &mut *self
                .root_fields
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let noted = self.trail.take();
        let mut fields: Vec<&str> = roots.iter().map(|(name, _)| name.as_str()).collect();
        fields.sort_unstable();
        fields.dedup();
        let operation = match operation_name {
            Some(name) => format!("{name}: {}", fields.join(", ")),
            None => fields.join(", "),
        };
        let mut entries = Vec::new();
        if !noted.unmasked_persons.is_empty() {
            let mut entry = AuditEntry::by(principal, AuditKind::UnmaskedRead, &operation);
            entry.persons = noted.unmasked_persons.into_iter().collect();
            entry.fields = noted
                .unmasked_fields
                .into_iter()
                .map(str::to_owned)
                .collect();
            entries.push(entry);
        }
        if !noted.searched.is_empty() {
            let mut entry = AuditEntry::by(principal, AuditKind::Search, &operation);
            entry.persons = noted.found_persons.into_iter().collect();
            entry.fields = noted.searched.into_iter().collect();
            entries.push(entry);
        }
        if roots.iter().any(|(_, mutated)| *mutated) || !noted.mutated_persons.is_empty() {
            let mut entry = AuditEntry::by(principal, AuditKind::Mutation, &operation);
            entry.persons = noted.mutated_persons.into_iter().collect();
            entries.push(entry);
        }
        entries
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for AuditRequest {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        next.run(ctx, request.data(self.trail.clone())).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        // Only root fields are remembered; nested fields pass straight through.
        if info.path_node.parent.is_some() || info.is_for_introspection {
            return next.run(ctx, info).await;
        }
        let is_mutation =
            ctx.schema_env.registry.mutation_type.as_deref() == Some(info.parent_type);
        let name = info.name.to_owned();
        let changes = is_mutation && !SELF_AUDITED.contains(&info.name);
        let result = next.run(ctx, info).await;
        self.root_fields
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((name, changes && result.is_ok()));
        result
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        let entries = self.entries(ctx.data_opt::<Principal>(), operation_name);
        for entry in &entries {
            if let Err(err) = record(&self.store, entry).await {
                let err: async_graphql::Error = err.into();
                if matches!(entry.kind, AuditKind::UnmaskedRead | AuditKind::Search) {
                    // Unmasked data, or what a search by a full identifier found, never
                    // leaves unaudited.
                    response.data = Value::Null;
                }
                response.errors.push(err.into_server_error(Pos::default()));
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptySubscription, Object, Schema};

    use super::*;
    use crate::access::guard::{Permission, Scope, unmask};
    use crate::access::{Role, RoleGuard};

    /// A schema of the mechanism alone: a guarded field, a field that unmasks, a mutation.
    struct Query;

    #[Object]
    impl Query {
        #[graphql(guard = "Permission::ReadAggregates.guard()")]
        async fn total(&self) -> i64 {
            7
        }

        #[graphql(guard = "RoleGuard::new(&[Role::Admin, Role::Township])")]
        async fn phone(
            &self,
            ctx: &Context<'_>,
            person: i64,
            township: String,
            #[graphql(default)] unmasked: bool,
        ) -> async_graphql::Result<String> {
            let scope = Scope {
                township: Some(&township),
                jurisdiction: None,
            };
            let full = unmask(ctx, person, scope, "phones", unmasked)?;
            Ok(if full { "13812345678" } else { "138****5678" }.to_owned())
        }
    }

    struct Mutation;

    #[Object]
    impl Mutation {
        #[graphql(guard = "Permission::Resolve.guard()")]
        async fn merge(&self, ctx: &Context<'_>, a: i64, b: i64) -> async_graphql::Result<i64> {
            note_mutation(ctx, [a, b])?;
            Ok(a.min(b))
        }
    }

    async fn run(
        schema: &Schema<Query, Mutation, EmptySubscription>,
        principal: Option<Principal>,
        query: &str,
    ) -> Response {
        let mut request = Request::new(query);
        if let Some(p) = principal {
            request = request.data(p);
        }
        schema.execute(request).await
    }

    fn code(response: &Response) -> Option<String> {
        let error = response.errors.first()?;
        match error.extensions.as_ref()?.get("code")? {
            Value::String(code) => Some(code.clone()),
            _ => None,
        }
    }

    fn caller(role: Role) -> Principal {
        Principal {
            token_id: Some(4),
            role,
            township: (role == Role::Township).then(|| "城关镇".to_owned()),
            partner: None,
        }
    }

    #[tokio::test]
    async fn guards_refuse_and_unmasked_reads_and_mutations_reach_the_log() {
        let (_dir, db) = crate::db::scratch().await;
        let schema = Schema::build(Query, Mutation, EmptySubscription)
            .extension(AuditExtension::new(db.clone()))
            .finish();

        let none = run(&schema, None, "{ total }").await;
        assert_eq!(code(&none).as_deref(), Some("UNAUTHENTICATED"));
        let dashboard = run(&schema, Some(caller(Role::Dashboard)), "{ total }").await;
        assert!(dashboard.errors.is_empty());
        let partner = run(&schema, Some(caller(Role::Partner)), "{ total }").await;
        assert_eq!(code(&partner).as_deref(), Some("FORBIDDEN"));

        // Masked reads are not audited; unmasked ones are, once per request.
        let masked = run(
            &schema,
            Some(caller(Role::Township)),
            r#"{ phone(person: 1, township: "城关镇") }"#,
        )
        .await;
        assert_eq!(masked.data.to_string(), r#"{phone: "138****5678"}"#);
        let unmasked = run(
            &schema,
            Some(caller(Role::Township)),
            r#"query Call { a: phone(person: 2, township: "城关镇", unmasked: true)
                            b: phone(person: 1, township: "城关镇", unmasked: true) }"#,
        )
        .await;
        assert!(unmasked.errors.is_empty(), "{:?}", unmasked.errors);
        let other_township = run(
            &schema,
            Some(caller(Role::Township)),
            r#"{ phone(person: 3, township: "新华街道", unmasked: true) }"#,
        )
        .await;
        assert_eq!(code(&other_township).as_deref(), Some("FORBIDDEN"));

        let merged = run(
            &schema,
            Some(caller(Role::Analyst)),
            "mutation { merge(a: 9, b: 8) }",
        )
        .await;
        assert!(merged.errors.is_empty());
        let refused = run(
            &schema,
            Some(caller(Role::Township)),
            "mutation { merge(a: 1, b: 2) }",
        )
        .await;
        assert_eq!(code(&refused).as_deref(), Some("FORBIDDEN"));

        let log = entries(db.audit()).await.expect("log");
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(
            (log[0].kind.as_str(), log[0].operation.as_str()),
            ("UNMASKED_READ", "Call: phone")
        );
        assert_eq!(log[0].persons, "[1,2]");
        assert_eq!(log[0].fields, r#"["phones"]"#);
        assert_eq!(
            (log[0].token_id, log[0].role.as_str()),
            (Some(4), "TOWNSHIP")
        );
        assert_eq!(
            (log[1].kind.as_str(), log[1].operation.as_str()),
            ("MUTATION", "merge")
        );
        assert_eq!(log[1].persons, "[8,9]");
        assert_eq!(log[1].role, "ANALYST");
    }
}
