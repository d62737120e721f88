//! Search that finds a half-remembered person (issue 19): a surname alone, the beginning of
//! a name in characters or pinyin, pinyin heard alike, tone marks and apostrophes, phone and
//! ID endings; each hit says what it matched on; best match first; with the persons filter.

use paicha::intake::SourceKind;
use serde_json::{Value, json};

use crate::helpers::{TestApp, import_file};

crate::on_every_backend!(
    a_surname_alone_or_the_beginning_of_a_name_finds_its_persons,
    pinyin_heard_alike_finds_the_person_after_the_exact_ones,
    tone_marks_apostrophes_and_traditional_characters_are_read,
    phone_and_id_endings_say_what_they_matched,
    a_search_combines_with_the_persons_filter_and_pages_in_rank_order,
    an_ending_longer_than_masking_shows_is_audited_by_its_hash,
);

const PEOPLE: &str = "record_id,township,village,name,sex,age,id_number,phone,address,report_date\n\
    S-1,高桥乡,高桥村,潘建国,男,50,411599197001010103,13912340001,高桥乡高桥村1组,2020-01-26\n\
    S-2,杨柳乡,梅岭村,潘曉燕,女,49,411599197102020212,13912340002,杨柳乡梅岭村2组,2020-01-26\n\
    S-3,高桥乡,罗洼村,庞大海,男,48,411599197203030321,13912340003,高桥乡罗洼村3组,2020-01-26\n\
    S-4,高桥乡,高桥村,高敏,女,47,411599197304040430,13912345678,高桥乡高桥村4组,2020-01-26\n\
    S-5,高桥乡,余庄村,高明,男,46,41159919740505054X,13912340005,高桥乡余庄村5组,2020-01-26\n\
    S-6,杨柳乡,杨柳村,席安娜,女,45,411599197506060659,13912340006,杨柳乡杨柳村6组,2020-01-26\n\
    S-7,杨柳乡,杜店村,冼娜,女,44,411599197607070768,13912340007,杨柳乡杜店村7组,2020-01-26\n\
    S-8,杨柳乡,高庄村,黄丽萍,女,43,411599197708080877,13912340008,杨柳乡高庄村8组,2020-01-26\n\
    S-9,杨柳乡,魏湾村,黄莉,女,42,411599197809090986,13912340009,杨柳乡魏湾村9组,2020-01-26\n\
    S-10,杨柳乡,丁集村,吕芳,女,41,411599197910101096,13912340010,杨柳乡丁集村10组,2020-01-26\n";

async fn people(app: &TestApp) {
    import_file(&app.register, SourceKind::Township, "people.csv", PEOPLE).await;
}

const SEARCH: &str = "query($t: String!, $f: PersonFilterInput, $first: Int, $after: String) {
    searchPersons(text: $t, filter: $f, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { cursor matchedOn matchQuality node { name township } } } }";

/// (name, matchedOn) of every hit of `text`, in order.
async fn hits(app: &TestApp, text: &str) -> Vec<(String, Vec<String>)> {
    let data = search(app, text, json!(null)).await;
    edges(&data)
}

async fn search(app: &TestApp, text: &str, filter: Value) -> Value {
    app.gql_data(SEARCH, json!({ "t": text, "f": filter, "first": 50 }))
        .await["searchPersons"]
        .clone()
}

fn edges(data: &Value) -> Vec<(String, Vec<String>)> {
    data["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let on = e["matchedOn"]
                .as_array()
                .expect("matchedOn")
                .iter()
                .map(|m| m.as_str().unwrap_or_default().to_owned())
                .collect();
            (
                e["node"]["name"].as_str().unwrap_or_default().to_owned(),
                on,
            )
        })
        .collect()
}

fn names(hits: &[(String, Vec<String>)]) -> Vec<&str> {
    hits.iter().map(|(n, _)| n.as_str()).collect()
}

async fn a_surname_alone_or_the_beginning_of_a_name_finds_its_persons(app: TestApp) {
    people(&app).await;
    let found = hits(&app, "潘").await;
    assert_eq!(names(&found), vec!["潘建国", "潘晓燕"], "{found:?}");
    assert!(found.iter().all(|(_, on)| on == &["NAME"]), "{found:?}");
    assert_eq!(names(&hits(&app, "潘建").await), vec!["潘建国"]);

    // Pinyin: the surname's syllable first, then the surname heard alike (庞, pang).
    let found = hits(&app, "pan").await;
    assert_eq!(
        names(&found),
        vec!["潘建国", "潘晓燕", "庞大海"],
        "{found:?}"
    );
    assert!(found.iter().all(|(_, on)| on == &["PINYIN"]), "{found:?}");
    // The whole pinyin before its beginning.
    let found = hits(&app, "huang li").await;
    assert_eq!(names(&found), vec!["黄莉", "黄丽萍"], "{found:?}");
    assert_eq!(names(&hits(&app, "huangl").await), vec!["黄莉", "黄丽萍"]);
    assert!(hits(&app, "欧阳").await.is_empty());
}

async fn pinyin_heard_alike_finds_the_person_after_the_exact_ones(app: TestApp) {
    people(&app).await;
    let found = hits(&app, "gao ming").await;
    assert_eq!(names(&found), vec!["高明", "高敏"], "{found:?}");
    assert_eq!(found[1].1, vec!["PINYIN"]);
    let found = hits(&app, "gao min").await;
    assert_eq!(names(&found), vec!["高敏", "高明"], "{found:?}");
    // A name written with other characters read alike.
    let found = hits(&app, "高民").await;
    assert_eq!(names(&found), vec!["高敏"], "{found:?}");
    assert_eq!(found[0].1, vec!["PINYIN"]);
    // The surname is not guessed at: guo is not gao.
    assert!(hits(&app, "guo min").await.is_empty());
}

async fn tone_marks_apostrophes_and_traditional_characters_are_read(app: TestApp) {
    people(&app).await;
    assert_eq!(names(&hits(&app, "gāo mǐn").await)[0], "高敏");
    assert_eq!(names(&hits(&app, "GaoMin").await)[0], "高敏");
    assert_eq!(names(&hits(&app, "xi'an").await), vec!["席安娜"]);
    let xian = hits(&app, "xian").await;
    assert!(
        names(&xian).contains(&"席安娜") && names(&xian).contains(&"冼娜"),
        "{xian:?}"
    );
    assert_eq!(names(&hits(&app, "lǚ fāng").await), vec!["吕芳"]);
    assert_eq!(names(&hits(&app, "lv fang").await), vec!["吕芳"]);
    // Written in Traditional characters, found in Simplified, and the other way round.
    let found = hits(&app, "潘曉燕").await;
    assert_eq!(found, vec![("潘晓燕".to_owned(), vec!["NAME".to_owned()])]);
    assert_eq!(names(&hits(&app, "龐大").await), vec!["庞大海"]);
}

async fn phone_and_id_endings_say_what_they_matched(app: TestApp) {
    people(&app).await;
    let found = hits(&app, "5678").await;
    assert_eq!(
        found,
        vec![("高敏".to_owned(), vec!["PHONE".to_owned()])],
        "{found:?}"
    );
    let found = hits(&app, "020212").await;
    assert_eq!(
        found,
        vec![("潘晓燕".to_owned(), vec!["ID_SUFFIX".to_owned()])],
        "{found:?}"
    );
    let found = hits(&app, "1096").await;
    assert_eq!(names(&found), vec!["吕芳"], "{found:?}");
    assert_eq!(found[0].1, vec!["ID_SUFFIX"]);
    // A whole phone ranks above an ending.
    let data = search(&app, "13912340001", json!(null)).await;
    assert_eq!(data["edges"][0]["node"]["name"], "潘建国", "{data}");
    assert_eq!(data["edges"][0]["matchQuality"], 100, "{data}");
    assert_eq!(data["edges"][0]["matchedOn"], json!(["PHONE"]), "{data}");
    for bad in ["12", "#!", "x"] {
        let body = app
            .gql(
                "query($t: String!) { searchPersons(text: $t) { totalCount } }",
                json!({ "t": bad }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{bad:?}: {body}"
        );
    }
}

async fn a_search_combines_with_the_persons_filter_and_pages_in_rank_order(app: TestApp) {
    people(&app).await;
    let data = search(&app, "潘", json!({ "township": "高桥乡" })).await;
    assert_eq!(data["totalCount"], 1, "{data}");
    assert_eq!(data["edges"][0]["node"]["name"], "潘建国", "{data}");
    let data = search(&app, "gao", json!({ "village": "余庄村" })).await;
    assert_eq!(data["totalCount"], 1, "{data}");
    assert_eq!(data["edges"][0]["node"]["name"], "高明", "{data}");

    // Page by page, in the order of the whole list.
    let all = names(&hits(&app, "pan").await)
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let mut paged = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .gql_data(SEARCH, json!({ "t": "pan", "first": 1, "after": after }))
            .await["searchPersons"]
            .clone();
        assert_eq!(data["totalCount"], all.len(), "{data}");
        paged.extend(names(&edges(&data)).into_iter().map(str::to_owned));
        if data["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = data["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(paged.len() <= all.len(), "{paged:?}");
    }
    assert_eq!(paged, all);
}

async fn an_ending_longer_than_masking_shows_is_audited_by_its_hash(app: TestApp) {
    people(&app).await;
    let data = app
        .gql_data(
            r#"query Ends { shown: searchPersons(text: "5678") { totalCount }
                            longer: searchPersons(text: "345678") { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["shown"]["totalCount"], 1, "{data}");
    assert_eq!(data["longer"]["totalCount"], 1, "{data}");
    let log = app.audit_entries().await;
    let searches: Vec<_> = log.iter().filter(|e| e.kind.as_str() == "SEARCH").collect();
    // Four digits are what a masked phone shows: only the longer ending is audited.
    assert_eq!(searches.len(), 1, "{log:?}");
    let hash = |v: &str| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(v));
    assert_eq!(
        searches[0].fields,
        json!([
            format!("idNumberEnding:{}", hash("345678")),
            format!("phoneEnding:{}", hash("345678")),
        ])
        .to_string()
    );
    assert!(!format!("{log:?}").contains("345678"));
}
