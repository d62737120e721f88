//! What one HTTP request may cost, all the operations of a JSON array batch together: its
//! complexity, every root field costing [`ROOT_FIELD_COST`] beyond its selection (a thousand
//! aliases of a cheap field run a thousand queries), and its searches, which are capped and
//! counted against the token's rate as requests of their own (a search by a full phone or ID
//! number confirms a masked one: many of them are an oracle).

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensions as _, Pos, ServerError, ServerResult, ValidationResult, Variables,
};

use crate::access::{Access, Principal};
use crate::config::limits::{MAX_COMPLEXITY, MAX_SEARCHES, ROOT_FIELD_COST};
use crate::error::{AppError, code};

/// The root fields that search the register by what identifies a person.
pub const SEARCH_FIELDS: [&str; 2] = ["searchPersons", "personByIdNumber"];

/// What the operations of one HTTP request have spent so far; give each operation of a batch a
/// clone (request data). An operation without one is limited on its own.
#[derive(Debug, Clone, Default)]
pub struct RequestBudget(Arc<Spent>);

#[derive(Debug, Default)]
struct Spent {
    complexity: AtomicUsize,
    searches: AtomicUsize,
}

/// The message of a request refused for its rate, `seconds` being how long to wait.
pub fn rate_message(seconds: u64) -> String {
    format!("请求过于频繁，请 {seconds} 秒后再试")
}

/// Root fields and searches of a document's costliest operation (only one of them runs).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counted {
    roots: usize,
    searches: usize,
}

fn counted(document: &ExecutableDocument) -> Counted {
    document
        .operations
        .iter()
        .map(|(_, op)| {
            let mut counted = Counted::default();
            count(
                &op.node.selection_set.node,
                document,
                &mut HashSet::new(),
                &mut counted,
            );
            counted
        })
        .fold(Counted::default(), |a, b| Counted {
            roots: a.roots.max(b.roots),
            searches: a.searches.max(b.searches),
        })
}

/// Counts the fields of a root selection, fragments followed (each once: the document is not
/// validated yet and may spread fragments in a cycle).
fn count<'a>(
    set: &'a SelectionSet,
    document: &'a ExecutableDocument,
    spread: &mut HashSet<&'a str>,
    counted: &mut Counted,
) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                counted.roots += 1;
                if SEARCH_FIELDS.contains(&field.node.name.node.as_str()) {
                    counted.searches += 1;
                }
            }
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.as_str();
                if spread.insert(name)
                    && let Some(fragment) = document.fragments.get(&s.node.fragment_name.node)
                {
                    count(&fragment.node.selection_set.node, document, spread, counted);
                }
            }
            Selection::InlineFragment(inline) => {
                count(&inline.node.selection_set.node, document, spread, counted);
            }
        }
    }
}

/// The schema extension that holds every request to its [`RequestBudget`].
pub struct Budget;

impl ExtensionFactory for Budget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(BudgetRequest {
            own: RequestBudget::default(),
            roots: Mutex::default(),
        })
    }
}

struct BudgetRequest {
    /// The budget of an operation sent without one.
    own: RequestBudget,
    /// Root fields of the document, once parsed.
    roots: Mutex<usize>,
}

impl BudgetRequest {
    fn budget<'a>(&'a self, ctx: &ExtensionContext<'a>) -> &'a Spent {
        &ctx.data_opt::<RequestBudget>().unwrap_or(&self.own).0
    }
}

fn bad_input(message: String) -> ServerError {
    async_graphql::Error::from(AppError::BadInput(message)).into_server_error(Pos::default())
}

/// The refusal of a request whose operations together cost `spent` (this one `cost`): the
/// message says how the cost is counted, `extensions.cost` and `extensions.limit` carry the
/// figures.
fn too_costly(cost: usize, spent: usize) -> ServerError {
    let message = if spent == cost {
        format!("查询过于复杂（Query is too complex）：成本 {spent}，上限 {MAX_COMPLEXITY}")
    } else {
        format!(
            "查询过于复杂（Query is too complex）：本批请求合计成本 {spent}（本操作 {cost}），\
             上限 {MAX_COMPLEXITY}"
        )
    };
    async_graphql::Error::new(format!(
        "{message}。每个字段在结果中每出现一次计 1，连接按所请求页的条数计，\
         每个根字段另计 {ROOT_FIELD_COST}；请减少 first/last 或所选字段"
    ))
    .extend_with(|_, e| {
        e.set("code", code::BAD_USER_INPUT);
        e.set("cost", spent);
        e.set("limit", MAX_COMPLEXITY);
    })
    .into_server_error(Pos::default())
}

#[async_graphql::async_trait::async_trait]
impl Extension for BudgetRequest {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let counted = counted(&document);
        *self.roots.lock().unwrap_or_else(PoisonError::into_inner) = counted.roots;
        if counted.searches == 0 {
            return Ok(document);
        }
        let searches = self
            .budget(ctx)
            .searches
            .fetch_add(counted.searches, Ordering::Relaxed)
            + counted.searches;
        if searches > MAX_SEARCHES {
            return Err(bad_input(format!(
                "一次请求最多搜索 {MAX_SEARCHES} 次（searchPersons 与 personByIdNumber，\
                 别名与批量操作合计），本次 {searches} 次"
            )));
        }
        if let (Some(access), Some(principal)) =
            (ctx.data_opt::<Access>(), ctx.data_opt::<Principal>())
            && let Err(wait) = access.charge(principal, counted.searches)
        {
            let seconds = wait.as_secs() + 1;
            return Err(async_graphql::Error::new(rate_message(seconds))
                .extend_with(|_, e| {
                    e.set("code", code::RATE_LIMITED);
                    e.set("retryAfter", seconds);
                })
                .into_server_error(Pos::default()));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let roots = *self.roots.lock().unwrap_or_else(PoisonError::into_inner);
        let cost = result
            .complexity
            .saturating_add(roots.saturating_mul(ROOT_FIELD_COST));
        let spent = self
            .budget(ctx)
            .complexity
            .fetch_add(cost, Ordering::Relaxed)
            .saturating_add(cost);
        if spent > MAX_COMPLEXITY {
            return Err(vec![too_costly(cost, spent)]);
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(query: &str) -> Counted {
        counted(&async_graphql::parser::parse_query(query).expect("query"))
    }

    #[test]
    fn root_fields_and_searches_are_counted_through_aliases_and_fragments() {
        assert_eq!(
            of(r#"{ a: stats { persons } b: stats { persons } }"#),
            Counted {
                roots: 2,
                searches: 0
            }
        );
        assert_eq!(
            of(r#"query { a: searchPersons(text: "1") { totalCount } ...F
                          ... on Query { c: personByIdNumber(idNumber: "2") { id } } }
                  fragment F on Query { b: searchPersons(text: "3") { totalCount } ...F }"#),
            Counted {
                roots: 3,
                searches: 3
            }
        );
        // Only one operation runs: the costliest counts.
        assert_eq!(
            of(
                r#"query A { stats { persons } } query B { x: stats { persons } y: stats { persons } }"#
            ),
            Counted {
                roots: 2,
                searches: 0
            }
        );
    }
}
