//! `vigil bench http`: a bounded load test of the real server on 127.0.0.1.
//!
//! For each database (a temporary SQLite file; PostgreSQL when `--pg URL` or `VIGIL_TEST_PG_URL`
//! is given) it imports the UN list, creates a user with a session and an API token, starts the
//! server on a free port of 127.0.0.1 (its own runtime, one worker per core), and drives N
//! concurrent clients, each on its own keep-alive connection, for a fixed time against:
//! a public page (`/law/5A001.j`), a signed-in page (the screening page with the list status) and
//! `POST /api/v1/screen` with a bearer token. It reports requests/s and p50/p99 latency. Then
//! `POST /api/v1/transmissions` runs open loop: 200 requests/s sent on schedule by a pacing thread
//! to eight blocking client threads, each latency measured from the time the request was due (so
//! a slow answer cannot hide the ones it delays).
//!
//! The client is a minimal HTTP/1.1 client over a tokio `TcpStream` (no new dependency, nothing
//! installed): it measures from the first byte written to the last byte of the body read. It runs
//! on one thread of the same machine, so it takes CPU from the server: the figures are a floor.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use vigil_domain::access::Role;
use vigil_store::Store;
use vigil_store::accounts::NewUser;

use crate::Failure;
use crate::lists_cmd::error_chain;

/// Options of `vigil bench http`.
#[derive(Debug, Args)]
pub struct HttpBenchArgs {
    /// Seconds per scenario (1–300).
    #[arg(long, default_value_t = 10, value_name = "N")]
    seconds: u64,
    /// Concurrent clients (1–500).
    #[arg(long, default_value_t = 50, value_name = "N")]
    users: usize,
    /// The shared data folder (for the UN list in sanctions/).
    #[arg(long, default_value = "../shared/data")]
    data: PathBuf,
    /// Also run on this PostgreSQL database (its lists, a new user and organisation are added).
    #[arg(long, value_name = "URL", env = "VIGIL_TEST_PG_URL")]
    pg: Option<String>,
    /// Run only the transmissions scenario (open loop, 200 requests/s).
    #[arg(long)]
    transmissions_only: bool,
}

/// Names screened in turn: listed people and entities, and innocents.
const NAMES: [&str; 8] = [
    "Eric Badege",
    "Frank Kakolele Bwambale",
    "Gaston Iyamuremye",
    "Al-Qaida",
    "Maria Schneider",
    "Jean Dupont",
    "Acme Trading GmbH",
    "Mohammed Omar",
];

struct Scenario {
    label: &'static str,
    target: &'static str,
    requests: Vec<Vec<u8>>,
}

struct Outcome {
    ok: usize,
    errors: usize,
    latencies: Vec<Duration>,
    elapsed: Duration,
    /// Body bytes read (a check that the pages are whole).
    bytes: usize,
}

pub(crate) fn run(args: &HttpBenchArgs) -> Result<(), Failure> {
    if !(1..=300).contains(&args.seconds) || !(1..=500).contains(&args.users) {
        return Err(Failure::Input(
            "--seconds must be 1–300 and --users 1–500".to_owned(),
        ));
    }
    let un = un_file(&args.data)?;
    let un_list = vigil_screening::loaders::un::parse(
        &std::fs::read(&un)
            .map_err(|e| Failure::Input(format!("{}: cannot read: {e}", un.display())))?,
    )
    .map_err(|e| Failure::Input(format!("{}: {}", un.display(), error_chain(&e))))?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "vigil bench http: {} clients × {} s per scenario, server on 127.0.0.1 with {cores} worker thread(s), client on 1 thread of the same machine",
        args.users, args.seconds
    );
    let dir = std::env::temp_dir().join(format!(
        "vigil-bench-http-{}-{}",
        std::process::id(),
        vigil_store::accounts::now_micros()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| Failure::Other(e.into()))?;
    let sqlite = format!("sqlite://{}", dir.join("bench.db").display());
    let mut dbs = vec![("SQLite", sqlite)];
    if let Some(pg) = &args.pg {
        dbs.push(("PostgreSQL", pg.clone()));
    }
    let mut result = Ok(());
    for (label, url) in dbs {
        if let Err(e) = bench_db(label, &url, &un_list, args, cores) {
            result = Err(e);
            break;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn un_file(data: &Path) -> Result<PathBuf, Failure> {
    let dir = data.join("sanctions");
    let found = std::fs::read_dir(&dir)
        .map_err(|e| Failure::Input(format!("{}: cannot read: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("un_sc_consolidated") && n.ends_with(".xml"))
        });
    found.ok_or_else(|| {
        Failure::Input(format!(
            "{}: no un_sc_consolidated*.xml (give the shared data folder with --data)",
            dir.display()
        ))
    })
}

fn other(e: impl std::fmt::Display) -> Failure {
    Failure::Other(anyhow::anyhow!("{e}"))
}

fn bench_db(
    label: &str,
    url: &str,
    un: &vigil_screening::LoadedList,
    args: &HttpBenchArgs,
    cores: usize,
) -> Result<(), Failure> {
    let store = Store::open(url).map_err(|e| other(error_chain(&e)))?;
    store
        .import_list(un, "bench: UN list")
        .map_err(|e| other(error_chain(&e)))?;
    let stamp = vigil_store::accounts::now_micros();
    let (user, org) = store
        .admin_create_user(
            &NewUser {
                email: &format!("bench-{stamp}@example.com"),
                display_name: "Bench",
                password: "bench password long enough",
            },
            &format!("Bench {stamp}"),
            Role::Officer,
            "bench",
        )
        .map_err(|e| other(error_chain(&e)))?;
    let session = store
        .start_session(&user.id)
        .map_err(|e| other(error_chain(&e)))?;
    let scope = store
        .scope(&user.id, &org.id)
        .map_err(|e| other(error_chain(&e)))?
        .ok_or_else(|| other("the bench user is not a member"))?;
    let (_, token) = store
        .create_token(&scope, "bench")
        .map_err(|e| other(error_chain(&e)))?;
    // An item version the transmissions scenario names: encryption software (5D002.c.1).
    let item = store
        .create_item(
            &scope,
            &vigil_store::records::NewItem {
                name: "BENCH-SDK",
                kind: "software",
                description: "Encryption library delivered by download",
            },
        )
        .map_err(|e| other(error_chain(&e)))?;
    store
        .classify_item(
            &scope,
            &item.id,
            &vigil_store::records::NewClassification {
                version_label: "v1",
                sheet_json: "{}",
                result_json: "{}",
                entries: &["5D002.c.1".to_owned()],
                cyber_surveillance: false,
                law_version: "bench",
            },
        )
        .map_err(|e| other(error_chain(&e)))?;

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(e.into()))?;
    let state = vigil_server::AppState::embedded(vigil_server::system_today)
        .map_err(|e| Failure::Other(e.into()))?
        .with_store(store.clone(), false);
    let app = server_rt
        .block_on(vigil_server::Application::bind(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            state,
        ))
        .map_err(|e| Failure::Other(e.into()))?;
    let addr = app.local_addr().map_err(|e| Failure::Other(e.into()))?;
    server_rt.spawn(app.serve());

    let host = addr.to_string();
    let get = |path: &str, extra: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n").into_bytes()
    };
    let cookie = format!("Cookie: vigil_session={session}\r\n");
    let screen: Vec<Vec<u8>> = NAMES
        .iter()
        .map(|n| {
            let body = serde_json::json!({"name": n, "limit": 10}).to_string();
            format!(
                "POST /api/v1/screen HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect();
    let transmit: Vec<Vec<u8>> = TRANSMISSIONS
        .iter()
        .map(|(org, declared, seen, purpose)| {
            let body = serde_json::json!({
                "item": "BENCH-SDK", "version": "v1",
                "recipient": {"name": "Bench Recipient", "organisation": org},
                "country_declared": declared, "country_seen": seen,
                "purpose": purpose, "exporter_country": "FR",
            })
            .to_string();
            format!(
                "POST /api/v1/transmissions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect();
    let scenarios = [
        Scenario {
            label: "page GET /law/5A001.j (public)",
            target: "p99 ≤ 50 ms",
            requests: vec![get("/law/5A001.j", "")],
        },
        Scenario {
            label: "page GET /orgs/{org}/screening (signed in)",
            target: "p99 ≤ 50 ms",
            requests: vec![get(&format!("/orgs/{}/screening", org.id), &cookie)],
        },
        Scenario {
            label: "POST /api/v1/screen (bearer token)",
            target: "≥ 500 req/s",
            requests: screen,
        },
    ];
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(e.into()))?;
    println!(
        "\n{label} ({}), UN list {} entries",
        vigil_store::redact(url),
        un.entries.len()
    );
    println!(
        "{:<44} {:>9} {:>7} {:>9} {:>9} {:>9} {:>9} {:>8}  target",
        "scenario", "requests", "errors", "req/s", "p50 ms", "p99 ms", "max ms", "bytes"
    );
    let closed_loop: &[Scenario] = if args.transmissions_only {
        &[]
    } else {
        &scenarios
    };
    for s in closed_loop {
        // A short warm-up (connections, caches), not counted.
        client_rt.block_on(drive(addr, &s.requests, args.users, Duration::from_secs(1)));
        let o = client_rt.block_on(drive(
            addr,
            &s.requests,
            args.users,
            Duration::from_secs(args.seconds),
        ));
        let mut lat = o.latencies;
        lat.sort_unstable();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "{:<44} {:>9} {:>7} {:>9.0} {:>9.2} {:>9.2} {:>9.2} {:>8}  {}",
            s.label,
            o.ok,
            o.errors,
            o.ok as f64 / o.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            pct(1.0),
            o.bytes / (o.ok + o.errors).max(1),
            s.target
        );
    }
    // Open loop: 200 requests/s on schedule, whatever the answers' pace; latency is measured
    // from the time each request was due, so a stall shows in every request it delays.
    // The peer, in the same run and at the same rate: `GET /api/v1/me`, the same bearer token
    // and HTTP path with no decision and no write — the floor of this machine and client.
    let me = vec![
        format!("GET /api/v1/me HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n")
            .into_bytes(),
    ];
    let mut rows = Vec::new();
    for (label, requests, target) in [
        (
            "POST /api/v1/transmissions (open loop, 200/s)",
            &transmit,
            "p99 ≤ 5 ms at 200 req/s",
        ),
        ("peer: GET /api/v1/me (open loop, 200/s)", &me, "floor"),
    ] {
        open_loop(addr, requests, TRANSMIT_RATE, Duration::from_secs(1));
        let o = open_loop(
            addr,
            requests,
            TRANSMIT_RATE,
            Duration::from_secs(args.seconds),
        );
        let mut lat = o.latencies;
        lat.sort_unstable();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "{:<44} {:>9} {:>7} {:>9.0} {:>9.2} {:>9.2} {:>9.2} {:>8}  {target}",
            label,
            o.ok,
            o.errors,
            o.ok as f64 / o.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            pct(1.0),
            o.bytes / (o.ok + o.errors).max(1),
        );
        rows.push((pct(0.50), pct(0.99)));
    }
    if let [(t50, t99), (m50, m99)] = rows[..] {
        println!(
            "transmission ÷ peer: p50 {:.1}×, p99 {:.1}×",
            t50 / m50.max(f64::EPSILON),
            t99 / m99.max(f64::EPSILON)
        );
    }
    server_rt.shutdown_timeout(Duration::from_secs(2));
    Ok(())
}

/// The transmissions sent in turn: (recipient organisation, declared, seen, purpose) — allowed
/// under EU001, held on a declared ≠ seen country, licence required (held: no licence).
const TRANSMISSIONS: [(&str, &str, &str, &str); 8] = [
    ("Northwind Networks Inc.", "US", "US", "download"),
    ("Maple Systems Ltd", "CA", "CA", "update"),
    ("Tokyo Cyber Range KK", "JP", "JP", "saas_access"),
    ("Acme Trading GmbH", "US", "CA", "download"),
    ("Fjord Data AS", "NO", "NO", "download"),
    ("Southern Cross Pty", "AU", "AU", "remote_support"),
    ("Rede Segura Ltda", "BR", "BR", "download"),
    ("Kiwi Soft Ltd", "NZ", "NZ", "update"),
];

/// The fixed rate of the transmissions scenario, requests per second.
const TRANSMIT_RATE: u32 = 200;

/// How many client threads the open loop has: requests due while all are busy wait for one, and
/// that wait counts in their latency.
const OPEN_LOOP_THREADS: usize = 8;

/// Sends `requests` in turn at `rate` per second for `duration`, on schedule (open loop). A
/// pacing thread sleeps until each request is due (`std::thread::sleep`: tens of microseconds of
/// slack on Linux, where a tokio timer has a 1 ms tick) and hands it to one of
/// [`OPEN_LOOP_THREADS`] client threads, each with its own keep-alive connection and blocking
/// I/O. Each latency is measured from the time the request was due to the last byte of its
/// answer, so a slow answer cannot hide the requests it delays.
fn open_loop(addr: SocketAddr, requests: &[Vec<u8>], rate: u32, duration: Duration) -> Outcome {
    use std::sync::{Arc, Mutex, PoisonError, mpsc};
    let n = (duration.as_secs_f64() * f64::from(rate)) as usize;
    let interval = Duration::from_secs(1) / rate.max(1);
    let (tx, rx) = mpsc::channel::<(usize, Instant)>();
    let rx = Arc::new(Mutex::new(rx));
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(requests.to_vec());
    let started = Instant::now();
    let workers: Vec<_> = (0..OPEN_LOOP_THREADS)
        .map(|_| {
            let (rx, requests) = (rx.clone(), requests.clone());
            std::thread::spawn(move || {
                let mut out = Outcome {
                    ok: 0,
                    errors: 0,
                    latencies: Vec::new(),
                    elapsed: Duration::ZERO,
                    bytes: 0,
                };
                let mut conn: Option<std::io::BufReader<std::net::TcpStream>> = None;
                loop {
                    let next = rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok((i, due)) = next else {
                        return out;
                    };
                    let c = match conn.take() {
                        Some(c) => c,
                        None => match std::net::TcpStream::connect(addr) {
                            Ok(s) => {
                                let _ = s.set_nodelay(true);
                                std::io::BufReader::new(s)
                            }
                            Err(_) => {
                                out.errors += 1;
                                continue;
                            }
                        },
                    };
                    match exchange_blocking(c, &requests[i % requests.len()]) {
                        Ok((c, status, bytes)) => {
                            out.latencies.push(due.elapsed());
                            out.bytes += bytes;
                            if (200..300).contains(&status) {
                                out.ok += 1;
                            } else {
                                out.errors += 1;
                            }
                            conn = Some(c);
                        }
                        Err(_) => out.errors += 1,
                    }
                }
            })
        })
        .collect();
    for i in 0..n {
        let due = started + interval * u32::try_from(i).unwrap_or(u32::MAX);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if tx.send((i, due)).is_err() {
            break;
        }
    }
    drop(tx);
    let mut total = Outcome {
        ok: 0,
        errors: 0,
        latencies: Vec::with_capacity(n),
        elapsed: Duration::ZERO,
        bytes: 0,
    };
    for w in workers {
        match w.join() {
            Ok(o) => {
                total.ok += o.ok;
                total.errors += o.errors;
                total.bytes += o.bytes;
                total.latencies.extend(o.latencies);
            }
            Err(_) => total.errors += 1,
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// [`exchange`] with blocking I/O (the open loop's client threads).
fn exchange_blocking(
    mut c: std::io::BufReader<std::net::TcpStream>,
    req: &[u8],
) -> std::io::Result<(std::io::BufReader<std::net::TcpStream>, u16, usize)> {
    use std::io::{BufRead, Read, Write};
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    c.get_mut().write_all(req)?;
    let mut line = String::new();
    if c.read_line(&mut line)? == 0 {
        return Err(bad("connection closed"));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let mut length = 0usize;
    loop {
        line.clear();
        if c.read_line(&mut line)? == 0 {
            return Err(bad("truncated headers"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().map_err(|_| bad("bad content-length"))?;
            } else if k.trim().eq_ignore_ascii_case("transfer-encoding") {
                return Err(bad("chunked answers are not expected here"));
            }
        }
    }
    let mut buf = vec![0; length];
    c.read_exact(&mut buf)?;
    Ok((c, status, length))
}

/// `users` clients, each on one keep-alive connection, sending `requests` in turn until
/// `duration` has passed.
async fn drive(
    addr: SocketAddr,
    requests: &[Vec<u8>],
    users: usize,
    duration: Duration,
) -> Outcome {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(users);
    for u in 0..users {
        let requests = requests.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome {
                ok: 0,
                errors: 0,
                latencies: Vec::new(),
                elapsed: Duration::ZERO,
                bytes: 0,
            };
            let mut conn: Option<BufReader<TcpStream>> = None;
            let mut i = u;
            while Instant::now() < deadline {
                let req = &requests[i % requests.len()];
                i += 1;
                let t = Instant::now();
                let c = match conn.take() {
                    Some(c) => c,
                    None => match TcpStream::connect(addr).await {
                        Ok(s) => {
                            let _ = s.set_nodelay(true);
                            BufReader::new(s)
                        }
                        Err(_) => {
                            out.errors += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                };
                match exchange(c, req).await {
                    Ok((c, status, n)) => {
                        out.latencies.push(t.elapsed());
                        out.bytes += n;
                        if (200..300).contains(&status) {
                            out.ok += 1;
                        } else {
                            out.errors += 1;
                        }
                        conn = Some(c);
                    }
                    Err(_) => out.errors += 1,
                }
            }
            out
        }));
    }
    let mut total = Outcome {
        ok: 0,
        errors: 0,
        latencies: Vec::new(),
        elapsed: Duration::ZERO,
        bytes: 0,
    };
    for t in tasks {
        if let Ok(o) = t.await {
            total.ok += o.ok;
            total.errors += o.errors;
            total.bytes += o.bytes;
            total.latencies.extend(o.latencies);
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// Sends one request and reads its whole response: the connection back and the status.
async fn exchange(
    mut c: BufReader<TcpStream>,
    req: &[u8],
) -> std::io::Result<(BufReader<TcpStream>, u16, usize)> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_owned());
    c.get_mut().write_all(req).await?;
    let mut line = String::new();
    if c.read_line(&mut line).await? == 0 {
        return Err(bad("connection closed"));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let mut length: Option<usize> = None;
    let mut chunked = false;
    loop {
        line.clear();
        if c.read_line(&mut line).await? == 0 {
            return Err(bad("truncated headers"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k == "content-length" {
                length = v.trim().parse().ok();
            } else if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            }
        }
    }
    let mut read = 0;
    if chunked {
        loop {
            line.clear();
            c.read_line(&mut line).await?;
            let n = usize::from_str_radix(line.trim(), 16).map_err(|_| bad("bad chunk"))?;
            let mut buf = vec![0; n + 2];
            c.read_exact(&mut buf).await?;
            read += n;
            if n == 0 {
                break;
            }
        }
    } else {
        let mut buf = vec![0; length.unwrap_or(0)];
        c.read_exact(&mut buf).await?;
        read = buf.len();
    }
    Ok((c, status, read))
}
