//! The SDL contract: `schema.graphql` is what `paicha schema` prints.

#[test]
fn schema_graphql_is_what_paicha_schema_prints() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let live = paicha::graphql::sdl();
    if committed != live {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &live).expect("write schema.graphql");
            return;
        }
        panic!(
            "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` (or UPDATE_SCHEMA=1 cargo test)"
        );
    }
}

#[test]
fn every_type_and_field_of_the_schema_is_described() {
    let sdl = paicha::graphql::sdl();
    let mut undocumented = Vec::new();
    let mut definitions = 0;
    let (mut in_description, mut described, mut in_schema_block) = (false, false, false);
    for line in sdl.lines() {
        let t = line.trim();
        if t.starts_with("\"\"\"") {
            let one_line = t.len() >= 6 && t.ends_with("\"\"\"");
            if one_line {
                described = true;
            } else {
                in_description = !in_description;
                described |= !in_description;
            }
            continue;
        }
        if in_description {
            continue;
        }
        if t.starts_with('"') {
            described = true;
            continue;
        }
        if t.starts_with("schema") {
            in_schema_block = true;
        }
        if in_schema_block {
            in_schema_block = t != "}";
            continue;
        }
        let is_definition = [
            "type ",
            "enum ",
            "input ",
            "scalar ",
            "interface ",
            "union ",
        ]
        .iter()
        .any(|k| t.starts_with(k));
        let is_member =
            (line.starts_with('\t') || line.starts_with("  ")) && !t.is_empty() && t != "}";
        definitions += usize::from(is_definition);
        if (is_definition || is_member) && !described {
            undocumented.push(t.to_owned());
        }
        described = false;
    }
    assert!(
        definitions > 50,
        "{definitions} definitions: the SDL was not read"
    );
    assert!(undocumented.is_empty(), "undocumented: {undocumented:#?}");
}
