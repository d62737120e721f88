//! The GraphQL schema: queries and mutations over the register (DESIGN §2).

pub mod connection;
pub mod mutation;
pub mod query;
pub mod types;

use async_graphql::{EmptySubscription, SDLExportOptions, Schema};

use crate::register::Register;

/// The schema type served at `/graphql`.
pub type PaichaSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Deepest query accepted (the standard introspection query of GraphiQL and graphql-js needs
/// about 15 levels).
pub const MAX_DEPTH: usize = 20;
/// Most complex query accepted (fields, each list counted by its page size).
pub const MAX_COMPLEXITY: usize = 5_000;

/// Builds the schema over `register`.
pub fn schema(register: Register) -> PaichaSchema {
    Schema::build(query::Query, mutation::Mutation, EmptySubscription)
        // Every unmasked read and every mutation reaches the audit log (src/access/audit.rs).
        .extension(crate::access::audit::AuditExtension::new(
            register.db.clone(),
        ))
        .data(register)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The schema's SDL as `paicha schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(query::Query, mutation::Mutation, EmptySubscription)
        .finish()
        .sdl_with_options(
            SDLExportOptions::new()
                .sorted_fields()
                .sorted_arguments()
                .sorted_enum_items()
                .include_specified_by(),
        )
}
