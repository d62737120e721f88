//! `viewer`: who the caller is and what the county looks like to it — the role, its scope,
//! what it may do, the county's today and gazetteer. The console (issue 24) builds its menus
//! and forms from it; any client may ask. Merged into the root query by [`super::QueryRoot`].

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::rules;
use crate::access::guard::principal;
use crate::access::{Permission, Role};
use crate::register::Register;

/// The root query of the caller's own view.
#[derive(Default)]
pub struct ViewerQuery;

/// The caller as its token says, and the county it works in.
#[derive(SimpleObject)]
pub struct Viewer {
    /// The token's role.
    role: Role,
    /// For a TOWNSHIP token: the one township it serves (canonical name).
    township: Option<String>,
    /// For a PARTNER token: the GB/T 2260 code of its jurisdiction.
    jurisdiction: Option<String>,
    /// Everything the role may do (DESIGN §2 "Access"); a client shows only what these allow.
    permissions: Vec<Permission>,
    /// Whether the caller may read ID numbers and phones unmasked (`unmasked: true`, audited).
    can_unmask: bool,
    /// The county's name (`青溪县`).
    county: String,
    /// The county's six-digit GB/T 2260 code.
    county_code: String,
    /// Today in the county (China time) as the server's clock reads it; a demo server pins it.
    today: NaiveDate,
    /// The county's townships with their villages, in gazetteer order; a TOWNSHIP token gets
    /// its own only.
    townships: Vec<ViewerTownship>,
}

/// A township of the county gazetteer.
#[derive(SimpleObject)]
pub struct ViewerTownship {
    /// Canonical name (`城关镇`).
    name: String,
    /// Its villages and communities, canonical names.
    villages: Vec<String>,
}

#[Object]
impl ViewerQuery {
    /// Who the caller is: role, scope and permissions, with the county's today and townships.
    /// Every role may ask.
    #[graphql(guard = "rules::guard(\"viewer\")")]
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let caller = principal(ctx)?;
        let reference = &ctx.data::<Register>()?.reference;
        let gazetteer = &reference.gazetteer;
        let townships = gazetteer
            .townships
            .iter()
            .filter(|t| caller.township.as_ref().is_none_or(|own| own == &t.name))
            .map(|t| ViewerTownship {
                name: t.name.clone(),
                villages: t.villages.clone(),
            })
            .collect();
        Ok(Viewer {
            role: caller.role,
            township: caller.township.clone(),
            jurisdiction: caller.partner.clone(),
            permissions: Permission::ALL
                .into_iter()
                .filter(|p| p.allows(caller.role))
                .collect(),
            can_unmask: Permission::ReadUnmasked.allows(caller.role),
            county: gazetteer.name.clone(),
            county_code: gazetteer.code.clone(),
            today: reference.clock.today(),
            townships,
        })
    }
}
