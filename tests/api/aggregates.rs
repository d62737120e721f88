//! The everyday questions in one request (issue 19): aggregates that cross-tabulate, with day
//! series and running totals and a dashboard's suppression, and persons filters that take
//! several values, jurisdiction prefixes, a source still missing and the fields in conflict.

use std::collections::{BTreeMap, BTreeSet};

use paicha::access::Role;
use serde_json::{Value, json};

use crate::exposure::token;
use crate::helpers::TestApp;
use crate::queries::all_persons;

crate::on_every_backend!(
    groups_cross_tabulate_the_register_with_every_township_and_every_day,
    a_dashboard_sees_no_small_group_in_any_row_column_or_running_total,
    filters_take_several_values_jurisdiction_prefixes_missing_sources_and_conflicts,
    an_unknown_place_in_a_filter_is_refused_by_name,
    a_cross_tabulation_is_one_sql_statement_whatever_the_register_holds,
);

fn sources(p: &Value) -> BTreeSet<String> {
    p["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["source"].as_str().expect("source").to_owned())
        .collect()
}

/// The groups of `aggregates(groupBy: $by, days: $days, filter: $f)`, as the admin sees them.
async fn groups(app: &TestApp, by: Value, days: Value, filter: Value) -> Vec<Value> {
    let data = app
        .gql_data(
            "query($by: [GroupBy!], $days: DayRangeInput, $f: PersonFilterInput) {
               aggregates(groupBy: $by, days: $days, filter: $f) {
                 persons groups { keys { township status hubeiLink source day
                                         jurisdiction { code name } }
                                  count runningTotal } } }",
            json!({ "by": by, "days": days, "f": filter }),
        )
        .await;
    data["aggregates"]["groups"]
        .as_array()
        .expect("groups")
        .clone()
}

fn county_townships(app: &TestApp) -> Vec<String> {
    app.register
        .reference
        .gazetteer
        .townships
        .iter()
        .map(|t| t.name.clone())
        .collect()
}

async fn groups_cross_tabulate_the_register_with_every_township_and_every_day(app: TestApp) {
    let empty = app
        .gql_data("{ aggregates { dataAsOf } stats { dataAsOf } }", json!({}))
        .await;
    assert!(empty["aggregates"]["dataAsOf"].is_null(), "{empty}");
    app.import_all_samples().await;
    let persons = all_persons(&app).await;
    let n = persons.len() as u64;

    // Without groupBy: one group, everyone.
    let all = groups(&app, json!(null), json!(null), json!(null)).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["count"].as_u64(), Some(n));

    // Township x status: every township of the gazetteer under every status, zero included.
    let townships = county_townships(&app);
    let by = groups(
        &app,
        json!(["TOWNSHIP", "STATUS"]),
        json!(null),
        json!(null),
    )
    .await;
    let statuses = ["IN_COUNTY", "OUT_OF_COUNTY", "PENDING_VERIFICATION"];
    for t in &townships {
        for s in statuses {
            let row = by
                .iter()
                .find(|g| g["keys"]["township"] == t.as_str() && g["keys"]["status"] == s)
                .unwrap_or_else(|| panic!("{t} {s} listed: {by:?}"));
            let want = persons
                .iter()
                .filter(|p| p["township"] == t.as_str() && p["locationStatus"] == s)
                .count() as u64;
            assert_eq!(row["count"].as_u64(), Some(want), "{t} {s}");
            assert!(row["keys"]["hubeiLink"].is_null() && row["runningTotal"].is_null());
        }
    }
    assert!(
        by.iter().any(|g| g["count"] == 0),
        "some township has no one"
    );
    let total: u64 = by.iter().map(|g| g["count"].as_u64().expect("n")).sum();
    assert_eq!(total, n, "every person in one group");

    // Source: a person once per source that found them.
    let by = groups(&app, json!(["SOURCE"]), json!(null), json!(null)).await;
    assert_eq!(by.len(), 3, "{by:?}");
    for g in &by {
        let source = g["keys"]["source"].as_str().expect("source");
        let want = persons
            .iter()
            .filter(|p| sources(p).contains(source))
            .count() as u64;
        assert_eq!(g["count"].as_u64(), Some(want), "{source}");
    }

    // Jurisdiction: where out-of-county persons are, the county itself for the others.
    let county = app.register.reference.gazetteer.code.clone();
    let by = groups(&app, json!(["JURISDICTION"]), json!(null), json!(null)).await;
    let mut want: BTreeMap<Option<String>, u64> = BTreeMap::new();
    for p in &persons {
        let key = match p["locationStatus"].as_str() {
            Some("IN_COUNTY") => Some(county.clone()),
            Some("OUT_OF_COUNTY") => p["jurisdiction"]["code"].as_str().map(str::to_owned),
            _ => None,
        };
        *want.entry(key).or_default() += 1;
    }
    let got: BTreeMap<Option<String>, u64> = by
        .iter()
        .map(|g| {
            (
                g["keys"]["jurisdiction"]["code"]
                    .as_str()
                    .map(str::to_owned),
                g["count"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert!(
        want.keys().flatten().any(|c| *c != county),
        "the samples have persons out of the county: {want:?}"
    );
    for g in &by {
        if g["keys"]["jurisdiction"]["code"].as_str() == Some("420102") {
            assert_eq!(g["keys"]["jurisdiction"]["name"], "湖北省武汉市江岸区");
        }
    }

    // Days: by default the days of the data, every day listed, a running total per link.
    let mut days: Vec<&str> = persons
        .iter()
        .filter_map(|p| p["firstReported"].as_str())
        .collect();
    days.sort_unstable();
    days.dedup();
    assert!(days.len() >= 2, "the samples span days: {days:?}");
    let (first, last) = (days[0], days[days.len() - 1]);
    let by = groups(&app, json!(["HUBEI_LINK", "DAY"]), json!(null), json!(null)).await;
    let span = (date(last) - date(first)).num_days() as usize + 1;
    assert_eq!(
        by.len(),
        3 * span,
        "3 links x every day from {first} to {last}"
    );
    for link in ["WUHAN", "OTHER_HUBEI", "UNKNOWN"] {
        let series: Vec<&Value> = by
            .iter()
            .filter(|g| g["keys"]["hubeiLink"] == link)
            .collect();
        assert_eq!(series.len(), span);
        assert_eq!(series[0]["keys"]["day"], first);
        assert_eq!(series[span - 1]["keys"]["day"], last);
        for g in &series {
            let day = g["keys"]["day"].as_str().expect("day");
            let on = |p: &&Value, keep: &dyn Fn(&str) -> bool| {
                p["hubeiLink"] == link && p["firstReported"].as_str().is_some_and(keep)
            };
            let count = persons.iter().filter(|p| on(p, &|d| d == day)).count() as u64;
            let running = persons.iter().filter(|p| on(p, &|d| d <= day)).count() as u64;
            assert_eq!(g["count"].as_u64(), Some(count), "{link} {day}");
            assert_eq!(g["runningTotal"].as_u64(), Some(running), "{link} {day}");
        }
    }

    // A range of days: empty days before and after the data filled; persons before the
    // range count in the running totals only.
    let from = date(days[1]);
    let to = date(last) + chrono::Duration::days(3);
    let by = groups(
        &app,
        json!(["DAY"]),
        json!({ "from": from.to_string(), "to": to.to_string() }),
        json!(null),
    )
    .await;
    assert_eq!(by.len(), (to - from).num_days() as usize + 1);
    let before = persons
        .iter()
        .filter(|p| p["firstReported"].as_str().is_some_and(|d| d < days[1]))
        .count() as u64;
    let in_range: u64 = by.iter().map(|g| g["count"].as_u64().expect("n")).sum();
    assert_eq!(before + in_range, n, "{by:?}");
    assert_eq!(by[by.len() - 1]["count"], 0);
    assert_eq!(by[by.len() - 1]["runningTotal"].as_u64(), Some(n));
    assert_eq!(
        by[0]["runningTotal"].as_u64(),
        Some(before + by[0]["count"].as_u64().expect("n"))
    );

    // Filters apply to the groups too.
    let wuhan = groups(
        &app,
        json!(["STATUS"]),
        json!(null),
        json!({ "hubeiLink": "WUHAN" }),
    )
    .await;
    let sum: u64 = wuhan.iter().map(|g| g["count"].as_u64().expect("n")).sum();
    let want = persons.iter().filter(|p| p["hubeiLink"] == "WUHAN").count() as u64;
    assert_eq!(sum, want);

    // dataAsOf: the newest batch.
    let data = app
        .gql_data(
            "{ aggregates { dataAsOf } stats { dataAsOf }
               importBatches(last: 1) { edges { node { importedAt } } } }",
            json!({}),
        )
        .await;
    let newest = &data["importBatches"]["edges"][0]["node"]["importedAt"];
    let instant = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time")).expect("RFC 3339")
    };
    assert_eq!(instant(&data["aggregates"]["dataAsOf"]), instant(newest));
    assert_eq!(instant(&data["stats"]["dataAsOf"]), instant(newest));

    // Refusals: a range without days, a range backwards, too many groups.
    for (query, what) in [
        (
            r#"{ aggregates(groupBy: [STATUS], days: { from: "2020-01-01" }) { persons } }"#,
            "days",
        ),
        (
            r#"{ aggregates(groupBy: [DAY], days: { from: "2020-02-01", to: "2020-01-01" }) { persons } }"#,
            "days",
        ),
        (
            r#"{ aggregates(groupBy: [DAY, TOWNSHIP, STATUS, SOURCE], days: { from: "2000-01-01", to: "2030-01-01" }) { groups { count } } }"#,
            "分组过多",
        ),
    ] {
        let body = app.gql(query, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{body}"
        );
        let message = body["errors"][0]["message"].as_str().expect("message");
        assert!(message.contains(what), "{message}");
    }
}

fn date(d: &str) -> chrono::NaiveDate {
    d.parse().expect("a day")
}

const DASHBOARD_GROUPS: &str = "query($by: [GroupBy!]) { aggregates(groupBy: $by) {
    suppressedBelow groups { keys { township status hubeiLink source day jurisdiction { code } }
                             count runningTotal } } }";

/// The lines of a cross-tabulation: groups that share every key but `dim`'s (for `DAY`, see
/// the running totals instead).
fn lines(groups: &[Value], dims: &[&str], dim: &str) -> Vec<Vec<usize>> {
    let mut by_rest: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        let rest: Vec<String> = dims
            .iter()
            .filter(|d| **d != dim)
            .map(|d| g["keys"][*d].to_string())
            .collect();
        by_rest.entry(rest.join("|")).or_default().push(i);
    }
    by_rest.into_values().collect()
}

async fn a_dashboard_sees_no_small_group_in_any_row_column_or_running_total(app: TestApp) {
    app.import_all_samples().await;
    let dashboard = token(&app, Role::Dashboard, None, None).await;
    for dims in [
        vec!["township", "status"],
        vec!["hubeiLink", "source"],
        vec!["status", "day"],
        vec!["jurisdiction"],
    ] {
        let by: Vec<String> = dims
            .iter()
            .map(|d| match *d {
                "hubeiLink" => "HUBEI_LINK".to_owned(),
                d => d.to_uppercase(),
            })
            .collect();
        let truth =
            app.gql_data(DASHBOARD_GROUPS, json!({ "by": by })).await["aggregates"]["groups"]
                .as_array()
                .expect("groups")
                .clone();
        let (_, body) = app
            .post_as(Some(&dashboard), DASHBOARD_GROUPS, json!({ "by": by }))
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["aggregates"]["suppressedBelow"], 5);
        let shown = body["data"]["aggregates"]["groups"]
            .as_array()
            .expect("groups")
            .clone();
        assert_eq!(shown.len(), truth.len(), "the same groups, listed");
        let small = |n: u64| (1..5).contains(&n);
        let count = |i: usize| truth[i]["count"].as_u64().expect("n");
        assert!(
            (0..truth.len()).any(|i| small(count(i))),
            "{dims:?}: the samples hold small groups: {truth:?}"
        );
        for (i, g) in shown.iter().enumerate() {
            assert_eq!(g["keys"], truth[i]["keys"]);
            if small(count(i)) {
                assert!(g["count"].is_null(), "{dims:?}: {g} is {}", count(i));
            } else if !g["count"].is_null() {
                assert_eq!(g["count"], truth[i]["count"]);
            }
        }
        // In every row and column, the withheld counts are none, or two at least adding up
        // to the minimum at least: none follows from the line's total.
        for dim in dims.iter().filter(|d| **d != "day") {
            for line in lines(&truth, &dims, dim) {
                let withheld: Vec<u64> = line
                    .iter()
                    .filter(|&&i| shown[i]["count"].is_null())
                    .map(|&i| count(i))
                    .collect();
                let sum: u64 = withheld.iter().sum();
                // (Or everything: a line of fewer than 5 persons in all.)
                let everything = line
                    .iter()
                    .all(|&i| count(i) == 0 || shown[i]["count"].is_null());
                assert!(
                    withheld.is_empty() || (withheld.len() >= 2 && sum >= 5) || everything,
                    "{dims:?} along {dim}: {withheld:?} withheld"
                );
            }
        }
        // Along the days: between two running totals shown, the rise is 0 or 5 at least and
        // the days withheld are none, or two at least adding up to 5 at least.
        if dims.contains(&"day") {
            for line in lines(&truth, &dims, "day") {
                let mut stretch: Vec<u64> = Vec::new();
                let mut last: Option<u64> = None;
                for &i in &line {
                    if shown[i]["count"].is_null() {
                        stretch.push(count(i));
                    }
                    let Some(total) = shown[i]["runningTotal"].as_u64() else {
                        continue;
                    };
                    assert_eq!(shown[i]["runningTotal"], truth[i]["runningTotal"]);
                    assert!(total == 0 || total >= 5, "{total}");
                    if let Some(last) = last {
                        assert!(total == last || total - last >= 5, "{last} -> {total}");
                    }
                    let sum: u64 = stretch.iter().sum();
                    assert!(
                        stretch.is_empty() || (stretch.len() >= 2 && sum >= 5),
                        "days withheld before a running total: {stretch:?}"
                    );
                    stretch.clear();
                    last = Some(total);
                }
            }
        }
    }
}

async fn ids_of(app: &TestApp, filter: Value) -> BTreeSet<String> {
    let data = app
        .gql_data(
            "query($f: PersonFilterInput) { persons(first: 500, filter: $f) { totalCount edges { node { id } } }
                                            aggregates(filter: $f) { persons } }",
            json!({ "f": filter }),
        )
        .await;
    let ids: BTreeSet<String> = data["persons"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        data["persons"]["totalCount"].as_u64(),
        Some(ids.len() as u64)
    );
    assert_eq!(
        data["aggregates"]["persons"].as_u64(),
        Some(ids.len() as u64),
        "aggregates count what persons lists"
    );
    ids
}

fn expected(persons: &[Value], keep: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    persons
        .iter()
        .filter(|p| keep(p))
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect()
}

fn conflicted(p: &Value, field: &str) -> bool {
    p["golden"][field]["conflicts"]
        .as_array()
        .is_some_and(|c| !c.is_empty())
}

async fn filters_take_several_values_jurisdiction_prefixes_missing_sources_and_conflicts(
    app: TestApp,
) {
    app.import_all_samples().await;
    let persons = all_persons(&app).await;
    let check = |name: &'static str, filter: Value, want: BTreeSet<String>| {
        let app = &app;
        async move {
            let got = ids_of(app, filter.clone()).await;
            assert_eq!(got, want, "filter {name}: {filter}");
        }
    };
    let status_in = |set: &'static [&'static str]| {
        expected(&persons, move |p| {
            set.iter().any(|s| p["locationStatus"] == *s)
        })
    };
    check(
        "two statuses",
        json!({ "locationStatus": ["IN_COUNTY", "OUT_OF_COUNTY"] }),
        status_in(&["IN_COUNTY", "OUT_OF_COUNTY"]),
    )
    .await;
    // A single value where a list is expected: old clients keep working, as a variable ...
    let in_county = status_in(&["IN_COUNTY"]);
    assert!(!in_county.is_empty());
    check(
        "one status",
        json!({ "locationStatus": "IN_COUNTY" }),
        in_county.clone(),
    )
    .await;
    // ... and written in the query.
    let data = app
        .gql_data(
            "{ persons(first: 500, filter: { locationStatus: IN_COUNTY, hubeiLink: WUHAN, source: TOWNSHIP }) { totalCount } }",
            json!({}),
        )
        .await;
    let want = expected(&persons, |p| {
        p["locationStatus"] == "IN_COUNTY"
            && p["hubeiLink"] == "WUHAN"
            && sources(p).contains("TOWNSHIP")
    });
    assert_eq!(
        data["persons"]["totalCount"].as_u64(),
        Some(want.len() as u64)
    );
    // ... and as a variable of the single type an old client declared.
    let data = app
        .gql_data(
            "query($s: LocationStatus, $l: HubeiLink) {
               persons(filter: { locationStatus: $s, hubeiLink: $l }) { totalCount } }",
            json!({ "s": "IN_COUNTY", "l": "WUHAN" }),
        )
        .await;
    let want = expected(&persons, |p| {
        p["locationStatus"] == "IN_COUNTY" && p["hubeiLink"] == "WUHAN"
    });
    assert_eq!(
        data["persons"]["totalCount"].as_u64(),
        Some(want.len() as u64)
    );
    check(
        "no status",
        json!({ "locationStatus": [] }),
        BTreeSet::new(),
    )
    .await;
    check(
        "two links",
        json!({ "hubeiLink": ["WUHAN", "OTHER_HUBEI"] }),
        expected(&persons, |p| p["hubeiLink"] != "UNKNOWN"),
    )
    .await;
    check(
        "two sources",
        json!({ "source": ["BIGDATA", "EXTERNAL"] }),
        expected(&persons, |p| {
            let s = sources(p);
            s.contains("BIGDATA") || s.contains("EXTERNAL")
        }),
    )
    .await;

    // Missing a source: not yet checked on site.
    let unchecked = expected(&persons, |p| !sources(p).contains("TOWNSHIP"));
    assert!(
        !unchecked.is_empty(),
        "the samples have persons not yet checked"
    );
    check(
        "missingSource",
        json!({ "missingSource": "TOWNSHIP" }),
        unchecked,
    )
    .await;

    // Jurisdictions by code prefix; in-county persons are in the county's own code.
    let county = app.register.reference.gazetteer.code.clone();
    let in_jurisdiction = |prefix: &str| {
        expected(&persons, |p| {
            p["jurisdiction"]["code"]
                .as_str()
                .is_some_and(|c| c.starts_with(prefix))
                || (p["locationStatus"] == "IN_COUNTY" && county.starts_with(prefix))
        })
    };
    let code = persons
        .iter()
        .find_map(|p| p["jurisdiction"]["code"].as_str())
        .expect("the samples have persons out of the county")
        .to_owned();
    let city = &code[..4];
    let of_city = in_jurisdiction(city);
    assert!(!of_city.is_empty());
    check(
        "jurisdiction of a city",
        json!({ "jurisdiction": city }),
        of_city.clone(),
    )
    .await;
    check(
        "jurisdiction of a city, as a city's code",
        json!({ "jurisdiction": format!("{city}00") }),
        of_city,
    )
    .await;
    check(
        "jurisdiction of a province",
        json!({ "jurisdiction": &code[..2] }),
        in_jurisdiction(&code[..2]),
    )
    .await;
    check(
        "jurisdiction of a county",
        json!({ "jurisdiction": code }),
        in_jurisdiction(&code),
    )
    .await;
    check(
        "Hubei",
        json!({ "jurisdiction": "42" }),
        in_jurisdiction("42"),
    )
    .await;
    check(
        "the county",
        json!({ "jurisdiction": county.clone() }),
        in_jurisdiction(&county),
    )
    .await;
    let bad = app
        .gql(
            r#"{ persons(filter: { jurisdiction: "武汉" }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{bad}"
    );

    // Conflicts on the fields named.
    for (field, keep) in [
        (
            "NAME",
            &(|p: &Value| conflicted(p, "name")) as &dyn Fn(&Value) -> bool,
        ),
        ("ID_NUMBER", &|p: &Value| conflicted(p, "idNumber")),
        ("ADDRESS", &|p: &Value| conflicted(p, "address")),
        ("LOCATION", &|p: &Value| {
            p["locationConflict"] == true || conflicted(p, "township") || conflicted(p, "village")
        }),
    ] {
        check(
            "conflicts",
            json!({ "conflicts": [field] }),
            expected(&persons, keep),
        )
        .await;
    }
    let name_or_location = expected(&persons, |p| {
        conflicted(p, "name")
            || p["locationConflict"] == true
            || conflicted(p, "township")
            || conflicted(p, "village")
    });
    assert!(!name_or_location.is_empty(), "the samples have conflicts");
    check(
        "conflicts on two fields",
        json!({ "conflicts": ["NAME", "LOCATION"] }),
        name_or_location,
    )
    .await;

    // Traditional characters and a missing suffix still name a township of the county.
    let township = persons
        .iter()
        .find_map(|p| p["township"].as_str())
        .expect("a township")
        .to_owned();
    let stem: String = township
        .chars()
        .take(township.chars().count() - 1)
        .collect();
    check(
        "township without its suffix",
        json!({ "township": stem }),
        expected(&persons, |p| p["township"] == township.as_str()),
    )
    .await;
}

async fn an_unknown_place_in_a_filter_is_refused_by_name(app: TestApp) {
    app.import_all_samples().await;
    let township = county_townships(&app)[0].clone();
    for (filter, named) in [
        (json!({ "township": "火星镇" }), "未知的乡镇：火星镇"),
        (json!({ "village": "月亮村" }), "月亮村"),
        (
            json!({ "township": township, "village": "月亮村" }),
            "月亮村",
        ),
    ] {
        for query in [
            "query($f: PersonFilterInput) { persons(filter: $f) { totalCount } }",
            "query($f: PersonFilterInput) { aggregates(filter: $f) { persons } }",
            "query($f: PersonFilterInput) { aggregates(filter: $f, groupBy: [STATUS]) { groups { count } } }",
        ] {
            let body = app.gql(query, json!({ "f": filter })).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{filter}: {body}"
            );
            let message = body["errors"][0]["message"].as_str().expect("message");
            assert!(message.contains(named), "{message}");
        }
    }
}

async fn a_cross_tabulation_is_one_sql_statement_whatever_the_register_holds(app: TestApp) {
    let without = "{ aggregates { persons } }";
    let with = "{ aggregates(groupBy: [TOWNSHIP, SOURCE, DAY], days: { from: \"2020-01-01\", to: \"2020-03-01\" }) {
                   persons groups { count runningTotal } } }";
    let mut extra = Vec::new();
    for size in [20, 120] {
        let files = paicha::synth::generate(
            size,
            20_200_127 + size as u64,
            &paicha::Reference::load(None).expect("demo county"),
        );
        crate::helpers::import_synthetic(&app.register, &files).await;
        let (plain, _) = crate::queries::statements_for(&app, without).await;
        let (grouped, data) = crate::queries::statements_for(&app, with).await;
        let groups = data["aggregates"]["groups"].as_array().expect("groups");
        let counted: u64 = groups.iter().filter_map(|g| g["count"].as_u64()).sum();
        assert!(counted > 0, "{data}");
        extra.push(grouped - plain);
    }
    assert_eq!(extra, vec![1, 1], "the groups are counted by one GROUP BY");
}
