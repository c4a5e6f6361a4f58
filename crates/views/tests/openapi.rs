//! The OpenAPI document (docs/openapi.json) carries the views' schemas as
//! generated from their types, and the API's answers about a transaction,
//! address or entity point at them: the document cannot drift from what the
//! server answers. `UPDATE_OPENAPI=1 cargo test -p chainsleuth-views` rewrites
//! the schemas after a change to the types.

use serde_json::Value;
use std::path::PathBuf;

fn document_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[test]
fn the_openapi_document_holds_the_schemas_of_the_views_types() {
    let path = document_path();
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let generated = views::openapi_schemas();
    assert!(generated.contains_key("Transaction") && generated.contains_key("TxInput"), "{generated:?}");
    let schemas = doc["components"]["schemas"].as_object_mut().unwrap();
    let stale: Vec<String> =
        generated.iter().filter(|(name, schema)| schemas.get(*name) != Some(schema)).map(|(n, _)| n.clone()).collect();
    if !stale.is_empty() && std::env::var_os("UPDATE_OPENAPI").is_some() {
        schemas.extend(generated);
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
        return;
    }
    assert!(
        stale.is_empty(),
        "docs/openapi.json: the schemas {stale:?} differ from the views' types; \
         run `UPDATE_OPENAPI=1 cargo test -p chainsleuth-views` to write them"
    );
}

#[test]
fn each_view_endpoint_answers_its_views_schema_with_the_state_it_is_of() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(document_path()).unwrap()).unwrap();
    for (path, schema) in [
        ("/v1/transactions/{txid}", "Transaction"),
        ("/v1/addresses/{address}", "Address"),
        ("/v1/entities/{id}", "Entity"),
    ] {
        let answer = &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        let parts =
            answer["allOf"].as_array().unwrap_or_else(|| panic!("{path}: its answer is not an allOf: {answer}"));
        assert_eq!(parts[0]["$ref"], format!("#/components/schemas/{schema}"), "{path}");
        assert_eq!(parts[1]["properties"]["as_of"]["$ref"], "#/components/schemas/AsOf", "{path}");
        assert_eq!(parts[1]["required"][0], "as_of", "{path}");
    }
}
