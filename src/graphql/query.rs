//! Root queries.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use super::connection::{
    AuditEntryConnection, ImportBatchConnection, PersonConnection, ResolutionEventConnection,
    ReviewCandidateConnection, SourceRecordConnection, id_cursor, page_args,
};
use super::loaders::prime_persons;
use super::types::{
    AggregateGroup, Aggregates, AuditEntry, AuditKind, EventKind, GroupBy, HubeiLink, ImportBatch,
    LocationStatus, MatchModel, Person, PersonSearchConnection, ResolutionEvent, ReviewCandidate,
    ReviewFilterInput, ReviewOrder, Source, SourceRecord, Stats, check_range, parse_id, visible,
};
use crate::access::Permission;
use crate::access::audit::{note_search, note_search_found};
use crate::access::guard::{principal, visible_rows};
use crate::db::{import_batch, person, source_record};
use crate::error::AppError;
use crate::register::Register;
use crate::register::query::{
    AuditFilter, DateRange, EventFilter, PersonFilter, PersonOrder, RecordFilter, review_cursor,
};

/// An inclusive range of days; leave an end out to keep it open.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct DateRangeInput {
    /// First day included.
    pub from: Option<NaiveDate>,
    /// Last day included.
    pub to: Option<NaiveDate>,
}

impl DateRangeInput {
    fn checked(range: Option<Self>, what: &str) -> Result<DateRange, AppError> {
        let range = range.unwrap_or_default();
        check_range(range.from.as_ref(), range.to.as_ref(), || {
            format!("{what}的起始日期晚于结束日期")
        })?;
        Ok(DateRange {
            from: range.from,
            to: range.to,
        })
    }
}

/// The days of a day series (`aggregates(groupBy: [DAY])`); an end left out is the first or
/// last day of the data.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct DayRangeInput {
    /// First day listed.
    pub from: Option<NaiveDate>,
    /// Last day listed.
    pub to: Option<NaiveDate>,
}

/// Which persons to list. Every condition given must hold; leave a field out not to filter
/// on it. A list of values holds when any of them does (a single value is accepted for a
/// list, as GraphQL coerces it); an empty list selects no one. A township or village the
/// county gazetteer does not know is `BAD_USER_INPUT`, not an empty answer.
#[derive(InputObject, Clone, Debug, Default)]
pub struct PersonFilterInput {
    /// Only persons in one of these location statuses.
    pub location_status: Option<Vec<LocationStatus>>,
    /// Only persons of this township (any spelling the gazetteer knows).
    pub township: Option<String>,
    /// Only persons of this village or community (any spelling the gazetteer knows; give the
    /// township too when village names repeat across townships).
    pub village: Option<String>,
    /// Only persons with a current record from one of these sources.
    pub source: Option<Vec<Source>>,
    /// Only persons with one of these links to Hubei: Wuhan, other Hubei, or unknown.
    pub hubei_link: Option<Vec<HubeiLink>>,
    /// Only persons whose (earliest) arrival date is in this range.
    pub arrival_date: Option<DateRangeInput>,
    /// Only persons first reported in this range.
    pub first_reported: Option<DateRangeInput>,
    /// True: only persons with a review candidate waiting for an analyst; false: only those
    /// without.
    pub review_pending: Option<bool>,
    /// True: only persons whose sources disagree (on a golden-record field or on where they
    /// are); false: only those whose sources agree.
    pub has_conflicts: Option<bool>,
    /// Only persons in this jurisdiction: a GB/T 2260 code or its prefix, matched against the
    /// person's jurisdiction code (`42`: all of Hubei; `4201` or `420100`: all of Wuhan;
    /// `420102`: 江岸区). Persons in the county count as in the county's own code.
    pub jurisdiction: Option<String>,
    /// Only persons no current record of this source has found yet (`TOWNSHIP`: not yet
    /// checked on site).
    pub missing_source: Option<Source>,
    /// Only persons whose golden record has a conflict on one of these fields.
    pub conflicts: Option<Vec<ConflictField>>,
    /// True: only persons under home observation whose responsible team (五包一) lacks one of
    /// the five roles; false: only those under observation whose team is complete.
    pub team_incomplete: Option<bool>,
    /// Only persons in the county now whose home observation is in one of these states.
    pub observation_state: Option<Vec<super::types::followup::ObservationState>>,
    /// Only persons whose case status (the latest recorded by `recordCase`, dated on or before
    /// `caseAsOf` when given) is one of these.
    pub case_status: Option<Vec<super::types::reports::CaseStatus>>,
    /// The day `caseStatus` is read on: the latest status recorded with a date on or before it.
    pub case_as_of: Option<NaiveDate>,
    /// Only persons with an alert of one of these kinds not yet resolved.
    pub open_alert: Option<Vec<super::types::followup::AlertKind>>,
    /// Only persons with a temperature reading (not corrected by a later one) on this day.
    pub temperature_on: Option<NaiveDate>,
    /// Only persons found, counted once, by one of these sources: the strongest source among
    /// their current records (a township's on-site check, then a notice, then big data).
    pub found_by: Option<Vec<Source>>,
    /// True: only persons an issued 协查函 covers (on its list, not answered `MOVED_ON`); false:
    /// only persons none covers.
    pub letter_covered: Option<bool>,
    /// The day `letterCovered` is read on: letters issued, and moves answered, on or before it.
    pub letter_as_of: Option<NaiveDate>,
}

/// A field of the golden record whose sources can disagree.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::register::query::ConflictField")]
pub enum ConflictField {
    /// The name.
    Name,
    /// The ID number.
    IdNumber,
    /// Where the person is: in or out of the county, the township or the village.
    Location,
    /// The address.
    Address,
}

impl PersonFilterInput {
    /// The register's filter; `BAD_USER_INPUT` for a date range that ends before it starts
    /// (names are checked against the gazetteer by `Register::check_person_filter`).
    pub(crate) fn into_filter(self) -> Result<PersonFilter, AppError> {
        fn each<G, C: From<G>>(values: Option<Vec<G>>) -> Option<Vec<C>> {
            values.map(|v| v.into_iter().map(C::from).collect())
        }
        Ok(PersonFilter {
            location_status: each(self.location_status),
            township: self.township,
            village: self.village,
            source: each(self.source),
            hubei_link: each(self.hubei_link),
            arrival_date: DateRangeInput::checked(self.arrival_date, "抵达日期")?,
            first_reported: DateRangeInput::checked(self.first_reported, "首次报告日期")?,
            review_pending: self.review_pending,
            has_conflicts: self.has_conflicts,
            jurisdiction: self.jurisdiction,
            missing_source: self.missing_source.map(Into::into),
            conflicts: each(self.conflicts),
            team_incomplete: self.team_incomplete,
            observation_state: each(self.observation_state),
            case_status: each(self.case_status),
            case_as_of: self.case_as_of,
            open_alert: each(self.open_alert),
            temperature_on: self.temperature_on,
            found_by: each(self.found_by),
            letter_covered: self.letter_covered,
            letter_as_of: self.letter_as_of,
        })
    }
}

/// What persons can be ordered by; ties are broken by person ID.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
#[graphql(remote = "crate::register::query::PersonOrderField")]
pub enum PersonOrderBy {
    /// Person ID (the order persons entered the register).
    #[default]
    Id,
    /// Toneless pinyin of the name (persons without a name last).
    #[graphql(name = "NAME")]
    NamePinyin,
    /// Arrival date (persons without one last).
    ArrivalDate,
    /// The day first reported (persons without one last).
    FirstReported,
    /// When the golden record last changed.
    UpdatedAt,
}

/// Ascending or descending.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum OrderDirection {
    /// Smallest first; missing values last.
    #[default]
    Asc,
    /// Largest first; missing values first.
    Desc,
}

/// The order of a persons list. Cursors belong to the order they were issued in.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct PersonOrderInput {
    /// The field to order by.
    pub field: PersonOrderBy,
    /// The direction.
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl From<PersonOrderInput> for PersonOrder {
    fn from(o: PersonOrderInput) -> Self {
        Self {
            field: o.field.into(),
            descending: o.direction == OrderDirection::Desc,
        }
    }
}

/// Which resolution events to list. Every condition given must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct EventFilterInput {
    /// Only events of this person (as the subject, or as the other person of a merge).
    pub person_id: Option<ID>,
    /// Only events of these kinds.
    pub kinds: Option<Vec<EventKind>>,
    /// Only events at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events at or before this time.
    pub to: Option<DateTime<Utc>>,
}

/// Which audit-log entries to list. Every condition given must hold.
#[derive(InputObject, Clone, Debug, Default)]
pub struct AuditFilterInput {
    /// Only entries of this kind.
    pub kind: Option<AuditKind>,
    /// Only entries of this token (its ID, as `paicha token list` shows it).
    pub token_id: Option<ID>,
    /// Only entries at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only entries at or before this time.
    pub to: Option<DateTime<Utc>>,
}

/// Which source records to list.
#[derive(InputObject, Clone, Debug, Default)]
pub struct SourceRecordFilterInput {
    /// Only records of this source.
    pub source: Option<Source>,
    /// Only records of this import batch.
    pub batch_id: Option<ID>,
    /// Include superseded versions too (default: current versions only).
    #[graphql(default = false)]
    pub all_versions: bool,
}

/// The message of a time range that ends before it starts.
fn times_reversed() -> String {
    "起始时间晚于结束时间".to_owned()
}

/// The root of every query.
pub struct Query;

/// The register's root queries (merged with the letters' into the schema's `Query`).
#[Object(name = "RegisterQuery")]
impl Query {
    /// Persons of the register, as a Relay connection: filtered, and ordered by `orderBy`
    /// (person ID by default). A township officer gets its township's persons only.
    #[expect(
        clippy::too_many_arguments,
        reason = "a Relay connection with a filter and an order"
    )]
    #[graphql(
        guard = "super::rules::guard(\"persons\")",
        complexity = "super::connection::page_complexity(first, last, child_complexity)"
    )]
    async fn persons(
        &self,
        ctx: &Context<'_>,
        filter: Option<PersonFilterInput>,
        order_by: Option<PersonOrderInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<PersonConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let order = PersonOrder::from(order_by.unwrap_or_default());
        let visible = visible_rows::<person::Entity>(ctx)?;
        let page = register.persons(&filter, order, args, visible).await?;
        prime_persons(ctx, &page.items).await?;
        Ok(PersonConnection::from_page(
            page,
            |p| order.field.cursor(p),
            Person,
        ))
    }

    /// Persons found by what is remembered of them: a name or its beginning (a surname
    /// alone), in Simplified or Traditional characters; pinyin, whole, its beginning
    /// (`pan`, `huang li`) or heard alike (`gao ming` finds 高敏), tone marks (`gāo mǐn`),
    /// apostrophes (`xi'an`) and spaces accepted; a full ID number or its last four or more
    /// characters; a phone or its last four or more digits. Matched on the golden record and
    /// on every current source record, among the persons `filter` selects (as `persons`);
    /// best match first, each hit saying what it matched on (`matchedOn`). At most 10
    /// searches a request; a search by a full ID number or phone is audited.
    #[expect(
        clippy::too_many_arguments,
        reason = "a Relay connection with a search text and a filter"
    )]
    #[graphql(
        guard = "super::rules::guard(\"searchPersons\")",
        complexity = "super::connection::page_complexity(first, last, child_complexity)"
    )]
    async fn search_persons(
        &self,
        ctx: &Context<'_>,
        text: String,
        filter: Option<PersonFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<PersonSearchConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let visible = visible_rows::<person::Entity>(ctx)?;
        let searched = register.searched_identifiers(&text);
        note_search(ctx, searched.iter().map(|s| (s.field, s.value.as_str())))?;
        let page = register
            .search_persons(&text, &filter, args, visible)
            .await?;
        if !searched.is_empty() {
            note_search_found(ctx, page.items.iter().map(|h| h.person.id))?;
        }
        let persons: Vec<person::Model> = page.items.iter().map(|h| h.person.clone()).collect();
        prime_persons(ctx, &persons).await?;
        Ok(PersonSearchConnection::from_page(page))
    }

    /// The append-only history of the register (creations, links, merges, splits,
    /// decisions), oldest first, as a Relay connection.
    #[graphql(
        guard = "super::rules::guard(\"events\")",
        complexity = "super::connection::page_complexity(first, last, child_complexity)"
    )]
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ResolutionEventConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let filter = filter.unwrap_or_default();
        check_range(filter.from.as_ref(), filter.to.as_ref(), times_reversed)?;
        let filter = EventFilter {
            person_id: filter
                .person_id
                .as_ref()
                .map(|id| parse_id(id, "人员"))
                .transpose()?,
            kinds: filter
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(crate::states::EventKind::from)
                .collect(),
            from: filter.from,
            to: filter.to,
        };
        let page = register.events(&filter, args).await?;
        Ok(ResolutionEventConnection::from_page(
            page,
            |e| id_cursor(e.id),
            ResolutionEvent,
        ))
    }

    /// Dashboard figures over the persons `filter` selects (all persons by default): counts
    /// by day first reported, township, location status, Hubei link and source, and new
    /// persons per day per source; and `groups`, the persons cross-tabulated by `groupBy`
    /// (each dimension once, in the order given; a day series over `days`, by default the
    /// days of the data, with a running total). For a DASHBOARD caller, groups of fewer
    /// persons than `suppressedBelow` are withheld.
    #[graphql(guard = "super::rules::guard(\"aggregates\")")]
    async fn aggregates(
        &self,
        ctx: &Context<'_>,
        filter: Option<PersonFilterInput>,
        group_by: Option<Vec<GroupBy>>,
        days: Option<DayRangeInput>,
    ) -> Result<Aggregates> {
        let register = ctx.data::<Register>()?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let min = min_group(ctx, register)?;
        let by: Vec<crate::register::query::GroupBy> = group_by
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        let days = days.unwrap_or_default();
        check_range(days.from.as_ref(), days.to.as_ref(), || {
            "days 的起始日期晚于结束日期".to_owned()
        })?;
        let days = DateRange {
            from: days.from,
            to: days.to,
        };
        // The groups are counted only when asked for (the arguments are checked either way).
        let groups = if ctx.look_ahead().field("groups").exists() {
            Some(register.groups(&filter, &by, days).await?)
        } else {
            register.check_groups(&by, days)?;
            None
        };
        let mut aggregates = Aggregates::shown(register.aggregates(&filter).await?, min);
        if let Some(groups) = groups {
            aggregates.groups = AggregateGroup::shown(groups, min);
        }
        Ok(aggregates)
    }

    /// A person by ID. An ID merged into another person answers with the surviving person.
    /// A person outside the caller's township answers null, as one that does not exist.
    #[graphql(guard = "super::rules::guard(\"person\")")]
    async fn person(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Person>> {
        let register = ctx.data::<Register>()?;
        let found = register.person(parse_id(&id, "人员")?).await?;
        Ok(visible(ctx, found)?.map(Person))
    }

    /// The person with this ID number (15 or 18 digits, any formatting). A person outside
    /// the caller's township answers null, as one that does not exist. A search: at most 10
    /// a request, and audited.
    #[graphql(guard = "super::rules::guard(\"personByIdNumber\")")]
    async fn person_by_id_number(
        &self,
        ctx: &Context<'_>,
        id_number: String,
    ) -> Result<Option<Person>> {
        let register = ctx.data::<Register>()?;
        let searched = register.searched_identifiers(&id_number);
        note_search(
            ctx,
            searched
                .iter()
                .filter(|s| s.field == "idNumber")
                .map(|s| (s.field, s.value.as_str())),
        )?;
        let found = visible(ctx, register.person_by_id_number(&id_number).await?)?;
        note_search_found(ctx, found.iter().map(|p| p.id))?;
        Ok(found.map(Person))
    }

    /// Source records as they arrived, as a Relay connection ordered by record ID. A township
    /// officer gets its township's records only.
    #[graphql(
        guard = "super::rules::guard(\"sourceRecords\")",
        complexity = "super::connection::page_complexity(first, last, child_complexity)"
    )]
    async fn source_records(
        &self,
        ctx: &Context<'_>,
        filter: Option<SourceRecordFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<SourceRecordConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let filter = filter.unwrap_or_default();
        let filter = RecordFilter {
            source: filter.source.map(Into::into),
            batch_id: filter
                .batch_id
                .as_ref()
                .map(|id| parse_id(id, "批次"))
                .transpose()?,
            all_versions: filter.all_versions,
        };
        let visible = visible_rows::<source_record::Entity>(ctx)?;
        let page = register.source_records(&filter, args, visible).await?;
        Ok(SourceRecordConnection::from_page(
            page,
            |r| id_cursor(r.id),
            SourceRecord,
        ))
    }

    /// Import batches, oldest first, as a Relay connection (none for a township officer:
    /// batches belong to no township).
    #[graphql(
        guard = "super::rules::guard(\"importBatches\")",
        complexity = "super::connection::page_complexity(first, last, child_complexity)"
    )]
    async fn import_batches(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ImportBatchConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let visible = visible_rows::<import_batch::Entity>(ctx)?;
        let page = register.import_batches(args, visible).await?;
        Ok(ImportBatchConnection::from_page(
            page,
            |b| id_cursor(b.id),
            ImportBatch,
        ))
    }

    /// A township's verification worklist, in person ID order, as a Relay connection: the
    /// persons still `PENDING_VERIFICATION` whose hints (a base-station or train location, an
    /// address, a notice's destination) point to `township`, until a township record or an
    /// analyst settles them; `township: null` is the county's own list of persons with no
    /// hint of a township. An unknown township is `BAD_USER_INPUT`; a township officer gets
    /// its own township's list only (`township: null` is its own list; another township is
    /// `FORBIDDEN`).
    #[graphql(
        guard = "super::rules::guard(\"verificationWorklist\")",
        complexity = "super::connection::page_complexity(first, last, child_complexity)"
    )]
    async fn verification_worklist(
        &self,
        ctx: &Context<'_>,
        township: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<super::connection::WorklistConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let township = township
            .map(|t| register.worklist_township(&t))
            .transpose()?;
        // A township officer's list is its own township's (the default when none is named).
        let caller = principal(ctx)?;
        let township = match (&caller.township, township) {
            (Some(own), None) => Some(own.clone()),
            (Some(own), Some(asked)) if &asked != own => {
                return Err(AppError::Forbidden(format!(
                    "乡镇令牌只能查看本乡镇（{own}）的核查清单"
                ))
                .into());
            }
            (_, township) => township,
        };
        let visible = visible_rows::<crate::db::person::Entity>(ctx)?;
        let calls = caller.sees_everything() || caller.township.is_some(); // its own, as above
        let page = register.verification_worklist(township.as_deref(), args, visible, calls);
        let page = page.await?;
        Ok(super::connection::WorklistConnection::from_page(
            page,
            |p| id_cursor(p.id),
            super::types::WorklistItem,
        ))
    }

    /// External notices (协查函) with their headers, oldest first, as a Relay connection:
    /// by sender (code, prefix-aware), number and send date. A township officer lists the
    /// notices with persons in its township.
    #[graphql(
        guard = "super::rules::guard(\"notices\")",
        complexity = "super::connection::page_complexity(first, last, child_complexity)"
    )]
    async fn notices(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::types::NoticeFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<super::connection::NoticeConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let visible = crate::register::query::notice_visibility(principal(ctx)?);
        let page = register.notices(&filter, args, visible).await?;
        Ok(super::connection::NoticeConnection::from_page(
            page,
            |n| id_cursor(n.id),
            super::types::Notice,
        ))
    }

    /// The partner hubs this hub exchanges notices with, by code (never their secrets).
    /// Admins only.
    #[graphql(guard = "super::rules::guard(\"partners\")")]
    async fn partners(&self, ctx: &Context<'_>) -> Result<Vec<super::types::Partner>> {
        let register = ctx.data::<Register>()?;
        Ok(register
            .partners()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Follow-up alerts (fevers and missed temperature checks), newest first, as a Relay
    /// connection (`first` and `after`). `filter.township` takes any spelling the gazetteer
    /// knows (an unknown name is `BAD_USER_INPUT`). A TOWNSHIP token sees its township's
    /// alerts only. Missed checks are found by the server's background sweep (every minute).
    #[graphql(
        guard = "super::rules::guard(\"alerts\")",
        complexity = "super::connection::page_complexity(first, None, child_complexity)"
    )]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<super::types::followup::AlertFilterInput>,
        after: Option<String>,
        first: Option<i32>,
    ) -> Result<super::types::followup::AlertConnection> {
        use super::types::followup::{Alert, AlertConnection, AlertEdge};
        let register = ctx.data::<Register>()?;
        let args = page_args(after, None, first, None)?;
        let filter = filter.unwrap_or_default();
        let filter = crate::register::followup::AlertFilter {
            kind: filter.kind.map(Into::into),
            state: filter.state.map(Into::into),
            township: filter.township,
        };
        let page = register
            .alerts(
                &filter,
                visible_rows::<crate::db::followup_alert::Entity>(ctx)?,
                args.first,
                args.after.map(|c| c.id),
            )
            .await?;
        let edges: Vec<AlertEdge> = page
            .items
            .into_iter()
            .map(|a| AlertEdge {
                cursor: a.id.to_string(),
                node: Alert(a),
            })
            .collect();
        let page_info = super::connection::page_info(
            page.has_previous,
            page.has_next,
            edges.first().map(|e| &e.cursor),
            edges.last().map(|e| &e.cursor),
        );
        Ok(AlertConnection {
            total_count: page.total,
            page_info,
            edges,
        })
    }

    /// The review queue: one item per pair of persons the engine could not decide are one,
    /// with their pairs of records inside, pending ones by default, most probable first.
    /// `filter.township` keeps candidates either of whose persons lives there (an unknown
    /// name is `BAD_USER_INPUT`); a caller scoped to a township sees only its township's.
    #[graphql(
        guard = "super::rules::guard(\"reviewCandidates\")",
        complexity = "super::connection::page_complexity(first, last, child_complexity)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn review_candidates(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReviewFilterInput>,
        order_by: Option<ReviewOrder>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ReviewCandidateConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let caller = principal(ctx)?;
        let only_township = (!caller.sees_everything()).then_some(caller.township.as_deref());
        let order = order_by.unwrap_or_default().into();
        let page = register
            .review_queue(
                &filter.unwrap_or_default().into(),
                order,
                &args,
                only_township,
            )
            .await?;
        Ok(ReviewCandidateConnection::from_page(
            page,
            |c| review_cursor(c, order),
            ReviewCandidate,
        ))
    }

    /// The trained match model of the latest resolution run (none before the first import).
    #[graphql(guard = "super::rules::guard(\"matchModel\")")]
    async fn match_model(&self, ctx: &Context<'_>) -> Result<Option<MatchModel>> {
        let register = ctx.data::<Register>()?;
        Ok(register.latest_model().await?.map(MatchModel))
    }

    /// The append-only audit log (unmasked reads and changes, with who and when), oldest
    /// first, as a Relay connection. Admins only.
    #[graphql(
        guard = "super::rules::guard(\"auditLog\")",
        complexity = "super::connection::page_complexity(first, last, child_complexity)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditFilterInput>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<AuditEntryConnection> {
        let register = ctx.data::<Register>()?;
        let args = page_args(after, before, first, last)?;
        let filter = filter.unwrap_or_default();
        check_range(filter.from.as_ref(), filter.to.as_ref(), times_reversed)?;
        let filter = AuditFilter {
            kind: filter.kind.map(crate::access::audit::AuditKind::from),
            token_id: filter
                .token_id
                .as_ref()
                .map(|id| parse_id(id, "令牌"))
                .transpose()?,
            from: filter.from,
            to: filter.to,
        };
        let page = register.audit_log(&filter, args).await?;
        Ok(AuditEntryConnection::from_page(
            page,
            |e| id_cursor(e.id),
            AuditEntry,
        ))
    }

    /// The register's headline figures: persons by location status and Hubei link, records
    /// by source. For a DASHBOARD caller, groups of fewer than `suppressedBelow` are withheld.
    #[graphql(guard = "super::rules::guard(\"stats\")")]
    async fn stats(&self, ctx: &Context<'_>) -> Result<Stats> {
        let register = ctx.data::<Register>()?;
        let min = min_group(ctx, register)?;
        Ok(Stats::with_reports(register, min).await?)
    }

    /// Every township of the county on `date` (default: the county's today) with its daily
    /// report or `MISSING`, the filings it replaced, and what the register shows for it
    /// (`registerCount`, `differs`). A TOWNSHIP caller sees its own township only.
    #[graphql(guard = "super::rules::guard(\"dailyReports\")")]
    async fn daily_reports(
        &self,
        ctx: &Context<'_>,
        date: Option<NaiveDate>,
    ) -> Result<Vec<super::types::reports::TownshipDailyReport>> {
        let register = ctx.data::<Register>()?;
        let date = date.unwrap_or_else(|| register.reference.clock.today());
        let caller = principal(ctx)?;
        Ok(register
            .daily_reports(date)
            .await?
            .into_iter()
            .filter(|r| {
                caller.role != crate::access::Role::Township
                    || caller.township.as_deref() == Some(r.township.as_str())
            })
            .map(super::types::reports::TownshipDailyReport)
            .collect())
    }

    /// The county's briefing as of the end of `date` (China time): every figure with the
    /// persons filter that lists it, and the text in the shape of the county's report
    /// (一、疫情总体情况). Persons count when first reported on or before the day (by the
    /// sources' own report dates), in their present state; cases by the statuses recorded
    /// with a date on or before it; a township as reporting when it has a report dated that
    /// day. So later imports of later reports leave a past day's briefing as it was.
    #[graphql(guard = "super::rules::guard(\"briefing\")")]
    async fn briefing(
        &self,
        ctx: &Context<'_>,
        date: Option<NaiveDate>,
    ) -> Result<super::types::reports::Briefing> {
        let register = ctx.data::<Register>()?;
        let date = date.unwrap_or_else(|| register.reference.clock.today());
        let briefing = register.briefing(date).await?;
        let text = crate::reports::text::render(&briefing).map_err(AppError::Internal)?;
        Ok(super::types::reports::Briefing::new(&briefing, text))
    }
}

/// The fewest persons a group may count for the caller: the register's minimum for a caller
/// who reads aggregates only (a dashboard), `None` for one who may read the persons anyway.
fn min_group(ctx: &Context<'_>, register: &Register) -> Result<Option<u64>, AppError> {
    let caller = principal(ctx)?;
    Ok((!Permission::ReadPersons.allows(caller.role)).then(|| register.min_group()))
}
