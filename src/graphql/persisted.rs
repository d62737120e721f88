//! Automatic persisted queries (Apollo's protocol: a client sends a query's sha256, and the
//! query itself only when the server answers `PersistedQueryNotFound`), kept per role.
//!
//! A hash is looked up among the queries the caller's role registered: had the cache been one
//! for all, a role the query's fields are forbidden to would hear `FORBIDDEN` for a hash
//! another role registered, and so learn that someone asks that query.

use std::any::TypeId;
use std::sync::Arc;

use async_graphql::extensions::apollo_persisted_queries::{CacheStorage, LruCacheStorage};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::{Request, ServerError, ServerResult};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::access::Principal;

#[derive(Deserialize)]
struct PersistedQuery {
    version: i32,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

/// The persisted-queries extension, holding `capacity` queries (all roles together, least
/// recently used dropped first).
pub struct PersistedQueries(LruCacheStorage);

impl PersistedQueries {
    /// A cache of `capacity` queries.
    pub fn new(capacity: usize) -> Self {
        Self(LruCacheStorage::new(capacity))
    }
}

impl ExtensionFactory for PersistedQueries {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PersistedQueriesRequest(self.0.clone()))
    }
}

struct PersistedQueriesRequest(LruCacheStorage);

/// The cache key of `hash` for the caller of `request` (`NONE`: a request without one, which
/// the guards refuse).
fn key(request: &Request, hash: &str) -> String {
    let role = request
        .data
        .get(&TypeId::of::<Principal>())
        .and_then(|data| data.downcast_ref::<Principal>())
        .map_or("NONE", |p| p.role.as_str());
    format!("{role}:{hash}")
}

#[async_graphql::async_trait::async_trait]
impl Extension for PersistedQueriesRequest {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let Some(value) = request.extensions.remove("persistedQuery") else {
            return next.run(ctx, request).await;
        };
        let persisted: PersistedQuery = async_graphql::from_value(value).map_err(|_| {
            ServerError::new("Invalid \"PersistedQuery\" extension configuration.", None)
        })?;
        if persisted.version != 1 {
            return Err(ServerError::new(
                format!(
                    "Only the \"PersistedQuery\" extension of version \"1\" is supported, and \
                     the current version is \"{}\".",
                    persisted.version
                ),
                None,
            ));
        }
        let key = key(&request, &persisted.sha256_hash);
        if request.query.is_empty() {
            let Some(document) = self.0.get(key).await else {
                return Err(ServerError::new("PersistedQueryNotFound", None));
            };
            request.set_parsed_query(document);
        } else {
            let hash = hex::encode(Sha256::digest(request.query.as_bytes()));
            if persisted.sha256_hash != hash {
                return Err(ServerError::new("provided sha does not match query", None));
            }
            let document = async_graphql::parser::parse_query(&request.query)?;
            self.0.set(key, document.clone()).await;
            request.query = String::new();
            request.set_parsed_query(document);
        }
        next.run(ctx, request).await
    }
}
