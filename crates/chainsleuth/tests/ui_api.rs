//! The web UI's side of the server, called over HTTP as the browser calls it:
//! the embedded page and its security headers, login by session cookie, search,
//! blocks, dates as heights, the shortest money path, cases kept per key, an investigator's own labels; and every answer of
//! every endpoint checked against docs/openapi.json.

mod common;

use common::{http, json, keyed, ok, request, run, start, with_index};
use serde_json::Value;
use std::path::Path;

fn document() -> Value {
    json(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")).unwrap())
}

/// Why `value` does not conform to `schema` (the JSON Schema subset the
/// document uses: `$ref`, `allOf`, `anyOf`, `oneOf`, `type`, `nullable`,
/// `enum`, `required`, `properties`, `items`, `additionalProperties`).
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return conforms(doc, &doc["components"]["schemas"][name], value, at);
    }
    if value.is_null() && schema["nullable"] == true {
        return Ok(());
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        conforms(doc, part, value, at)?;
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema[key].as_array() {
            let errors: Vec<String> = options.iter().filter_map(|o| conforms(doc, o, value, at).err()).collect();
            if errors.len() == options.len() {
                return Err(format!("{at}: matches none of {key}: {errors:?}"));
            }
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let type_ok = |t: &str| match t {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        _ => true,
    };
    if !types.is_empty() && !types.iter().any(|t| type_ok(t)) {
        return Err(format!("{at}: {value} is not {types:?}"));
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                return Err(format!("{at}: lacks the required {name:?}"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, field) in object {
            match properties.and_then(|p| p.get(name)) {
                Some(s) => conforms(doc, s, field, &format!("{at}.{name}"))?,
                None if schema["additionalProperties"] == false => {
                    return Err(format!("{at}: {name:?} is not in the schema"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (n, item) in array.iter().enumerate() {
            conforms(doc, items, item, &format!("{at}[{n}]"))?;
        }
    }
    Ok(())
}

/// Checks an answer against what the document says `method route` answers with `status`.
fn answers_as_documented(doc: &Value, method: &str, route: &str, status: u16, body: &str) {
    let operation = &doc["paths"][route][method.to_lowercase()];
    assert!(operation.is_object(), "{method} {route} is not in the document");
    let response = &operation["responses"][status.to_string()];
    assert!(response.is_object(), "{method} {route} does not document {status}: {body}");
    let schema = &response["content"]["application/json"]["schema"];
    if let Err(why) = conforms(doc, schema, &json(body), "answer") {
        panic!("{method} {route} {status}: {why}\n{body}");
    }
}

/// A session cookie for `key`, from `POST /ui/login`.
fn login(addr: &str, key: &str) -> String {
    let (status, head, body) = request(addr, "POST", "/ui/login", &[], Some(&format!("{{\"key\": \"{key}\"}}")));
    assert_eq!(status, 200, "{body}");
    let cookie = head.lines().find_map(|l| l.strip_prefix("set-cookie: ")).unwrap_or_else(|| panic!("{head}"));
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    cookie.split(';').next().unwrap().to_owned()
}

/// A request as the UI's page sends it: its cookie and its header.
fn as_ui(addr: &str, cookie: &str, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let (status, _, body) = request(addr, method, path, &[("Cookie", cookie), ("X-Chainsleuth-UI", "1")], body);
    (status, body)
}

#[test]
fn the_ui_is_served_with_a_strict_policy_and_logs_in_with_a_cookie() {
    let (data, d, key) = keyed();
    let server = start(&d, &[]);
    let a = server.addr.as_str();
    let (status, head, page) = http(a, "GET", "/", None, None);
    assert_eq!(status, 200);
    assert!(page.contains("/assets/app.js") && head.contains("text/html"), "{head}");
    let policy =
        head.lines().find_map(|l| l.strip_prefix("content-security-policy: ")).unwrap_or_else(|| panic!("{head}"));
    assert!(
        policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe")
    );
    assert!(head.contains("x-frame-options: DENY") && head.contains("x-content-type-options: nosniff"), "{head}");
    let (status, head, script) = http(a, "GET", "/assets/app.js", None, None);
    assert_eq!(status, 200);
    assert!(head.contains("text/javascript") && script.len() > 100_000, "{head}");
    let (status, _, body) = http(a, "GET", "/assets/../apikeys.json", None, None);
    assert_eq!(status, 404, "{body}");

    let doc = document();
    let (status, _, body) = request(a, "POST", "/ui/login", &[], Some("{\"key\": \"cs_wrong\"}"));
    assert_eq!(status, 401);
    answers_as_documented(&doc, "POST", "/ui/login", status, &body);
    let cookie = login(a, &key);
    let (status, body) = as_ui(a, &cookie, "GET", "/v1/session", None);
    assert_eq!(status, 200, "{body}");
    answers_as_documented(&doc, "GET", "/v1/session", status, &body);
    let session = json(&body);
    assert!(session["label_source"].as_str().unwrap().starts_with("investigator-cs_"));

    // The cookie without the UI's header (as another site's page would send it) is refused.
    let (status, _, body) = request(a, "GET", "/v1/session", &[("Cookie", &cookie)], None);
    assert_eq!((status, json(&body)["error"]["field"].as_str()), (401, Some("x-chainsleuth-ui")));
    let (status, _, _) =
        request(a, "GET", "/v1/session", &[("Cookie", "cs_session=forged"), ("X-Chainsleuth-UI", "1")], None);
    assert_eq!(status, 401);

    // A login is audited by key id; the key itself is written nowhere.
    let audit = std::fs::read_to_string(data.path().join("audit.log")).unwrap();
    let logins: Vec<Value> = audit.lines().map(json).filter(|l| l["endpoint"] == "POST /ui/login").collect();
    assert_eq!(logins.iter().map(|l| l["status"].as_u64().unwrap()).collect::<Vec<_>>(), [401, 200]);
    assert_eq!(logins[1]["key"], session["key_id"]);
    assert!(!audit.contains(&key) && !audit.contains(cookie.trim_start_matches("cs_session=")));

    // Logging out ends the session; revoking the key ends the others.
    let (status, head, _) = request(a, "POST", "/ui/logout", &[("Cookie", &cookie)], None);
    assert!(status == 200 && head.contains("Max-Age=0"), "{head}");
    assert_eq!(as_ui(a, &cookie, "GET", "/v1/session", None).0, 401);
    let other = login(a, &key);
    assert_eq!(as_ui(a, &other, "GET", "/v1/session", None).0, 200);
    ok(run(&with_index(&["apikey", "revoke", session["key_id"].as_str().unwrap()], &d)));
    assert_eq!(as_ui(a, &other, "GET", "/v1/session", None).0, 401);
}

#[test]
fn cases_are_kept_per_key_and_bounded() {
    let (_data, d, key) = keyed();
    let created: Value = json(&ok(run(&with_index(&["apikey", "create", "--json"], &d))));
    let server = start(&d, &[]);
    let a = server.addr.as_str();
    let doc = document();
    let (mine, theirs) = (login(a, &key), login(a, created["key"].as_str().unwrap()));
    let case = r#"{"name": "Exchange theft", "state": {"model": {"txs": {}}, "notes": {"a:x": "ask the exchange"}}}"#;
    let (status, body) = as_ui(a, &mine, "PUT", "/v1/cases/theft-1", Some(case));
    assert_eq!(status, 200, "{body}");
    answers_as_documented(&doc, "PUT", "/v1/cases/{id}", status, &body);
    let (status, body) = as_ui(a, &mine, "GET", "/v1/cases/theft-1", None);
    answers_as_documented(&doc, "GET", "/v1/cases/{id}", status, &body);
    assert_eq!(json(&body)["state"]["notes"]["a:x"], "ask the exchange");
    let (status, body) = as_ui(a, &mine, "GET", "/v1/cases", None);
    answers_as_documented(&doc, "GET", "/v1/cases", status, &body);
    assert_eq!(json(&body)["cases"][0]["name"], "Exchange theft");

    // Another key sees none of it.
    let (status, body) = as_ui(a, &theirs, "GET", "/v1/cases/theft-1", None);
    assert_eq!(status, 404);
    answers_as_documented(&doc, "GET", "/v1/cases/{id}", status, &body);
    assert_eq!(json(&as_ui(a, &theirs, "GET", "/v1/cases", None).1)["cases"], json("[]"));

    for (path, body, field) in [
        ("/v1/cases/..%2Fx", case, "id"),
        ("/v1/cases/ok", r#"{"name": "", "state": {}}"#, "name"),
        ("/v1/cases/ok", r#"{"name": "x", "state": [1]}"#, "state"),
        ("/v1/cases/ok", r#"{"name": "x"}"#, "state"),
    ] {
        let (status, answer) = as_ui(a, &mine, "PUT", path, Some(body));
        assert_eq!((status, json(&answer)["error"]["field"].as_str()), (400, Some(field)), "{path} {body}: {answer}");
        answers_as_documented(&doc, "PUT", "/v1/cases/{id}", status, &answer);
    }
    let huge = format!(r#"{{"name": "x", "state": {{"blob": "{}"}}}}"#, "x".repeat(2 << 20));
    let (status, answer) = as_ui(a, &mine, "PUT", "/v1/cases/big", Some(&huge));
    assert_eq!(status, 413, "{answer}");
    let (status, body) = as_ui(a, &mine, "DELETE", "/v1/cases/theft-1", None);
    answers_as_documented(&doc, "DELETE", "/v1/cases/{id}", status, &body);
    assert_eq!(as_ui(a, &mine, "GET", "/v1/cases/theft-1", None).0, 404);
}

#[test]
fn search_names_every_kind_of_subject_and_says_why_not() {
    let (_data, d, key) = keyed();
    let server = start(&d, &[]);
    let a = server.addr.as_str();
    let k = Some(key.as_str());
    let doc = document();
    let search = |q: &str| {
        let (status, _, body) = http(a, "GET", &format!("/v1/search?q={q}"), k, None);
        answers_as_documented(&doc, "GET", "/v1/search", status, &body);
        (status, json(&body))
    };
    let kinds = |answer: &Value| -> Vec<String> {
        answer["matches"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap().to_owned()).collect()
    };
    let cashout = "808af00734ad1b529937040b056106fa5583b68eff000edc9821afeebf37cd40";
    let (status, found) = search(cashout);
    assert_eq!((status, kinds(&found)), (200, vec!["transaction".to_owned()]));
    let (_, found) = search(&format!("{cashout}:0"));
    assert_eq!(kinds(&found), ["outpoint"]);
    let block = json(&http(a, "GET", "/v1/blocks/1", k, None).2);
    let hash = block["hash"].as_str().unwrap().to_owned();
    let (_, found) = search(&hash);
    assert_eq!((kinds(&found), found["matches"][0]["id"].as_str()), (vec!["block".to_owned()], Some("1")));
    let (_, found) = search("1");
    assert_eq!(kinds(&found)[0], "block");
    let tx: Value = json(&http(a, "GET", &format!("/v1/transactions/{cashout}"), k, None).2);
    let deposit = tx["outputs"][0]["address"].as_str().unwrap();
    let entity = tx["outputs"][0]["entity"].as_u64().unwrap();
    let (_, found) = search(deposit);
    assert_eq!(kinds(&found), ["address"]);
    let (_, found) = search(&format!("e:{entity}"));
    assert_eq!(
        (kinds(&found), found["matches"][0]["id"].as_str()),
        (vec!["entity".to_owned()], Some(entity.to_string().as_str()))
    );
    let (_, found) = search("exchange_b");
    assert!(!kinds(&found).is_empty() && kinds(&found).iter().all(|k| k == "label"), "{found:#}");

    for (q, status) in [
        ("", 400),
        (&"x".repeat(300) as &str, 400),
        ("bcrt1qnotanaddressatall000000000", 400),
        (&"00".repeat(32) as &str, 404),
        ("999999999", 404),
        ("no such label anywhere", 404),
        (&format!("{cashout}:99") as &str, 404),
    ] {
        let (got, answer) = search(&q.replace(' ', "%20"));
        assert_eq!(got, status, "{q}: {answer}");
        assert_eq!(answer["error"]["field"], "q", "{answer}");
    }

    // Blocks by height and by hash.
    let (status, _, body) = http(a, "GET", &format!("/v1/blocks/{hash}?limit=1"), k, None);
    answers_as_documented(&doc, "GET", "/v1/blocks/{block}", status, &body);
    let by_hash = json(&body);
    assert_eq!((by_hash["height"].as_u64(), by_hash["txs"].as_array().unwrap().len()), (Some(1), 1));
    assert_eq!(by_hash["tx_count"], block["tx_count"]);
    for (path, status) in [("/v1/blocks/99999999", 404), ("/v1/blocks/xyz", 400)] {
        let (got, _, body) = http(a, "GET", path, k, None);
        assert_eq!(got, status, "{body}");
        answers_as_documented(&doc, "GET", "/v1/blocks/{block}", got, &body);
    }
}

#[test]
fn an_investigators_label_is_a_source_of_its_own_that_screening_sees() {
    let (_data, d, key) = keyed();
    let server = start(&d, &[]);
    let a = server.addr.as_str();
    let doc = document();
    let cookie = login(a, &key);
    // The miner's coinbase address (block 1 of the fixture): no label of its own.
    let address = "bcrt1q3tq9celywjp5a56x5gtr7emh6fcxlgf97zml8y";
    let label =
        format!(r#"{{"address": "{address}", "label": "thief's hot wallet", "category": "theft", "confidence": 80}}"#);
    let (status, body) = as_ui(a, &cookie, "POST", "/v1/labels", Some(&label));
    assert_eq!(status, 200, "{body}");
    answers_as_documented(&doc, "POST", "/v1/labels", status, &body);
    let source = json(&body)["source"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, body) = as_ui(a, &cookie, "GET", &format!("/v1/screen/{address}?hops=1"), None);
        answers_as_documented(&doc, "GET", "/v1/screen/{subject}", 200, &body);
        let screening = json(&body);
        let mine = screening["identifications"].as_array().unwrap().iter().find(|i| i["source"] == source.as_str());
        if let Some(mine) = mine {
            assert_eq!((mine["label"].as_str(), mine["confidence"].as_u64()), (Some("thief's hot wallet"), Some(80)));
            assert_eq!(screening["risk_level"], "severe", "{screening:#}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the server never saw the label: {screening:#}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let listed = ok(run(&with_index(&["tags", "list"], &d)));
    assert!(listed.contains(&source), "{listed}");
    // Imports cannot be overwritten by it, and bad labels are refused naming the field.
    for (body, field) in [
        (format!(r#"{{"address": "{address}", "label": "x", "category": "nonsense"}}"#), "category"),
        (
            r#"{"address": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "label": "x", "category": "theft"}"#.to_owned(),
            "address",
        ),
        (format!(r#"{{"address": "{address}", "label": "", "category": "theft"}}"#), "label"),
        (format!(r#"{{"address": "{address}", "label": "x", "category": "theft", "confidence": 101}}"#), "confidence"),
    ] {
        let (status, answer) = as_ui(a, &cookie, "POST", "/v1/labels", Some(&body));
        assert_eq!((status, json(&answer)["error"]["field"].as_str()), (400, Some(field)), "{body}: {answer}");
        answers_as_documented(&doc, "POST", "/v1/labels", status, &answer);
    }
    let (status, body) = as_ui(a, &cookie, "DELETE", &format!("/v1/labels/{address}"), None);
    answers_as_documented(&doc, "DELETE", "/v1/labels/{address}", status, &body);
    assert_eq!(json(&body)["labels"], json("[]"));
}

#[test]
fn every_endpoint_answers_as_the_document_says() {
    let (_data, d, key) = keyed();
    let server = start(&d, &[]);
    let a = server.addr.as_str();
    let k = Some(key.as_str());
    let doc = document();
    let cashout = "808af00734ad1b529937040b056106fa5583b68eff000edc9821afeebf37cd40";
    let tx = json(&http(a, "GET", &format!("/v1/transactions/{cashout}"), k, None).2);
    let deposit = tx["outputs"][0]["address"].as_str().unwrap().to_owned();
    let trace = r#"{"from": ["4669175e0ef695c38d861e3fcff30af5869925c8156fe505a5111a267e38bfbb:1"], "max_hops": 5}"#;
    let batch = format!(r#"{{"subjects": ["{cashout}:0", "{deposit}", "nonsense"]}}"#);
    let path_request = format!(
        r#"{{"from": "4669175e0ef695c38d861e3fcff30af5869925c8156fe505a5111a267e38bfbb:1", "to": "{cashout}"}}"#
    );
    for (method, route, path, body) in [
        ("GET", "/v1/transactions/{txid}", format!("/v1/transactions/{cashout}"), None),
        ("GET", "/v1/transactions/{txid}", "/v1/transactions/xyz".to_owned(), None),
        ("GET", "/v1/transactions/{txid}", format!("/v1/transactions/{}", "00".repeat(32)), None),
        ("GET", "/v1/addresses/{address}", format!("/v1/addresses/{deposit}"), None),
        ("GET", "/v1/entities/{id}", format!("/v1/entities/{deposit}"), None),
        ("GET", "/v1/screen/{subject}", format!("/v1/screen/{cashout}:0"), None),
        ("POST", "/v1/screen", "/v1/screen".to_owned(), Some(batch.as_str())),
        ("POST", "/v1/trace", "/v1/trace".to_owned(), Some(trace)),
        ("POST", "/v1/trace", "/v1/trace".to_owned(), Some(r#"{"from": ["nonsense"]}"#)),
        ("GET", "/v1/blocks/{block}", "/v1/blocks/0".to_owned(), None),
        ("GET", "/v1/time-window", "/v1/time-window?since=2023-11-15&until=2023-11-16".to_owned(), None),
        ("GET", "/v1/time-window", "/v1/time-window?until=2001-01-01".to_owned(), None),
        ("POST", "/v1/path", "/v1/path".to_owned(), Some(path_request.as_str())),
        ("GET", "/v1/session", "/v1/session".to_owned(), None),
        ("GET", "/v1/labels", "/v1/labels".to_owned(), None),
        ("GET", "/v1/cases", "/v1/cases".to_owned(), None),
    ] {
        let (status, _, answer) = http(a, method, &path, k, body);
        answers_as_documented(&doc, method, route, status, &answer);
        let (status, _, answer) = http(a, method, &path, None, body);
        assert_eq!(status, 401);
        answers_as_documented(&doc, method, route, status, &answer);
    }
}

/// A date is the heights of the blocks stamped within it, found in chain order;
/// a trace bounded by a date is the trace bounded by that height.
#[test]
fn dates_become_the_heights_of_their_blocks() {
    let (_data, d, key) = keyed();
    let server = start(&d, &[]);
    let a = server.addr.as_str();
    let k = Some(key.as_str());
    let time_of = |h: u64| json(&http(a, "GET", &format!("/v1/blocks/{h}"), k, None).2)["time"].as_u64().unwrap();
    let tip = json(&http(a, "GET", "/v1/session", k, None).2)["as_of"]["tip"]["height"].as_u64().unwrap();
    let times: Vec<u64> = (0..=tip).map(time_of).collect();
    let middle = times[120];
    let window = json(&http(a, "GET", &format!("/v1/time-window?since={middle}&until={middle}"), k, None).2);
    let from = window["from_height"].as_u64().unwrap() as usize;
    let to = window["to_height"].as_u64().unwrap() as usize;
    assert!(times[from] >= middle && times[..from].iter().all(|&t| t < middle), "{window}");
    assert!(times[to] <= middle && times[to + 1..].iter().all(|&t| t > middle), "{window}");
    assert!(from <= 120 && 120 <= to, "{window}");
    // A day: from its first second to its last.
    let day = humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(times[1]))
        .to_string()[..10]
        .to_owned();
    let window = json(&http(a, "GET", &format!("/v1/time-window?since={day}&until={day}"), k, None).2);
    let first_second = times[1] - times[1] % 86_400;
    let last = window["to_height"].as_u64().unwrap() as usize;
    assert_eq!(window["from_height"].as_u64(), times.iter().position(|&t| t >= first_second).map(|p| p as u64));
    assert!(times[last] < first_second + 86_400 && times[last + 1..].iter().all(|&t| t >= first_second + 86_400));
    // Outside the chain, and malformed.
    let (status, _, body) = http(a, "GET", "/v1/time-window?until=2001-01-01", k, None);
    assert_eq!((status, json(&body)["error"]["field"].as_str()), (404, Some("until")), "{body}");
    let (status, _, body) = http(a, "GET", "/v1/time-window?since=last%20week", k, None);
    assert_eq!((status, json(&body)["error"]["field"].as_str()), (400, Some("since")), "{body}");
    // A trace until a date is the trace until that date's last height.
    let start = "4669175e0ef695c38d861e3fcff30af5869925c8156fe505a5111a267e38bfbb:1";
    let trace = |bound: String| {
        let (status, _, body) = http(a, "POST", "/v1/trace", k, Some(&format!(r#"{{"from": ["{start}"], {bound}}}"#)));
        assert_eq!(status, 200, "{body}");
        let mut report = json(&body);
        report.as_object_mut().unwrap().remove("as_of");
        report
    };
    let theft_height = json(&http(a, "GET", &format!("/v1/transactions/{}", &start[..64]), k, None).2)["block_height"]
        .as_u64()
        .unwrap() as usize;
    let until = times[theft_height + 3];
    let bounded = trace(format!(r#""until_date": "{until}""#));
    let height = times.iter().rposition(|&t| t <= until).unwrap();
    assert_eq!(bounded, trace(format!(r#""until_height": {height}"#)));
    assert_ne!(bounded, trace(r#""max_hops": 10"#.to_owned()), "the date bound cuts the trace");
    let (status, _, body) = http(
        a,
        "POST",
        "/v1/trace",
        k,
        Some(&format!(r#"{{"from": ["{start}"], "until_date": "2", "until_height": 3}}"#)),
    );
    assert_eq!((status, json(&body)["error"]["field"].as_str()), (400, Some("until_date")), "{body}");
}

/// The shortest money path from the theft to a cash-out: every step is an
/// output the next transaction spends, and no shorter path exists.
#[test]
fn the_money_path_from_the_theft_to_a_cashout_is_linked_and_shortest() {
    let (_data, d, key) = keyed();
    let server = start(&d, &[]);
    let a = server.addr.as_str();
    let k = Some(key.as_str());
    let start = "4669175e0ef695c38d861e3fcff30af5869925c8156fe505a5111a267e38bfbb:1";
    let truth: Value =
        serde_json::from_slice(&std::fs::read(common::fixtures().join("regtest/small/ground_truth.json")).unwrap())
            .unwrap();
    let peel = truth["cashouts"].as_array().unwrap().iter().find(|c| c["source"] == "peel").unwrap();
    let deposit = peel["deposit_address"].as_str().unwrap();
    let path = |to: &str, hops: u64| {
        let body = format!(r#"{{"from": "{start}", "to": "{to}", "max_hops": {hops}}}"#);
        let (status, _, answer) = http(a, "POST", "/v1/path", k, Some(&body));
        assert_eq!(status, 200, "{answer}");
        json(&answer)
    };
    let found = path(deposit, 20);
    assert_eq!(found["found"], true, "{found}");
    let outputs = found["outputs"].as_array().unwrap();
    let txs = found["txs"].as_array().unwrap();
    assert_eq!(outputs[0]["outpoint"], start);
    assert_eq!(outputs.last().unwrap()["address"], deposit);
    assert_eq!(txs.len(), outputs.len() - 1);
    assert!(txs.len() >= 2, "the peel chain runs through several transactions: {found}");
    for (step, tx) in txs.iter().enumerate() {
        let view = json(&http(a, "GET", &format!("/v1/transactions/{}", tx["txid"].as_str().unwrap()), k, None).2);
        let spent = outputs[step]["outpoint"].as_str().unwrap();
        assert!(view["inputs"].as_array().unwrap().iter().any(|i| i["prevout"] == spent), "{tx} spends {spent}");
        let paid = outputs[step + 1]["outpoint"].as_str().unwrap();
        assert_eq!(paid.split(':').next(), tx["txid"].as_str(), "{tx} pays {paid}");
        assert_eq!(view["block_height"], tx["height"]);
    }
    let shorter = path(deposit, txs.len() as u64 - 1);
    assert_eq!(shorter["found"], false, "{shorter}");
    // To a transaction: the path ends with it; backward in time there is none.
    let cashout = peel["txid"].as_str().unwrap();
    let to_tx = path(cashout, 20);
    assert_eq!(to_tx["txs"].as_array().unwrap().last().unwrap()["txid"], cashout, "{to_tx}");
    let back = http(a, "POST", "/v1/path", k, Some(&format!(r#"{{"from": "{cashout}", "to": "{start}"}}"#))).2;
    assert_eq!(json(&back)["found"], false, "{back}");
    let (status, _, body) = http(a, "POST", "/v1/path", k, Some(&format!(r#"{{"from": "{start}", "to": "nowhere"}}"#)));
    assert_eq!((status, json(&body)["error"]["field"].as_str()), (400, Some("to")), "{body}");
    let (status, _, body) =
        http(a, "POST", "/v1/path", k, Some(&format!(r#"{{"from": "{start}", "to": "{deposit}", "max_hops": 0}}"#)));
    assert_eq!((status, json(&body)["error"]["field"].as_str()), (400, Some("max_hops")), "{body}");
}
