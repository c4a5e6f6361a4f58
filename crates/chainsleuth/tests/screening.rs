//! Labels, screening and the HTTP API as users call them: `tags import|list|remove`,
//! `screen`, `apikey`, and the real server on a random loopback port, called over
//! HTTP.

mod common;

use common::{fixtures, http, json, keyed, ok, prepared, run, start, with_index};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

#[test]
fn tags_import_replace_list_and_remove() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    let blocks = fixtures().join("regtest/small/blocks");
    ok(run(&with_index(&["ingest", "--blocks-dir", blocks.to_str().unwrap()], d)));
    let ofac = fixtures().join("real/sanctions/ofac_0xB10C/sanctioned_addresses_XBT.txt");
    let text = ok(run(&with_index(&["tags", "import", ofac.to_str().unwrap(), "--source", "ofac"], d)));
    assert!(text.contains("imported    434 labels") && text.contains("sanctioned_addresses_XBT.txt:355:"), "{text}");
    // Mainnet addresses in a regtest index: kept, but said at import, by line.
    assert!(text.contains("warning     434 labels of another network (kept)"), "{text}");
    assert!(text.contains("sanctioned_addresses_XBT.txt:1: ") && text.contains("is not a regtest address"), "{text}");
    let tagpack = fixtures().join("real/labels/graphsense_tagpacks/lazarus.yaml");
    ok(run(&with_index(&["tags", "import", tagpack.to_str().unwrap()], d)));
    let list: Value = serde_json::from_str(&ok(run(&with_index(&["tags", "list", "--json"], d)))).unwrap();
    let counts: Vec<(String, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["source"].as_str().unwrap().to_owned(), s["labels"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, vec![("lazarus".to_owned(), 20), ("ofac".to_owned(), 434)]);
    // Re-importing a source replaces it whole.
    let small = data.path().join("two.csv");
    std::fs::write(
        &small,
        "16ti2EXaae5izfkUZ1Zc59HMcsdnHpP5QJ,x,sanctioned\n18aqbRhHupgvC9K8qEqD78phmTQQWs7B5d,y,sanctioned\n",
    )
    .unwrap();
    ok(run(&with_index(&["tags", "import", small.to_str().unwrap(), "--source", "ofac"], d)));
    let list: Value = serde_json::from_str(&ok(run(&with_index(&["tags", "list", "--json"], d)))).unwrap();
    assert_eq!(list[1]["labels"], 2);
    ok(run(&with_index(&["tags", "remove", "ofac"], d)));
    let list: Value = serde_json::from_str(&ok(run(&with_index(&["tags", "list", "--json"], d)))).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    for (args, needle) in [
        (vec!["tags", "remove", "ofac"], "no source \"ofac\""),
        (vec!["tags", "import", "/nonexistent.csv"], "/nonexistent.csv"),
        (vec!["tags", "import", small.to_str().unwrap(), "--format", "xls"], "unknown format"),
    ] {
        let out = run(&with_index(&args, d));
        assert!(!out.status.success());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn screening_a_cash_out_finds_the_theft_behind_it() {
    let (_data, d) = prepared();
    // The direct cash-out: the thief's split paid exchange_b's deposit address.
    let report: Value = serde_json::from_str(&ok(run(&with_index(
        &["screen", "808af00734ad1b529937040b056106fa5583b68eff000edc9821afeebf37cd40:0", "--hops", "3", "--json"],
        &d,
    ))))
    .unwrap();
    for field in ["subject", "risk_level", "risk_score", "identifications", "exposures", "rules_fired"] {
        assert!(report.get(field).is_some(), "{field}");
    }
    assert_eq!(report["identifications"][0]["category"], "exchange");
    let theft = report["exposures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["category"] == "theft" && e["direction"] == "received")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(theft["exposure_type"], "indirect");
    assert_eq!(theft["hops"], 2);
    assert!(theft["share"].as_f64().unwrap() > 0.99);
    assert_eq!(report["risk_level"], "high");
    assert!(report["rules_fired"].as_array().unwrap().iter().any(|r| r["rule"] == "criminal-indirect"));
    // One of the stolen outputs' addresses: identified as theft.
    let thief: Value = serde_json::from_str(&ok(run(&with_index(
        &["screen", "bcrt1p8ad09jgj9mu6h7t5htstc9gdf8z7mhrw9qh46sgssghluwhe295qytmz80", "--json", "--hops", "1"],
        &d,
    ))))
    .unwrap();
    assert_eq!(thief["identifications"][0]["label"], "exchange_a hack");
    assert_eq!(thief["risk_score"], 85);
    let text =
        ok(run(&with_index(&["screen", "808af00734ad1b529937040b056106fa5583b68eff000edc9821afeebf37cd40:0"], &d)));
    assert!(text.contains("rules fired") && text.contains("theft"), "{text}");
    let out = run(&with_index(&["screen", "nonsense"], &d));
    assert!(!out.status.success());
    assert_eq!(String::from_utf8(out.stderr).unwrap().trim_end().lines().count(), 1);
    // An output number that would wrap past u64::MAX names no output of the
    // theft's tx (it used to screen an unrelated earlier output as low).
    let out = run(&with_index(
        &["screen", "808af00734ad1b529937040b056106fa5583b68eff000edc9821afeebf37cd40:18446744073709551000"],
        &d,
    ));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success() && err.contains("no such output") && err.lines().count() == 1, "{err}");
}

#[test]
fn labels_cannot_forge_lines_on_the_terminal() {
    let (data, d) = prepared();
    // A label that tries to wipe its own line and print a reassuring one.
    let address = "bcrt1p8ad09jgj9mu6h7t5htstc9gdf8z7mhrw9qh46sgssghluwhe295qytmz80";
    let forged = "x\x1b[2K\x1b[0Grisk        Low (0 of 100)\x1b[1A\u{9b}";
    let csv = data.path().join("evil.csv");
    std::fs::write(&csv, format!("address,label,category,source\n{address},{forged},exchange,evil\n")).unwrap();
    ok(run(&with_index(&["tags", "import", csv.to_str().unwrap()], &d)));
    for args in [vec!["screen", address, "--hops", "1"], vec!["tags", "list"]] {
        let text = ok(run(&with_index(&args, &d)));
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{args:?}: {text:?}");
        assert!(!text.lines().any(|l| l.starts_with("risk        Low")), "{text}");
    }
    let text = ok(run(&with_index(&["screen", address, "--hops", "1"], &d)));
    assert!(text.contains("x\\u{1b}[2K\\u{1b}[0Grisk"), "{text}");
}

#[test]
fn the_http_api_answers_behind_keys_and_keeps_an_audit_log() {
    let (data, d) = prepared();
    let created: Value =
        serde_json::from_str(&ok(run(&with_index(&["apikey", "create", "--name", "test", "--json"], &d)))).unwrap();
    // A record torn by a crash before this server started.
    std::fs::write(data.path().join("audit.log"), "{\"time\": \"torn").unwrap();
    let key = created["key"].as_str().unwrap().to_owned();
    let server = start(&d, &[]);
    let a = server.addr.as_str();

    let (status, _, body) = http(a, "GET", "/health", None, None);
    assert_eq!((status, json(&body)["status"].as_str()), (200, Some("ok")));
    let (status, _, body) = http(a, "GET", "/openapi.json", None, None);
    assert_eq!(status, 200);
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")).unwrap();
    assert_eq!(body, doc);
    for path in [
        "/v1/addresses/{address}",
        "/v1/transactions/{txid}",
        "/v1/entities/{id}",
        "/v1/screen/{subject}",
        "/v1/screen",
        "/v1/trace",
    ] {
        assert!(json(&doc)["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
        let concrete =
            path.replace("{address}", "x").replace("{txid}", "x").replace("{id}", "x").replace("{subject}", "x");
        let method = if path == "/v1/screen" || path == "/v1/trace" { "POST" } else { "GET" };
        let (status, _, body) = http(a, method, &concrete, None, Some("{}"));
        assert_eq!(status, 401, "{path}");
        assert_eq!(json(&body)["error"]["code"], "unauthorized");
    }
    let (status, _, _) = http(a, "GET", "/v1/addresses/x", Some("cs_wrong"), None);
    assert_eq!(status, 401);

    let k = Some(key.as_str());
    let cashout = "808af00734ad1b529937040b056106fa5583b68eff000edc9821afeebf37cd40";
    let (status, _, body) = http(a, "GET", &format!("/v1/transactions/{cashout}"), k, None);
    assert_eq!(status, 200);
    let tx = json(&body);
    assert_eq!(tx["txid"], cashout);
    let deposit = tx["outputs"][0]["address"].as_str().unwrap().to_owned();
    let (status, _, body) = http(a, "GET", &format!("/v1/addresses/{deposit}?limit=1"), k, None);
    assert_eq!((status, json(&body)["tx_count"].is_u64()), (200, true));
    let (status, _, body) = http(a, "GET", &format!("/v1/entities/{deposit}"), k, None);
    assert_eq!((status, json(&body)["size"].is_u64()), (200, true));
    let (status, _, body) = http(a, "GET", &format!("/v1/screen/{cashout}:0?hops=3"), k, None);
    assert_eq!(status, 200);
    assert_eq!(json(&body)["risk_level"], "high");
    let (status, _, body) = http(a, "GET", &format!("/v1/transactions/{}", "00".repeat(32)), k, None);
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (404, Some("not_found")));

    // Batches, and bad input answered 400 naming the field.
    let batch = format!("{{\"subjects\": [\"{cashout}:0\", \"{deposit}\", \"nonsense\"], \"hops\": 2}}");
    let (status, _, body) = http(a, "POST", "/v1/screen", k, Some(&batch));
    assert_eq!(status, 200);
    let results = json(&body)["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 3);
    assert_eq!(results[2]["error"]["field"], "subjects");
    let too_many = format!("{{\"subjects\": [{}]}}", vec!["\"x\""; 1001].join(","));
    for (method, path, body, field) in [
        ("POST", "/v1/screen", too_many.as_str(), "subjects"),
        ("POST", "/v1/screen", "{\"subjects\": [\"x\"], \"hops\": 99}", "hops"),
        ("POST", "/v1/screen", "{\"subject\": [\"x\"]}", "subject"),
        ("POST", "/v1/screen", "not json", "body"),
        ("GET", "/v1/screen/x?direction=up", "", "direction"),
        ("GET", "/v1/transactions/xyz", "", "txid"),
        ("POST", "/v1/trace", "{\"from\": [\"x\"], \"policy\": \"magic\"}", "policy"),
        ("POST", "/v1/trace", "{\"from\": [\"nonsense\"]}", "from"),
    ] {
        let (status, _, answer) = http(a, method, path, k, Some(body));
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert_eq!(json(&answer)["error"]["field"], field, "{answer}");
    }
    let trace = "{\"from\": [\"4669175e0ef695c38d861e3fcff30af5869925c8156fe505a5111a267e38bfbb:1\"], \"max_hops\": 5}";
    let (status, _, body) = http(a, "POST", "/v1/trace", k, Some(trace));
    assert_eq!(status, 200);
    assert_eq!(json(&body)["traced_value"], 6_924_881_904u64);

    // The key file and the audit log are the owner's alone.
    #[cfg(unix)]
    for secret in ["audit.log", "apikeys.json"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.path().join(secret)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{secret}: {mode:o}");
    }
    // Every /v1 request is in the audit log, refusals too, with the answer's
    // digest and a summary rather than the answer.
    let audit = std::fs::read_to_string(data.path().join("audit.log")).unwrap();
    assert!(audit.starts_with("{\"time\": \"torn\n"), "the torn record is closed: {audit}");
    let lines: Vec<Value> = audit.lines().skip(1).map(json).collect();
    let screening = lines
        .iter()
        .find(|l| l["endpoint"] == "GET /v1/screen/{subject}" && l["status"] == 200)
        .unwrap_or_else(|| panic!("{audit}"));
    assert_eq!(screening["key"], created["id"]);
    assert_eq!(screening["summary"]["risk_level"], "high");
    assert_eq!(screening["request"]["direction"], "both");
    assert_eq!(screening["answer_sha256"].as_str().unwrap().len(), 64);
    assert!(screening["generation"].is_u64() && screening.get("answer").is_none());
    let batch = lines.iter().find(|l| l["endpoint"] == "POST /v1/screen" && l["status"] == 200).unwrap();
    assert_eq!(batch["summary"].as_array().unwrap().len(), 3);
    let refused = lines.iter().filter(|l| l["status"] == 401).count();
    assert!(refused >= 7, "each 401 is recorded: {audit}");
    let bad = lines.iter().find(|l| l["status"] == 400 && l["endpoint"] == "POST /v1/trace").unwrap();
    assert_eq!(bad["error"], "bad_request");
    assert!(audit.len() < 64 * lines.len().max(1) * 16, "records are small");

    // A revoked key is refused at once.
    ok(run(&with_index(&["apikey", "revoke", created["id"].as_str().unwrap()], &d)));
    let (status, _, _) = http(a, "GET", "/v1/screen/x", k, None);
    assert_eq!(status, 401);
}

#[test]
fn each_key_is_rate_limited() {
    let (_data, d, key) = keyed();
    let server = start(&d, &["--rate-limit", "0.5", "--burst", "2"]);
    let statuses: Vec<u16> =
        (0..3).map(|_| http(&server.addr, "GET", "/v1/screen/x?hops=1", Some(&key), None).0).collect();
    assert_eq!(statuses, vec![400, 400, 429]);
    let (_, head, _) = http(&server.addr, "GET", "/v1/screen/x", Some(&key), None);
    assert!(head.to_ascii_lowercase().contains("retry-after:"), "{head}");
    // Rates that would disable the limit or send `Retry-After: inf` are refused.
    for bad in ["0", "-1", "NaN", "inf"] {
        let flag = format!("--rate-limit={bad}");
        let out = run(&with_index(&["serve", "--bind", "127.0.0.1:0", &flag], &d));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!out.status.success() && err.contains("positive finite"), "{bad}: {err}");
    }
}

#[test]
fn the_auth_scheme_is_case_insensitive() {
    let (_data, d, key) = keyed();
    let server = start(&d, &[]);
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let mut stream = TcpStream::connect(&server.addr).unwrap();
        write!(
            stream,
            "GET /v1/screen/x HTTP/1.1\r\nHost: x\r\nAuthorization: {scheme} {key}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        // Past authorization: the subject is what is wrong.
        assert!(response.starts_with("HTTP/1.1 400"), "{scheme}: {response}");
    }
    assert_eq!(http(&server.addr, "GET", "/v1/screen/x", Some("not-a-key"), None).0, 401);
}

/// Opens a connection that sends half its headers and stops.
fn slow_client(addr: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap();
    stream
}

#[test]
fn slow_clients_are_dropped_and_cannot_starve_the_others() {
    let (_data, d) = prepared();
    let server = start(&d, &["--header-timeout", "1"]);
    let slow: Vec<TcpStream> = (0..300).map(|_| slow_client(&server.addr)).collect();
    // Others are still served while the 300 hang.
    let (status, _, body) = http(&server.addr, "GET", "/health", None, None);
    assert_eq!(status, 200, "{body}");
    // And the server hangs up on every one of them once the header timeout passes.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    for mut s in slow {
        s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let mut buf = Vec::new();
        // Closed: the read ends (with or without a 408 first), it does not time out.
        assert!(s.read_to_end(&mut buf).is_ok(), "still open");
    }
    // Beyond the connection limit: a JSON 503, not a hang.
    let server = start(&d, &["--max-connections", "4", "--header-timeout", "30"]);
    let _held: Vec<TcpStream> = (0..4).map(|_| slow_client(&server.addr)).collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    // The answer comes before any request is sent (so none is written: it
    // would meet a closed socket).
    let mut fifth = TcpStream::connect(&server.addr).unwrap();
    fifth.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let mut response = String::new();
    fifth.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{response:?}"));
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert_eq!(json(body)["error"]["code"], "too_many_connections");
}

#[test]
fn every_error_is_json() {
    let (_data, d, key) = keyed();
    let server = start(&d, &[]);
    // A method the endpoint does not take: 405, with Allow kept.
    let (status, head, body) = http(&server.addr, "DELETE", "/health", None, None);
    assert_eq!(status, 405, "{head}");
    assert_eq!(json(&body)["error"]["code"], "method_not_allowed");
    assert!(head.to_ascii_lowercase().contains("allow:"), "{head}");
    // A body beyond the limit: 413. The server answers once it has read past
    // the limit and may close before the rest is sent, so a thread writes
    // (its errors ignored) while this one reads.
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let head = format!(
        "POST /v1/screen HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        2 << 20
    );
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&vec![b' '; 2 << 20]);
    });
    let mut response = String::new();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    let _ = stream.read_to_string(&mut response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{response:?}"));
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert_eq!(json(body)["error"]["code"], "payload_too_large");
    let _ = sending.join();
    // A body that is not JSON: axum's rejection, as the API's JSON error.
    let (status, _, body) = http(&server.addr, "POST", "/v1/screen", Some(&key), Some("{not json"));
    assert_eq!(status, 400, "{body}");
    assert_eq!(json(&body)["error"]["code"], "bad_request");
    // An over-long target, too many header lines, too large a header block:
    // refused before any work, in JSON, with or without a key.
    let long = format!("/v1/transactions/{}", "a".repeat(9 << 10));
    let (status, _, body) = http(&server.addr, "GET", &long, Some(&key), None);
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (414, Some("uri_too_long")), "{body}");
    for extra in [
        (0..120).map(|n| format!("X-Filler-{n}: {n}\r\n")).collect::<String>(),
        format!("X-Big: {}\r\n", "b".repeat(40 << 10)),
    ] {
        let mut stream = TcpStream::connect(&server.addr).unwrap();
        write!(stream, "GET /health HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{response:?}"));
        assert!(head.starts_with("HTTP/1.1 431"), "{head}");
        assert_eq!(json(body)["error"]["code"], "headers_too_large");
    }
}

#[test]
fn a_running_server_sees_new_labels_and_says_which_state_it_answers_from() {
    let (_data, d, key) = keyed();
    let server = start(&d, &[]);
    let (a, k) = (server.addr.as_str(), Some(key.as_str()));
    // The miner's coinbase address (block 1 of the fixture): no label, no taint.
    let address = "bcrt1q3tq9celywjp5a56x5gtr7emh6fcxlgf97zml8y";
    let (status, _, body) = http(a, "GET", &format!("/v1/screen/{address}?hops=1"), k, None);
    assert_eq!(status, 200, "{body}");
    let before = json(&body);
    assert_ne!(before["risk_level"], "severe", "{before:#}");
    let as_of = &before["as_of"];
    assert!(as_of["generation"].is_u64() && as_of["tip"]["height"].is_u64() && as_of["tip"]["hash"].is_string());
    assert_eq!(as_of["clustering"]["behind"], false, "{as_of:#}");
    assert!(as_of["labels"]["count"].as_u64().unwrap() > 0);

    // Sanctioned while the server runs: the next answers say so, from the new labels.
    let sdn = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(sdn.path(), format!("address,label,category\n{address},OFAC SDN (test),sanctioned\n")).unwrap();
    ok(run(&with_index(&["tags", "import", sdn.path().to_str().unwrap(), "--source", "ofac"], &d)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let after = loop {
        let (_, _, body) = http(a, "GET", &format!("/v1/screen/{address}?hops=1"), k, None);
        let answer = json(&body);
        if answer["risk_level"] == "severe" {
            break answer;
        }
        assert!(std::time::Instant::now() < deadline, "the server never saw the new label: {answer:#}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_ne!(after["as_of"]["labels"]["version"], as_of["labels"]["version"]);
    assert_eq!(after["as_of"]["labels"]["count"].as_u64(), as_of["labels"]["count"].as_u64().map(|n| n + 1));
    assert_eq!(after["as_of"]["tip"], as_of["tip"]);
    let (_, _, body) = http(a, "GET", "/health", None, None);
    assert_eq!(json(&body)["as_of"]["labels"], after["as_of"]["labels"]);
}

#[test]
fn no_request_can_take_unbounded_work_or_memory() {
    let (_data, d, key) = keyed();
    let k = Some(key.as_str());
    let trace = "{\"from\": [\"4669175e0ef695c38d861e3fcff30af5869925c8156fe505a5111a267e38bfbb:1\"], \"max_hops\": 5}";
    // Steps: a trace, a screening and an entity view each stop at the budget.
    let server = start(&d, &["--max-steps", "3"]);
    let a = server.addr.as_str();
    let (status, _, body) = http(a, "POST", "/v1/trace", k, Some(trace));
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (413, Some("limit_exceeded")), "{body}");
    let cashout = "808af00734ad1b529937040b056106fa5583b68eff000edc9821afeebf37cd40";
    let (status, _, body) = http(a, "GET", &format!("/v1/screen/{cashout}:0?hops=5"), k, None);
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (413, Some("limit_exceeded")), "{body}");
    let batch = format!("{{\"subjects\": [\"{cashout}:0\"], \"hops\": 5}}");
    let (status, _, body) = http(a, "POST", "/v1/screen", k, Some(&batch));
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (413, Some("limit_exceeded")), "{body}");
    // Records: the trace's graph.
    let server = start(&d, &["--max-records", "2"]);
    let (status, _, body) = http(&server.addr, "POST", "/v1/trace", k, Some(trace));
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (413, Some("limit_exceeded")), "{body}");
    // Bytes: any answer beyond the size limit.
    let server = start(&d, &["--max-response", "600"]);
    let (status, _, body) = http(&server.addr, "GET", &format!("/v1/transactions/{cashout}"), k, None);
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (413, Some("response_too_large")), "{body}");
    // Starts: at most 100 entries in `from`.
    let from = vec![format!("\"{cashout}\""); 101].join(",");
    let (status, _, body) = http(&server.addr, "POST", "/v1/trace", k, Some(&format!("{{\"from\": [{from}]}}")));
    assert_eq!((status, json(&body)["error"]["field"].as_str()), (400, Some("from")), "{body}");
    // Within the limits, the same requests are answered.
    let server = start(&d, &[]);
    let (status, _, body) = http(&server.addr, "POST", "/v1/trace", k, Some(trace));
    assert_eq!(status, 200, "{body}");
    let full = json(&body);
    assert_eq!(full["omitted"]["endpoints"], 0, "{body}");
    // The trace's own bounds: transactions split, rows answered.
    let capped = |extra: &str| trace.replace("\"max_hops\": 5", &format!("\"max_hops\": 5, {extra}"));
    for (extra, field) in [("\"max_nodes\": 100001", "max_nodes"), ("\"max_rows\": 0", "max_rows")] {
        let (status, _, body) = http(&server.addr, "POST", "/v1/trace", k, Some(&capped(extra)));
        assert_eq!((status, json(&body)["error"]["field"].as_str()), (400, Some(field)), "{body}");
    }
    let (status, _, body) = http(&server.addr, "POST", "/v1/trace", k, Some(&capped("\"max_nodes\": 1")));
    assert_eq!(status, 200, "{body}");
    let one = json(&body);
    assert!(one["summary"]["limit"].as_u64().unwrap() > 0, "{body}");
    assert_eq!(one["traced_value"], full["traced_value"]);
    let (status, _, body) = http(&server.addr, "POST", "/v1/trace", k, Some(&capped("\"max_rows\": 1")));
    assert_eq!(status, 200, "{body}");
    let rows = json(&body);
    let endpoints = full["endpoints"].as_array().unwrap();
    assert!(endpoints.len() > 1, "the trace must end at several places for this check");
    assert_eq!(rows["endpoints"].as_array().unwrap().len(), 1);
    assert_eq!(rows["endpoints"][0], endpoints[0], "the largest endpoint is kept");
    assert_eq!(rows["omitted"]["endpoints"].as_u64().unwrap() as usize, endpoints.len() - 1);
    let rest: u64 = endpoints[1..].iter().map(|e| e["value"].as_u64().unwrap()).sum();
    assert_eq!(rows["omitted"]["endpoint_value"], rest);
    assert_eq!(rows["summary"], full["summary"], "the totals still count everything");
}

#[test]
fn answers_say_when_the_clustering_is_behind_the_index() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap().to_owned();
    let blocks = fixtures().join("regtest/small/blocks");
    let ingest = with_index(&["ingest", "--blocks-dir", blocks.to_str().unwrap(), "--commit-blocks", "50"], &d);
    // Killed after its first commit: an index of the chain's first 50 blocks.
    let crashed = Command::new(env!("CARGO_BIN_EXE_chainsleuth"))
        .args(&ingest)
        .env("CHAINSLEUTH_CRASH_AT_COMMIT", "2")
        .output()
        .unwrap();
    assert!(!crashed.status.success());
    ok(run(&with_index(&["cluster"], &d)));
    ok(run(&ingest));
    let miner = "bcrt1q3tq9celywjp5a56x5gtr7emh6fcxlgf97zml8y";
    let out = run(&with_index(&["screen", miner, "--hops", "1", "--json"], &d));
    let report: Value = serde_json::from_str(&ok(out.clone())).unwrap();
    assert_eq!(report["as_of"]["clustering"]["behind"], true, "{report:#}");
    assert!(report["as_of"]["clustering"]["tip_height"].as_u64().unwrap() < 50);
    assert!(String::from_utf8_lossy(&out.stderr).contains("run `chainsleuth cluster`"));
    ok(run(&with_index(&["cluster"], &d)));
    let report: Value =
        serde_json::from_str(&ok(run(&with_index(&["screen", miner, "--hops", "1", "--json"], &d)))).unwrap();
    assert_eq!(report["as_of"]["clustering"]["behind"], false, "{report:#}");
    assert_eq!(report["as_of"]["clustering"]["tip_height"], report["as_of"]["tip"]["height"]);
}

#[test]
fn an_answer_that_cannot_be_audited_is_not_given() {
    let (data, d, key) = keyed();
    let log = data.path().join("audit.log");
    let _ = std::fs::remove_file(&log);
    std::os::unix::fs::symlink("/dev/full", &log).unwrap();
    let path = "/v1/screen/808af00734ad1b529937040b056106fa5583b68eff000edc9821afeebf37cd40:0?hops=1";
    let server = start(&d, &[]);
    let (status, _, body) = http(&server.addr, "GET", path, Some(&key), None);
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (503, Some("audit_unavailable")), "{body}");
    let server = start(&d, &["--audit-fail-open"]);
    let (status, _, body) = http(&server.addr, "GET", path, Some(&key), None);
    assert_eq!(status, 200, "{body}");
}
