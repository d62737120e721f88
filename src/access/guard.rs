//! What each role may do and see, declared in one place and enforced by guards.
//!
//! Two rules make up access control, and resolvers only name them:
//!
//! - **Permissions**: every query and mutation needs one [`Permission`]; [`Permission::roles`]
//!   is the whole role × operation table. A resolver declares its permission with
//!   `#[graphql(guard = "Permission::ReadPersons.guard()")]` and the guard answers
//!   `UNAUTHENTICATED` (no caller) or `FORBIDDEN` (wrong role) before the resolver runs.
//! - **Scope**: a `TOWNSHIP` caller sees only its township, a `PARTNER` only its jurisdiction.
//!   Each object type says where it belongs by implementing [`Scoped`] (one object: check it
//!   with [`ensure_visible`]) and each table by implementing [`ScopedEntity`] (a list: add
//!   [`row_filter`] to the query's condition). Both come from the same declaration, so a list
//!   never shows what a lookup by ID would refuse. Capabilities still to come (worklists,
//!   temperature readings, daily reports, letters) declare their township or jurisdiction the
//!   same way and need no rule of their own.
//!
//! Unmasked ID numbers and phones need [`Permission::ReadUnmasked`] and the object in scope;
//! [`unmask`] checks both and notes the read for the audit log.

use async_graphql::parser::types::OperationType;
use async_graphql::{Context, Guard};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{ColumnTrait as _, EntityTrait};

use super::audit::AuditTrail;
use super::{Principal, Role};
use crate::db::{household_link, import_batch, person, source_record};
use crate::error::AppError;

/// A unit of what the API does, the thing roles are granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum Permission {
    /// Read persons, their golden records and links (masked), in scope.
    ReadPersons,
    /// Read ID numbers and phones unmasked (`unmasked: true`), in scope; audited.
    ReadUnmasked,
    /// Read source records and import batches, in scope.
    ReadRecords,
    /// Read the review candidates and the trained match model.
    ReadReview,
    /// Read the register's history: resolution events, and the stream of committed changes.
    ReadHistory,
    /// Read aggregates without personal data: stats, the briefing.
    ReadAggregates,
    /// Import source files.
    Import,
    /// Decide review candidates, merge and split persons.
    Resolve,
    /// The township's field work on its persons: observation teams, temperature readings,
    /// daily reports, verification worklists.
    FieldWork,
    /// Submit an external notice (a partner hub's letter arriving as a notice).
    SubmitNotice,
    /// Read letters, in scope (a partner: those addressed to its jurisdiction).
    ReadLetters,
    /// Draft, send and record replies to letters.
    ManageLetters,
    /// Read and export the audit log.
    ReadAudit,
    /// Register partner hubs and their shared secrets (hub-to-hub exchange).
    ManagePartners,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 14] = [
        Self::ReadPersons,
        Self::ReadUnmasked,
        Self::ReadRecords,
        Self::ReadReview,
        Self::ReadHistory,
        Self::ReadAggregates,
        Self::Import,
        Self::Resolve,
        Self::FieldWork,
        Self::SubmitNotice,
        Self::ReadLetters,
        Self::ManageLetters,
        Self::ReadAudit,
        Self::ManagePartners,
    ];

    /// The roles granted this permission: the role × operation table of DESIGN §2 "Access".
    /// Admins do everything; analysts read everything masked and do the command centre's work;
    /// township officers read and work on their township (unmasked: they call the people);
    /// partners submit notices and read their letters; dashboards read aggregates only.
    pub fn roles(self) -> &'static [Role] {
        use Role::{Admin, Analyst, Clerk, Dashboard, Partner, Township};
        match self {
            Self::ReadPersons | Self::ReadRecords => &[Admin, Analyst, Township],
            Self::ReadUnmasked | Self::FieldWork => &[Admin, Township],
            Self::ReadReview | Self::ReadHistory | Self::Import | Self::Resolve => {
                &[Admin, Analyst]
            }
            Self::ManageLetters => &[Admin, Analyst, Clerk],
            Self::ReadAggregates => &[Admin, Analyst, Dashboard],
            Self::SubmitNotice => &[Admin, Partner],
            Self::ReadLetters => &[Admin, Analyst, Clerk, Partner],
            Self::ReadAudit | Self::ManagePartners => &[Admin],
        }
    }

    /// Whether `role` holds this permission.
    pub fn allows(self, role: Role) -> bool {
        self.roles().contains(&role)
    }

    /// The field guard for this permission.
    pub fn guard(self) -> RoleGuard {
        RoleGuard::new(self.roles())
    }
}

/// A field guard admitting the listed roles: `UNAUTHENTICATED` without a caller, `FORBIDDEN`
/// for any other role.
#[derive(Debug, Clone, Copy)]
pub struct RoleGuard {
    roles: &'static [Role],
}

impl RoleGuard {
    /// A guard for `roles` (`RoleGuard::new(&[Role::Admin, Role::Analyst])`).
    pub const fn new(roles: &'static [Role]) -> Self {
        Self { roles }
    }

    /// The check itself, without async-graphql.
    pub fn admits(&self, principal: Option<&Principal>) -> Result<(), AppError> {
        let principal = principal.ok_or_else(unauthenticated)?;
        if self.roles.contains(&principal.role) {
            Ok(())
        } else {
            Err(forbidden(principal.role))
        }
    }
}

/// `FORBIDDEN`: a `role` token may not do this.
pub fn forbidden(role: Role) -> AppError {
    AppError::Forbidden(format!("{role} 令牌无权执行此操作"))
}

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        Ok(self.admits(ctx.data_opt::<Principal>())?)
    }
}

fn unauthenticated() -> AppError {
    AppError::Unauthenticated("需要令牌：请在 Authorization 头中提供 Bearer 令牌".into())
}

/// The caller of the request: `UNAUTHENTICATED` when there is none.
pub fn principal<'a>(ctx: &Context<'a>) -> Result<&'a Principal, AppError> {
    ctx.data_opt::<Principal>().ok_or_else(unauthenticated)
}

/// Where an object belongs, as access control sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scope<'a> {
    /// Canonical township of the county, for objects in it.
    pub township: Option<&'a str>,
    /// GB/T 2260 code of the jurisdiction outside the county, for objects there.
    pub jurisdiction: Option<&'a str>,
}

/// An object type that says which township or jurisdiction each of its objects belongs to.
pub trait Scoped {
    /// Where this object belongs.
    fn scope(&self) -> Scope<'_>;
}

/// A table whose rows belong to a township or a jurisdiction, by a column each.
pub trait ScopedEntity: EntityTrait {
    /// The column holding the canonical township, when rows have one.
    fn township_column() -> Option<Self::Column>;
    /// The column holding the jurisdiction code, when rows have one.
    fn jurisdiction_column() -> Option<Self::Column>;
}

/// The part of a GB/T 2260 code that every division inside it shares: `420000` → `42`,
/// `420100` → `4201`, `420102` → `420102`.
pub fn code_prefix(code: &str) -> &str {
    let mut prefix = code;
    for _ in 0..2 {
        match prefix.strip_suffix("00") {
            Some(shorter) if !shorter.is_empty() => prefix = shorter,
            _ => break,
        }
    }
    prefix
}

impl Principal {
    /// Whether the caller may see an object with this scope. Admins and analysts see every
    /// object; a township officer those of its township; a partner those in its jurisdiction
    /// (a province or city partner: everything inside it); a dashboard none.
    pub fn may_see(&self, scope: Scope<'_>) -> bool {
        match self.role {
            Role::Admin | Role::Analyst | Role::Clerk => true,
            Role::Township => self.township.is_some() && scope.township == self.township.as_deref(),
            Role::Partner => match (self.partner.as_deref(), scope.jurisdiction) {
                (Some(partner), Some(code)) => code.starts_with(code_prefix(partner)),
                _ => false,
            },
            Role::Dashboard => false,
        }
    }
}

impl Principal {
    /// Whether the caller sees every object (admins and analysts), so that nothing it reads
    /// needs checking object by object.
    pub fn sees_everything(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Analyst | Role::Clerk)
    }
}

/// The condition a list query of `E` adds so that the caller gets only the rows it may see;
/// agrees with [`Principal::may_see`] on every row.
pub fn row_filter<E: ScopedEntity>(principal: &Principal) -> Condition {
    let nothing = || Condition::all().add(Expr::cust("1 = 0"));
    match principal.role {
        Role::Admin | Role::Analyst | Role::Clerk => Condition::all(),
        Role::Township => match (E::township_column(), principal.township.as_deref()) {
            (Some(column), Some(township)) => Condition::all().add(column.eq(township)),
            _ => nothing(),
        },
        Role::Partner => match (E::jurisdiction_column(), principal.partner.as_deref()) {
            (Some(column), Some(partner)) => {
                Condition::all().add(column.starts_with(code_prefix(partner)))
            }
            _ => nothing(),
        },
        Role::Dashboard => nothing(),
    }
}

/// The caller's [`row_filter`] for list queries of `E`.
pub fn visible_rows<E: ScopedEntity>(ctx: &Context<'_>) -> Result<Condition, AppError> {
    Ok(row_filter::<E>(principal(ctx)?))
}

/// `object` when the caller may see it, `None` when it may not: a lookup by ID or ID number
/// answers out of scope exactly as it answers for an object that does not exist, so it tells
/// nothing a list would not (lists leave such rows out by [`row_filter`]).
pub fn in_scope<T: Scoped>(ctx: &Context<'_>, object: T) -> Result<Option<T>, AppError> {
    Ok(principal(ctx)?.may_see(object.scope()).then_some(object))
}

/// `FORBIDDEN` unless the caller may see `object`.
pub fn ensure_visible(ctx: &Context<'_>, object: &impl Scoped) -> Result<(), AppError> {
    let principal = principal(ctx)?;
    if principal.may_see(object.scope()) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "该对象不在当前令牌的乡镇或辖区范围内".into(),
        ))
    }
}

/// Whether `field` of person `person_id` (with `scope`) is returned unmasked: `false` when the
/// caller did not ask (`requested`), `FORBIDDEN` when it asked but may not, and `true` — the
/// read noted in the request's audit trail — when it may.
pub fn unmask(
    ctx: &Context<'_>,
    person_id: i64,
    scope: Scope<'_>,
    field: &'static str,
    requested: bool,
) -> Result<bool, AppError> {
    if !requested {
        return Ok(false);
    }
    if ctx.query_env.operation.node.ty == OperationType::Subscription {
        // A subscription's reads are never written to the audit log: nothing unmasked there.
        return Err(AppError::Forbidden(
            "订阅只推送脱敏数据：请用查询读取未脱敏的号码".into(),
        ));
    }
    let principal = principal(ctx)?;
    check_unmask(principal, scope)?;
    ctx.data_opt::<AuditTrail>()
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "no audit trail in the request: unmasked data is never served unaudited"
            ))
        })?
        .note_unmasked(person_id, field);
    Ok(true)
}

/// The rule behind [`unmask`], without async-graphql.
pub fn check_unmask(principal: &Principal, scope: Scope<'_>) -> Result<(), AppError> {
    if !Permission::ReadUnmasked.allows(principal.role) {
        return Err(AppError::Forbidden(format!(
            "{} 令牌只能查看脱敏的身份证号和手机号",
            principal.role
        )));
    }
    if !principal.may_see(scope) {
        return Err(AppError::Forbidden("该人员不在当前令牌的乡镇范围内".into()));
    }
    Ok(())
}

impl Scoped for person::Model {
    fn scope(&self) -> Scope<'_> {
        Scope {
            township: self.township.as_deref(),
            jurisdiction: self.jurisdiction_code.as_deref(),
        }
    }
}

impl Scoped for household_link::Model {
    fn scope(&self) -> Scope<'_> {
        Scope {
            township: self.township.as_deref(),
            jurisdiction: None,
        }
    }
}

impl ScopedEntity for person::Entity {
    fn township_column() -> Option<person::Column> {
        Some(person::Column::Township)
    }
    fn jurisdiction_column() -> Option<person::Column> {
        Some(person::Column::JurisdictionCode)
    }
}

impl Scoped for source_record::Model {
    fn scope(&self) -> Scope<'_> {
        Scope {
            township: self.township.as_deref(),
            jurisdiction: self.jurisdiction_code.as_deref(),
        }
    }
}

impl ScopedEntity for source_record::Entity {
    fn township_column() -> Option<source_record::Column> {
        Some(source_record::Column::Township)
    }
    fn jurisdiction_column() -> Option<source_record::Column> {
        Some(source_record::Column::JurisdictionCode)
    }
}

impl ScopedEntity for crate::db::followup_alert::Entity {
    fn township_column() -> Option<crate::db::followup_alert::Column> {
        Some(crate::db::followup_alert::Column::Township)
    }
    fn jurisdiction_column() -> Option<crate::db::followup_alert::Column> {
        None
    }
}

/// Import batches belong to no township or jurisdiction: only the roles that see everything
/// list them.
impl ScopedEntity for import_batch::Entity {
    fn township_column() -> Option<import_batch::Column> {
        None
    }
    fn jurisdiction_column() -> Option<import_batch::Column> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> Principal {
        Principal {
            token_id: Some(1),
            role,
            township: (role == Role::Township).then(|| "城关镇".to_owned()),
            partner: (role == Role::Partner).then(|| "420100".to_owned()),
        }
    }

    #[test]
    fn the_guard_answers_unauthenticated_without_a_caller_and_forbidden_for_other_roles() {
        let guard = RoleGuard::new(&[Role::Admin, Role::Analyst]);
        assert_eq!(
            guard.admits(None).map_err(|e| e.code()),
            Err(crate::error::code::UNAUTHENTICATED)
        );
        assert_eq!(
            guard
                .admits(Some(&principal(Role::Analyst)))
                .map_err(|e| e.code()),
            Ok(())
        );
        assert_eq!(
            guard
                .admits(Some(&principal(Role::Dashboard)))
                .map_err(|e| e.code()),
            Err(crate::error::code::FORBIDDEN)
        );
    }

    #[test]
    fn admins_hold_every_permission_and_dashboards_only_aggregates() {
        for permission in Permission::ALL {
            assert!(permission.allows(Role::Admin), "{permission:?}");
            assert_eq!(
                permission.allows(Role::Dashboard),
                permission == Permission::ReadAggregates,
                "{permission:?}"
            );
        }
        assert!(!Permission::ReadUnmasked.allows(Role::Analyst), "masked");
        assert!(!Permission::ReadPersons.allows(Role::Partner));
        assert!(Permission::SubmitNotice.allows(Role::Partner));
    }

    #[test]
    fn a_township_officer_sees_only_its_township() {
        let officer = principal(Role::Township);
        let here = Scope {
            township: Some("城关镇"),
            jurisdiction: None,
        };
        let there = Scope {
            township: Some("新华街道"),
            jurisdiction: None,
        };
        assert!(officer.may_see(here));
        assert!(!officer.may_see(there));
        assert!(!officer.may_see(Scope::default()), "unplaced persons too");
        assert!(principal(Role::Analyst).may_see(there));
        assert!(!principal(Role::Dashboard).may_see(here));
    }

    #[test]
    fn a_city_partner_sees_its_counties_only() {
        let partner = principal(Role::Partner);
        let at = |code| Scope {
            township: None,
            jurisdiction: Some(code),
        };
        assert!(partner.may_see(at("420102")));
        assert!(partner.may_see(at("420100")));
        assert!(!partner.may_see(at("420902")));
        assert!(!partner.may_see(Scope::default()));
        assert_eq!(code_prefix("420000"), "42");
        assert_eq!(code_prefix("420100"), "4201");
        assert_eq!(code_prefix("420102"), "420102");
    }

    #[test]
    fn unmasking_needs_the_permission_and_the_scope() {
        let here = Scope {
            township: Some("城关镇"),
            jurisdiction: None,
        };
        let there = Scope {
            township: Some("新华街道"),
            jurisdiction: None,
        };
        let unmask = |role, scope| check_unmask(&principal(role), scope).map_err(|e| e.code());
        assert_eq!(unmask(Role::Township, here), Ok(()));
        assert_eq!(
            unmask(Role::Township, there),
            Err(crate::error::code::FORBIDDEN)
        );
        assert_eq!(
            unmask(Role::Analyst, here),
            Err(crate::error::code::FORBIDDEN)
        );
        assert_eq!(unmask(Role::Admin, there), Ok(()));
    }

    /// The row filter and `may_see` must agree on every row: run the filter on a real database
    /// with persons in and out of scope and compare.
    #[tokio::test]
    async fn the_row_filter_agrees_with_may_see_on_every_row() {
        use sea_orm::{ActiveModelTrait as _, ActiveValue::Set, QueryFilter as _};

        let (_dir, db) = crate::db::scratch().await;
        let places: [(Option<&str>, Option<&str>); 6] = [
            (Some("城关镇"), None),
            (Some("新华街道"), None),
            (None, Some("420102")),
            (None, Some("420902")),
            (None, Some("110105")),
            (None, None),
        ];
        let now = chrono::Utc::now();
        let mut persons = Vec::new();
        for (i, (township, jurisdiction)) in places.iter().enumerate() {
            let model = person::ActiveModel {
                id: Set(i64::try_from(i).expect("small") + 1),
                merged_into: Set(None),
                name: Set(None),
                name_pinyin: Set(None),
                id_number: Set(None),
                phones: Set("[]".into()),
                birth_date: Set(None),
                sex: Set(None),
                address: Set(None),
                township: Set(township.map(str::to_owned)),
                village: Set(None),
                location_status: Set(crate::states::LocationStatus::PendingVerification),
                jurisdiction_code: Set(jurisdiction.map(str::to_owned)),
                jurisdiction_name: Set(None),
                location_conflict: Set(false),
                hubei_link: Set(crate::states::HubeiLink::Unknown),
                origin: Set(None),
                arrival_date: Set(None),
                first_reported: Set(None),
                golden: Set("{}".into()),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db.writer_conn())
            .await
            .expect("insert");
            persons.push(model);
        }
        let mut callers: Vec<Principal> = Role::ALL.into_iter().map(principal).collect();
        callers.push(Principal {
            partner: Some("420000".into()),
            ..principal(Role::Partner)
        });
        callers.push(Principal {
            partner: Some("420102".into()),
            ..principal(Role::Partner)
        });
        for caller in &callers {
            let mut listed: Vec<i64> = person::Entity::find()
                .filter(row_filter::<person::Entity>(caller))
                .all(&db.conn)
                .await
                .expect("query")
                .into_iter()
                .map(|p| p.id)
                .collect();
            listed.sort_unstable();
            let visible: Vec<i64> = persons
                .iter()
                .filter(|p| caller.may_see(p.scope()))
                .map(|p| p.id)
                .collect();
            assert_eq!(listed, visible, "{caller:?}");
        }
    }
}
