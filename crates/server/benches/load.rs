//! A bounded load generator for `chainsleuth serve`, and its preparation.
//!
//! `prepare INDEX_DIR OUT_DIR N_LABELS N_SUBJECTS`: samples addresses of the index
//! (deterministically) into `labels.csv` (N_LABELS labelled addresses, in the
//! taxonomy's categories) and `subjects.txt` (N_SUBJECTS addresses to screen, a
//! tenth of them labelled).
//!
//! `run ADDR KEY PATH SUBJECTS_FILE RATE SECONDS CONNECTIONS`: sends `GET PATH`
//! with `{}` replaced by each subject in turn, at a fixed rate, open loop (each
//! request has a scheduled time, and its latency counts from then, so a slow server
//! cannot hide its queue), over keep-alive connections, and prints throughput and
//! p50/p99/max latency. With PATH `/health` and SUBJECTS_FILE `-` it is the baseline.
//!
//! Driven by bench/serve_load.sh.

use index::{AddrId, Index};
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn prepare(args: &[String]) {
    let index = Index::open(std::path::Path::new(&args[0])).expect("index");
    let out = std::path::Path::new(&args[1]);
    let (labels, subjects): (usize, usize) = (args[2].parse().unwrap(), args[3].parse().unwrap());
    let n = index.counts().addresses;
    let mut picks = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let categories = ["sanctioned", "theft", "mixer", "exchange", "darknet_market", "ransomware", "scam", "gambling"];
    let mut csv = String::from("address,label,category\n");
    let mut labelled = Vec::new();
    while labelled.len() < labels {
        let address = index.address_text(AddrId(picks.random_range(0..n) as u32));
        if address.contains('-') {
            continue; // a script without an address
        }
        let k = labelled.len();
        let category = categories[k % categories.len()];
        csv.push_str(&format!("{address},{category} {k},{category}\n"));
        labelled.push(address);
    }
    let mut list = String::new();
    for k in 0..subjects {
        let address = if k % 10 == 0 && !labelled.is_empty() {
            labelled[k / 10 % labelled.len()].clone()
        } else {
            index.address_text(AddrId(picks.random_range(0..n) as u32))
        };
        if !address.contains('-') {
            list.push_str(&address);
            list.push('\n');
        }
    }
    std::fs::create_dir_all(out).unwrap();
    std::fs::write(out.join("labels.csv"), csv).unwrap();
    std::fs::write(out.join("subjects.txt"), list).unwrap();
    println!("wrote {} labels and {} subjects to {}", labelled.len(), subjects, out.display());
}

/// Sends one request on a keep-alive connection and reads the whole response.
fn request(stream: &mut BufReader<TcpStream>, host: &str, key: &str, path: &str) -> std::io::Result<u16> {
    write!(stream.get_mut(), "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n")?;
    let mut line = String::new();
    stream.read_line(&mut line)?;
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        stream.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    Ok(status)
}

fn run(args: &[String]) {
    let (addr, key, path) = (args[0].clone(), args[1].clone(), args[2].clone());
    let subjects: Vec<String> = if args[3] == "-" {
        vec![String::new()]
    } else {
        std::fs::read_to_string(&args[3]).unwrap().lines().map(str::to_owned).collect()
    };
    let rate: f64 = args[4].parse().unwrap();
    let seconds: f64 = args[5].parse().unwrap();
    let connections: usize = args[6].parse().unwrap();
    let total = (rate * seconds) as usize;
    let interval = Duration::from_secs_f64(connections as f64 / rate);
    let started = Instant::now() + Duration::from_millis(200);
    let workers: Vec<_> = (0..connections)
        .map(|w| {
            let (addr, key, path, subjects) = (addr.clone(), key.clone(), path.clone(), subjects.clone());
            std::thread::spawn(move || {
                let mut stream = BufReader::new(TcpStream::connect(&addr).expect("connect"));
                stream.get_ref().set_nodelay(true).ok();
                let (mut latencies, mut errors) = (Vec::new(), 0usize);
                let mine = total / connections;
                // Each connection starts at its own offset within the first interval.
                let offset = interval.mul_f64(w as f64 / connections as f64);
                for k in 0..mine {
                    let due = started + offset + interval * k as u32;
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    let subject = &subjects[(w + k * connections) % subjects.len()];
                    match request(&mut stream, &addr, &key, &path.replace("{}", subject)) {
                        Ok(200) => latencies.push(due.elapsed()),
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for w in workers {
        let (l, e) = w.join().unwrap();
        latencies.extend(l);
        errors += e;
    }
    let wall = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |q: f64| latencies.get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)));
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1e3);
    println!(
        "{path:<28} {} ok, {errors} errors, {:.0} req/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        latencies.len() as f64 / wall,
        ms(at(0.5)),
        ms(at(0.99)),
        ms(latencies.last())
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    match args.first().map(String::as_str) {
        Some("prepare") => prepare(&args[1..]),
        Some("run") => run(&args[1..]),
        _ => eprintln!(
            "usage: load prepare INDEX OUT LABELS SUBJECTS | load run ADDR KEY PATH SUBJECTS RATE SECONDS CONNECTIONS (see bench/serve_load.sh)"
        ),
    }
}
