//! Helpers shared by the tests that run the command line and the real server:
//! the regtest chain prepared with labels, a server on a random port, and plain
//! HTTP/1.1 requests.
#![allow(dead_code)] // each test crate uses its own share of them

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainsleuth")).args(args).output().unwrap()
}

pub fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

pub fn with_index<'a>(args: &[&'a str], dir: &'a str) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--network", "regtest", "--data-dir", dir]);
    all
}

/// The regtest chain indexed and clustered, with labels: the thief's stolen outputs
/// as a theft, exchange_b's deposit addresses as an exchange.
pub fn prepared() -> (tempfile::TempDir, String) {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap().to_owned();
    let blocks = fixtures().join("regtest/small/blocks");
    ok(run(&with_index(&["ingest", "--blocks-dir", blocks.to_str().unwrap()], &d)));
    ok(run(&with_index(&["cluster"], &d)));
    let truth: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("regtest/small/ground_truth.json")).unwrap()).unwrap();
    let mut csv = String::from("address,label,category,source\n");
    for o in truth["thefts"][0]["stolen_outputs"].as_array().unwrap() {
        csv.push_str(&format!("{},exchange_a hack,theft,ground truth\n", o["address"].as_str().unwrap()));
    }
    for c in truth["cashouts"].as_array().unwrap() {
        csv.push_str(&format!("{},exchange_b,exchange,ground truth\n", c["deposit_address"].as_str().unwrap()));
    }
    csv.push_str("not-an-address,bad,theft\n");
    let labels = data.path().join("investigation.csv");
    std::fs::write(&labels, csv).unwrap();
    let out = ok(run(&with_index(&["tags", "import", labels.to_str().unwrap(), "--json"], &d)));
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["source"], "investigation");
    assert_eq!(report["rejected"].as_array().unwrap().len(), 1);
    assert!(report["rejected"][0]["line"].as_u64().unwrap() > 20);
    (data, d)
}

/// A running `chainsleuth serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(dir: &str, extra: &[&str]) -> Server {
    let mut args = with_index(&["serve", "--bind", "127.0.0.1:0", "--threads", "2"], dir);
    args.extend(extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainsleuth"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("{line}")).to_owned();
    Server { child, addr }
}

/// [`prepared`], with an API key.
pub fn keyed() -> (tempfile::TempDir, String, String) {
    let (data, d) = prepared();
    let created: Value = serde_json::from_str(&ok(run(&with_index(&["apikey", "create", "--json"], &d)))).unwrap();
    (data, d, created["key"].as_str().unwrap().to_owned())
}

/// One HTTP/1.1 request; the status and the body.
pub fn http(addr: &str, method: &str, path: &str, key: Option<&str>, body: Option<&str>) -> (u16, String, String) {
    let auth = key.map(|k| format!("Bearer {k}"));
    let headers: Vec<(&str, &str)> = auth.as_deref().map(|a| ("Authorization", a)).into_iter().collect();
    request(addr, method, path, &headers, body)
}

/// One HTTP/1.1 request with the headers given; the status, the head and the body.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let extra: String = headers.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}
