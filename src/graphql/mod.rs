//! The GraphQL schema: queries, mutations and subscriptions over the register (DESIGN §2).

pub mod budget;
pub mod connection;
pub mod household;
pub mod letters;
pub mod loaders;
pub mod mutation;
pub mod persisted;
pub mod query;
pub mod review_groups;
pub mod rules;
pub mod subscription;
pub mod types;
pub mod viewer;

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{SDLExportOptions, Schema, ServerError, ServerResult, Variables};

use crate::config::limits::{MAX_DEPTH, PERSISTED_QUERIES};
use crate::register::Register;

/// The schema type served at `/graphql`.
pub type PaichaSchema = Schema<QueryRoot, MutationRoot, subscription::Subscription>;

/// The root of every query.
#[derive(async_graphql::MergedObject)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    query::Query,
    letters::LetterQuery,
    viewer::ViewerQuery,
    review_groups::ReviewGroupQuery,
);

/// The root of every mutation.
#[derive(async_graphql::MergedObject)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    mutation::Mutation,
    letters::LetterMutation,
    household::HouseholdMutation,
);

/// The root objects: the register's queries and mutations merged with the letters'
/// ([`letters`]).
fn roots() -> (QueryRoot, MutationRoot, subscription::Subscription) {
    (
        QueryRoot(
            query::Query,
            letters::LetterQuery,
            viewer::ViewerQuery,
            review_groups::ReviewGroupQuery,
        ),
        MutationRoot(
            mutation::Mutation,
            letters::LetterMutation,
            household::HouseholdMutation,
        ),
        subscription::Subscription,
    )
}

/// The message of a mutation refused because the request may only read (HTTP GET).
pub const MUTATION_NOT_ALLOWED: &str = "mutations are only accepted over POST";

/// Request data marking a request that may only read (sent with HTTP GET), with the
/// operation it names.
#[derive(Debug, Clone, Default)]
pub struct ReadOnly {
    pub operation_name: Option<String>,
}

/// The type of the operation a document would run, when it can be told.
pub fn operation_type(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    match &document.operations {
        DocumentOperations::Single(op) => Some(op.node.ty),
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => ops.get(name).map(|op| op.node.ty),
            None if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
            None => None,
        },
    }
}

/// Refuses mutations in [`ReadOnly`] requests once the document is known, which for a
/// persisted query sent by its hash alone is only after the persisted-query lookup.
struct ReadOnlyGuard;

impl ExtensionFactory for ReadOnlyGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ReadOnlyGuard)
    }
}

#[async_trait::async_trait]
impl Extension for ReadOnlyGuard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Some(read_only) = ctx.data_opt::<ReadOnly>()
            && operation_type(&document, read_only.operation_name.as_deref())
                == Some(OperationType::Mutation)
        {
            return Err(ServerError::new(MUTATION_NOT_ALLOWED, None));
        }
        Ok(document)
    }
}

/// Builds the schema over `register`.
pub fn schema(register: Register) -> PaichaSchema {
    let (query, mutation, subscription) = roots();
    Schema::build(query, mutation, subscription)
        .extension(persisted::PersistedQueries::new(PERSISTED_QUERIES))
        .extension(budget::Budget)
        .extension(ReadOnlyGuard)
        .extension(loaders::PerRequestLoaders(register.clone()))
        // Every unmasked read and every mutation reaches the audit log (src/access/audit.rs).
        .extension(crate::access::audit::AuditExtension::new(
            register.db().clone(),
        ))
        .data(register)
        .limit_depth(MAX_DEPTH)
        // The cost is checked by `budget::Budget`, which names it and the limit in the error.
        .finish()
}

/// The schema's SDL as `paicha schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    let (query, mutation, subscription) = roots();
    Schema::build(query, mutation, subscription)
        .finish()
        .sdl_with_options(
            SDLExportOptions::new()
                .sorted_fields()
                .sorted_arguments()
                .sorted_enum_items()
                .include_specified_by(),
        )
}
