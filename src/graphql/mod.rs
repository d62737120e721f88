//! The GraphQL schema: queries, mutations and subscriptions over the register (DESIGN §2).

pub mod connection;
pub mod loaders;
pub mod mutation;
pub mod query;
pub mod subscription;
pub mod types;

use async_graphql::{SDLExportOptions, Schema};

use crate::register::Register;

/// The schema type served at `/graphql`.
pub type PaichaSchema = Schema<query::Query, mutation::Mutation, subscription::Subscription>;

/// Deepest query accepted (the standard introspection query of GraphiQL and graphql-js needs
/// about 15 levels).
pub const MAX_DEPTH: usize = 20;
/// Most complex query accepted: every field counts 1, a connection's selection once per item
/// of the largest page it may return.
pub const MAX_COMPLEXITY: usize = 5_000;

/// Builds the schema over `register`.
pub fn schema(register: Register) -> PaichaSchema {
    Schema::build(query::Query, mutation::Mutation, subscription::Subscription)
        .extension(loaders::PerRequestLoaders(register.clone()))
        .data(register)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The schema's SDL as `paicha schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(query::Query, mutation::Mutation, subscription::Subscription)
        .finish()
        .sdl_with_options(
            SDLExportOptions::new()
                .sorted_fields()
                .sorted_arguments()
                .sorted_enum_items()
                .include_specified_by(),
        )
}
