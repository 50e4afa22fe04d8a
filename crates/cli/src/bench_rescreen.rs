//! `vigil bench rescreen`: the rescreen of every party after a list update, by delta (what Vigil
//! does after an import) beside a full rescreen of every party against the whole index (the
//! peer).
//!
//! It builds a temporary SQLite store with N synthetic parties spread over a few organisations
//! (names drawn from a realistic mix: innocent people's names of the shared evaluation data,
//! ordinary company names, and about 3 % listed names perturbed), some open operations, imports
//! the real OFAC SDN CSV set of `shared/data` (every party screened in full), then a modified
//! version of it (a few % of the entries changed, added or removed) and times the delta rescreen
//! ([`vigil_store::Store::rescreen_after_import`], writes included). The peer is timed on the
//! same parties: the whole index built and every party searched against it, on as many threads
//! (its writes are not counted, so the ratio flatters the peer).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use vigil_domain::access::Role;
use vigil_screening::{Index, ListEntry, LoadedList, NameQuality};
use vigil_store::Store;
use vigil_store::accounts::{NewUser, OrgScope};
use vigil_store::party_screening::{HitDecision, NewClearance, search_party};
use vigil_store::records::{NewOperation, NewParty};

use crate::Failure;
use crate::lists_cmd::{SourceArg, error_chain};

/// `vigil bench rescreen …`
#[derive(Debug, Args)]
pub struct RescreenArgs {
    /// Number of synthetic parties.
    #[arg(long, default_value_t = 50_000)]
    parties: usize,
    /// The shared data folder (sanctions lists and evaluation sets).
    #[arg(long, default_value = "../shared/data")]
    data: PathBuf,
    /// Share of the list's entries changed, and half as many added and removed, in the update
    /// (percent).
    #[arg(long, default_value_t = 2.0)]
    change_pct: f64,
    /// Organisations the parties are spread over.
    #[arg(long, default_value_t = 10)]
    orgs: usize,
}

/// A small deterministic generator (xorshift64*): the same parties on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs.get(self.below(xs.len())).copied().unwrap_or("")
    }
}

const COMPANY_HEADS: [&str; 24] = [
    "Nordic",
    "Alpine",
    "Atlantic",
    "Baltic",
    "Crescent",
    "Delta",
    "Everest",
    "Falcon",
    "Granite",
    "Harbour",
    "Iberia",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nova",
    "Orion",
    "Pioneer",
    "Quantum",
    "Riverside",
    "Summit",
    "Tundra",
    "Vertex",
    "Zenith",
];
const COMPANY_MIDS: [&str; 16] = [
    "Data",
    "Networks",
    "Systems",
    "Logistics",
    "Trading",
    "Engineering",
    "Security",
    "Cloud",
    "Optics",
    "Telecom",
    "Analytics",
    "Robotics",
    "Software",
    "Components",
    "Energy",
    "Labs",
];
const COMPANY_FORMS: [&str; 10] = [
    "GmbH",
    "SAS",
    "Ltd",
    "Inc.",
    "B.V.",
    "S.p.A.",
    "AB",
    "Oy",
    "LLC",
    "Sp. z o.o.",
];
const COUNTRIES: [&str; 12] = [
    "DE", "FR", "US", "GB", "NL", "IT", "SE", "FI", "PL", "AE", "TR", "IN",
];

/// Innocent people's names from the evaluation data (synthetic true negatives).
fn innocent_names(data: &Path) -> Result<Vec<String>, Failure> {
    let path = data.join("eval/yente_candidate_generation/negatives_global.csv");
    let mut rdr = csv::Reader::from_path(&path)
        .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))?;
    let mut out = Vec::new();
    for rec in rdr.records().flatten() {
        if let Some(n) = rec.get(0).map(str::trim).filter(|n| !n.is_empty()) {
            out.push(n.to_owned());
        }
    }
    if out.is_empty() {
        return Err(Failure::Input(format!("{}: no names", path.display())));
    }
    Ok(out)
}

/// A listed name, perturbed as people type it: a letter dropped, two tokens swapped, or a token
/// left out.
fn perturb(name: &str, rng: &mut Rng) -> String {
    let mut tokens: Vec<String> = name.split_whitespace().map(str::to_owned).collect();
    match rng.below(3) {
        0 => {
            let i = rng.below(tokens.len());
            if let Some(t) = tokens.get_mut(i)
                && t.chars().count() > 4
            {
                let k = 1 + rng.below(t.chars().count() - 2);
                *t = t
                    .chars()
                    .enumerate()
                    .filter(|(j, _)| *j != k)
                    .map(|(_, c)| c)
                    .collect();
            }
        }
        1 if tokens.len() > 1 => {
            let i = rng.below(tokens.len() - 1);
            tokens.swap(i, i + 1);
        }
        _ if tokens.len() > 2 => {
            let i = rng.below(tokens.len());
            tokens.remove(i);
        }
        _ => {}
    }
    tokens.join(" ")
}

fn party_names(n: usize, innocents: &[String], list: &LoadedList, rng: &mut Rng) -> Vec<String> {
    (0..n)
        .map(|_| match rng.below(100) {
            0..=2 => {
                let e = &list.entries[rng.below(list.entries.len())];
                perturb(e.primary_name(), rng)
            }
            3..=54 => innocents[rng.below(innocents.len())].clone(),
            _ => format!(
                "{} {} {}",
                rng.pick(&COMPANY_HEADS),
                rng.pick(&COMPANY_MIDS),
                rng.pick(&COMPANY_FORMS)
            ),
        })
        .collect()
}

/// The update: `pct` % of the entries changed (an alias added), half as many removed, and half
/// as many added (some of them naming parties, so that the update has new hits).
fn updated(
    list: &LoadedList,
    pct: f64,
    parties: &[String],
    rng: &mut Rng,
) -> (LoadedList, [usize; 3]) {
    let n = list.entries.len();
    let changes = ((n as f64) * pct / 100.0).round() as usize;
    let (mut changed, mut removed) = (0, 0);
    let mut entries: Vec<ListEntry> = Vec::with_capacity(n + changes);
    for e in &list.entries {
        let roll = rng.below(10_000) as f64 / 100.0;
        if roll < pct / 2.0 {
            removed += 1;
            continue;
        }
        let mut e = e.clone();
        if roll < pct * 1.5 {
            let alias = format!("{} (update)", e.primary_name());
            e.push_name(&alias, NameQuality::Alias);
            changed += 1;
        }
        entries.push(e);
    }
    let added = changes.div_ceil(2);
    let template = list.entries.first().map(|e| (e.list, e.kind));
    for i in 0..added {
        let Some((source, kind)) = template else {
            break;
        };
        let mut e = ListEntry::new(source, format!("BENCH-{i}"), kind);
        e.push_name(&parties[rng.below(parties.len())], NameQuality::Primary);
        entries.push(e);
    }
    let raw = format!("{} updated for the benchmark", list.meta.content_sha256);
    let out = LoadedList::new(
        list.meta.source,
        raw.as_bytes(),
        list.meta.published.clone(),
        Some("bench-update".into()),
        entries,
    );
    (out, [changed, added, removed])
}

fn bar(len: u64, what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        eprintln!("… {what}");
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:24} {wide_bar} {pos}/{len} {elapsed}")
    {
        b.set_style(style);
    }
    b.set_message(what.to_owned());
    b
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn other(e: &dyn std::error::Error) -> Failure {
    Failure::Other(anyhow::anyhow!("{}", error_chain(e)))
}

/// Runs the benchmark and prints its table.
///
/// # Errors
/// Missing data ([`Failure::Input`]); a store failure.
#[allow(clippy::too_many_lines, reason = "one benchmark, step by step")]
pub fn run(args: &RescreenArgs) -> Result<(), Failure> {
    let sdn = args.data.join("sanctions/ofac_sdn_csv_2021-07/sdn.csv");
    if !sdn.is_file() {
        return Err(Failure::Input(format!(
            "{}: not found; give the shared data folder with --data",
            sdn.display()
        )));
    }
    let list = crate::lists_cmd::load(&sdn, SourceArg::OfacCsv, None)?;
    if list.entries.is_empty() {
        return Err(Failure::Input(format!("{}: no entries", sdn.display())));
    }
    let innocents = innocent_names(&args.data)?;
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let names = party_names(args.parties, &innocents, &list, &mut rng);

    let dir = std::env::temp_dir().join(format!("vigil-bench-rescreen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Failure::Other(e.into()))?;
    let result = run_in(args, &dir, &list, &names, &mut rng);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(
    args: &RescreenArgs,
    dir: &Path,
    list: &LoadedList,
    names: &[String],
    rng: &mut Rng,
) -> Result<(), Failure> {
    let store = Store::open(&format!("sqlite://{}", dir.join("bench.db").display()))
        .map_err(|e| other(&e))?;
    let today = time::OffsetDateTime::now_utc().date();
    let orgs = args.orgs.max(1);
    let mut scopes: Vec<OrgScope> = Vec::new();
    for i in 0..orgs {
        let (u, o) = store
            .admin_create_user(
                &NewUser {
                    email: &format!("bench{i}@example.org"),
                    display_name: "bench",
                    password: "correct horse battery staple",
                },
                &format!("Bench org {i}"),
                Role::Admin,
                "bench",
            )
            .map_err(|e| other(&e))?;
        if let Some(s) = store.scope(&u.id, &o.id).map_err(|e| other(&e))? {
            scopes.push(s);
        }
    }
    if scopes.is_empty() {
        return Err(Failure::Other(anyhow::anyhow!(
            "no organisation could be created"
        )));
    }
    let b = bar(names.len() as u64, "creating parties");
    let mut party_ids: Vec<(usize, String)> = Vec::with_capacity(names.len());
    let started = Instant::now();
    for (i, name) in names.iter().enumerate() {
        let scope = &scopes[i % scopes.len()];
        let p = store
            .create_party(
                scope,
                &NewParty {
                    role: "end_user",
                    name,
                    country: COUNTRIES[i % COUNTRIES.len()],
                    notes: "",
                },
            )
            .map_err(|e| other(&e))?;
        party_ids.push((i % scopes.len(), p.id));
        b.inc(1);
    }
    b.finish_and_clear();
    let create_time = started.elapsed();
    // One open operation per 100 parties.
    let mut operations = 0;
    for (k, (org, id)) in party_ids.iter().enumerate().step_by(100) {
        let ids = [id.clone()];
        store
            .create_operation(
                &scopes[*org],
                &NewOperation {
                    reference: &format!("BENCH-{k}"),
                    input_json: "{}",
                    assessment_json: "{}",
                    decision: "no_licence_required",
                    law_version: "bench",
                    retain_until: None,
                    party_ids: &ids,
                },
            )
            .map_err(|e| other(&e))?;
        operations += 1;
    }

    eprintln!("… importing the list and screening every party in full");
    let first = match store.import_list(list, "bench:v1").map_err(|e| other(&e))? {
        vigil_store::ImportOutcome::Imported(r) => r,
        vigil_store::ImportOutcome::AlreadyImported { existing, .. } => existing,
    };
    let started = Instant::now();
    let initial = store
        .rescreen_after_import(first.id, today)
        .map_err(|e| other(&e))?;
    let initial_time = started.elapsed();

    // The organisations have reviewed every hit: all cleared as false matches (the update's
    // changed entries make theirs lapse).
    let b = bar(initial.new_hits as u64, "clearing every hit");
    let mut cleared = 0;
    for scope in &scopes {
        for (party, view) in store
            .party_screenings(scope, today)
            .map_err(|e| other(&e))?
        {
            for h in &view.hits {
                store
                    .decide_hit(
                        scope,
                        &party,
                        &h.hit.id,
                        &NewClearance {
                            decision: HitDecision::FalseMatch,
                            reason: "benchmark: reviewed, not the listed party",
                            expires_on: "",
                        },
                        today,
                    )
                    .map_err(|e| other(&e))?;
                cleared += 1;
                b.inc(1);
            }
        }
    }
    b.finish_and_clear();

    let (v2, [changed, added, removed]) = updated(list, args.change_pct, names, rng);
    let second = match store.import_list(&v2, "bench:v2").map_err(|e| other(&e))? {
        vigil_store::ImportOutcome::Imported(r) => r,
        vigil_store::ImportOutcome::AlreadyImported { existing, .. } => existing,
    };
    eprintln!("… rescreening every party by delta");
    let started = Instant::now();
    let delta = store
        .rescreen_after_import(second.id, today)
        .map_err(|e| other(&e))?;
    let delta_time = started.elapsed();

    let mut stored_hits = 0;
    for scope in &scopes {
        stored_hits += store
            .party_screenings(scope, today)
            .map_err(|e| other(&e))?
            .values()
            .map(|v| v.hits.len())
            .sum::<usize>();
    }
    eprintln!("… the peer: every party against the whole index");
    let started = Instant::now();
    let served = store.load_served().map_err(|e| other(&e))?;
    let index = Index::build(served.into_iter().map(|s| s.list));
    let build_time = started.elapsed();
    let b = bar(names.len() as u64, "full rescreen (peer)");
    let threads = std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1);
    let chunk = names.len().div_ceil(threads).max(1);
    let full_hits: usize = std::thread::scope(|s| {
        let handles: Vec<_> = names
            .chunks(chunk)
            .enumerate()
            .map(|(t, part)| {
                let (index, b) = (&index, b.clone());
                s.spawn(move || {
                    let mut hits = 0;
                    for (i, name) in part.iter().enumerate() {
                        let country = COUNTRIES[(t * chunk + i) % COUNTRIES.len()];
                        hits += search_party(index, name, country).len();
                        if i % 256 == 0 {
                            b.inc(256.min(part.len() - i) as u64);
                        }
                    }
                    hits
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .sum()
    });
    b.finish_and_clear();
    let full_time = started.elapsed();

    let ratio = full_time.as_secs_f64() / delta_time.as_secs_f64().max(1e-9);
    println!(
        "vigil bench rescreen: {} parties in {} organisations ({} open operations), {} threads",
        names.len(),
        orgs,
        operations,
        threads
    );
    println!(
        "list: OFAC SDN CSV set 2021-07, {} entries; update: {changed} changed, {added} added, {removed} removed ({} % changed)",
        list.entries.len(),
        args.change_pct
    );
    println!(
        "setup: parties created in {}; first import screened every party in full in {} ({} hits, all {cleared} then cleared)",
        secs(create_time),
        secs(initial_time),
        initial.new_hits
    );
    println!(
        "hits stored after the delta: {stored_hits}; the full rescreen finds {full_hits} (hits on unchanged entries are kept as scored before; in the whole index their score drifts a little with the token rarities of the new entries)"
    );
    println!();
    println!("| rescreen after the update | time | parties/s | notes |");
    println!("|---|---|---|---|");
    println!(
        "| Vigil, by delta (writes included) | {} | {:.0} | {} entries searched; {} new hits, {} dropped, {} clearances lapsed, {} operations held; search {} ms |",
        secs(delta_time),
        names.len() as f64 / delta_time.as_secs_f64().max(1e-9),
        delta.added + delta.changed,
        delta.new_hits,
        delta.dropped_hits,
        delta.lapsed,
        delta.held_operations,
        delta.search_ms
    );
    println!(
        "| peer: full rescreen, whole index (no writes) | {} | {:.0} | index built in {}; {} hits |",
        secs(full_time),
        names.len() as f64 / full_time.as_secs_f64().max(1e-9),
        secs(build_time),
        full_hits
    );
    println!();
    println!(
        "delta is {ratio:.1}x faster than the full rescreen; target: {} parties in ≤ 10 s: {}",
        names.len(),
        if delta_time.as_secs_f64() <= 10.0 {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}
