//! The OpenAPI document (docs/openapi.json) carries the answers' schemas as
//! generated from their types (views, screenings, traces, errors), and each
//! endpoint's answers point at them: the document cannot drift from what the
//! server answers. `UPDATE_OPENAPI=1 cargo test -p chainsleuth-server --test
//! openapi` rewrites the schemas after a change to the types.

use serde_json::Value;
use std::path::PathBuf;

fn document_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[test]
fn the_openapi_document_holds_the_schemas_of_the_answer_types() {
    let path = document_path();
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let generated = server::openapi::schemas();
    for name in
        ["Transaction", "TxInput", "Address", "Entity", "Screening", "Exposure", "Trace", "EndpointRow", "Error"]
    {
        assert!(generated.contains_key(name), "{name} is not among {:?}", generated.keys());
    }
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
        "docs/openapi.json: the schemas {stale:?} differ from the answer types; \
         run `UPDATE_OPENAPI=1 cargo test -p chainsleuth-server --test openapi` to write them"
    );
}

#[test]
fn each_endpoint_answers_its_schema_with_the_state_it_is_of() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(document_path()).unwrap()).unwrap();
    for (path, method, schema) in [
        ("/v1/transactions/{txid}", "get", "Transaction"),
        ("/v1/addresses/{address}", "get", "Address"),
        ("/v1/entities/{id}", "get", "Entity"),
        ("/v1/screen/{subject}", "get", "Screening"),
        ("/v1/trace", "post", "Trace"),
        ("/v1/session", "get", "Session"),
        ("/v1/search", "get", "Search"),
        ("/v1/blocks/{block}", "get", "Block"),
        ("/v1/time-window", "get", "TimeWindow"),
        ("/v1/path", "post", "MoneyPath"),
        ("/v1/cases", "get", "CaseList"),
        ("/v1/cases/{id}", "get", "Case"),
        ("/v1/cases/{id}", "put", "CaseSummary"),
        ("/v1/cases/{id}", "delete", "CaseDeleted"),
        ("/v1/labels", "get", "InvestigatorLabels"),
        ("/v1/labels", "post", "InvestigatorLabels"),
        ("/v1/labels/{address}", "delete", "InvestigatorLabels"),
    ] {
        let answer = &doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"];
        let parts =
            answer["allOf"].as_array().unwrap_or_else(|| panic!("{path}: its answer is not an allOf: {answer}"));
        assert_eq!(parts[0]["$ref"], format!("#/components/schemas/{schema}"), "{path}");
        assert_eq!(parts[1]["properties"]["as_of"]["$ref"], "#/components/schemas/AsOf", "{path}");
        assert_eq!(parts[1]["required"][0], "as_of", "{path}");
    }
}

/// Every error an endpoint documents is the generated `Error`, and every `/v1`
/// endpoint documents the refusals any request may meet.
#[test]
fn every_documented_error_is_the_error_schema() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(document_path()).unwrap()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses.iter().filter(|(s, _)| !s.starts_with('2')) {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Error",
                    "{method} {path} {status}"
                );
            }
            if path.starts_with("/v1/") {
                for status in ["400", "401", "413", "414", "429", "431", "503"] {
                    assert!(responses.contains_key(status), "{method} {path} does not document {status}");
                }
            }
        }
    }
}
