//! Root mutations.

use async_graphql::{Context, Object, Result, Upload};
use std::io::Read;

use super::types::{BatchReport, Person, ReviewCandidate, Source, parse_id};
use crate::access::audit::note_mutation;
use crate::access::guard::principal;
use crate::access::{Permission, Role};
use crate::error::AppError;
use crate::register::query::ReviewItem;
use crate::register::{ImportRequest, Register};

/// An analyst's verdict on a pair of records.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::register::Verdict")]
pub enum Decision {
    /// The two records are one person.
    Same,
    /// The two records are two persons.
    Different,
}

/// The root of every mutation.
pub struct Mutation;

fn read_upload(ctx: &Context<'_>, upload: &Upload) -> Result<(String, Vec<u8>), AppError> {
    let value = upload
        .value(ctx)
        .map_err(|e| AppError::BadInput(format!("上传文件无法读取：{e}")))?;
    let name = value.filename.clone();
    let mut bytes = Vec::new();
    value
        .into_read()
        .read_to_end(&mut bytes)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((name, bytes))
}

/// The root of every mutation.
#[Object]
impl Mutation {
    /// Imports one file (multipart upload, GraphQL multipart request spec) of one source kind.
    /// The file's extension decides its format (`.csv`, `.xlsx`, `.json`, `.ndjson`); an
    /// optional `mapping` file (TOML `"column" = "field"`) names headers paicha does not know.
    /// A partner may import external notices (`source: EXTERNAL`) only, and its report says
    /// what was accepted and rejected, never what matched (those figures are null).
    #[graphql(guard = "super::rules::guard(\"importBatch\")")]
    async fn import_batch(
        &self,
        ctx: &Context<'_>,
        source: Source,
        file: Upload,
        mapping: Option<Upload>,
    ) -> Result<BatchReport> {
        let register = ctx.data::<Register>()?;
        let principal = principal(ctx)?;
        if !Permission::Import.allows(principal.role) && source != Source::External {
            return Err(AppError::Forbidden(format!(
                "{} 令牌只能提交外部协查通知（source: EXTERNAL）",
                principal.role
            ))
            .into());
        }
        let (file_name, bytes) = read_upload(ctx, &file)?;
        let mapping = match mapping {
            Some(m) => {
                let (_, bytes) = read_upload(ctx, &m)?;
                Some(
                    String::from_utf8(bytes)
                        .map_err(|_| AppError::BadInput("映射文件必须是 UTF-8 编码".into()))?,
                )
            }
            None => None,
        };
        let actor = principal.actor();
        let mut request = ImportRequest::new(source.into(), &file_name, bytes, &actor);
        request.mapping = mapping.as_deref();
        if principal.role == Role::Partner {
            let partner = principal
                .partner
                .as_deref()
                .ok_or_else(|| AppError::Forbidden("该 PARTNER 令牌没有指定辖区".into()))?;
            request.sender = Some(partner);
        }
        let report = register.import(request).await?;
        Ok(BatchReport::from(report).for_caller(principal))
    }

    /// Decides a review candidate: the two persons are one person or two. The decision is a
    /// constraint every later resolution run honours, and no other pair of records of the
    /// same two persons is proposed again; the register is re-resolved at once. `note` (up
    /// to 2000 characters) is kept with the decision. A candidate already decided or no
    /// longer pending is a `CONFLICT` that says which and why. `id` is the candidate's ID or
    /// the ID of one of its `pairs`.
    #[graphql(guard = "super::rules::guard(\"decideCandidate\")")]
    async fn decide_candidate(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
        decision: Decision,
        note: Option<String>,
    ) -> Result<ReviewCandidate> {
        let register = ctx.data::<Register>()?;
        let decided = register
            .decide_candidate(
                parse_id(&id, "候选")?,
                decision.into(),
                note.as_deref(),
                &principal(ctx)?.actor(),
            )
            .await?;
        let mut persons = Vec::new();
        for record in [decided.record_a, decided.record_b] {
            if let Some(link) = register.link_of_record(record).await? {
                persons.push(link.person_id);
            }
        }
        note_mutation(ctx, persons)?;
        Ok(ReviewCandidate(ReviewItem::single(decided)))
    }

    /// Makes two persons one. The older ID survives; the other answers with it from now on.
    #[graphql(guard = "super::rules::guard(\"mergePersons\")")]
    async fn merge_persons(
        &self,
        ctx: &Context<'_>,
        a: async_graphql::ID,
        b: async_graphql::ID,
    ) -> Result<Person> {
        let register = ctx.data::<Register>()?;
        let (a, b) = (parse_id(&a, "人员")?, parse_id(&b, "人员")?);
        let merged = register
            .merge_persons(a, b, &principal(ctx)?.actor())
            .await?;
        note_mutation(ctx, [a, b, merged.id])?;
        Ok(Person(merged))
    }

    /// Splits the given source records off a person into a new person (with a new ID).
    #[graphql(guard = "super::rules::guard(\"splitPerson\")")]
    async fn split_person(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
        record_ids: Vec<async_graphql::ID>,
    ) -> Result<Person> {
        let register = ctx.data::<Register>()?;
        let records = record_ids
            .iter()
            .map(|r| parse_id(r, "记录"))
            .collect::<Result<Vec<i64>, AppError>>()?;
        let id = parse_id(&id, "人员")?;
        let split = register
            .split_person(id, &records, &principal(ctx)?.actor())
            .await?;
        note_mutation(ctx, [id, split.id])?;
        Ok(Person(split))
    }
}
