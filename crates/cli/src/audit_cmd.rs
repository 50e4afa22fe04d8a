//! `vigil audit verify|list`: the audit trail in the database.
//!
//! `verify` recomputes each organisation's hash chain and exits 1 naming the organisation, the
//! first broken record and why; `list` shows records newest first, or exports them as CSV in chain
//! order (what an inspector re-verifies).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde_json::json;
use vigil_domain::audit::AuditRecord;
use vigil_store::{AuditFilter, Store};

use crate::Failure;
use crate::lists_cmd::{error_chain, store_failure};
use crate::screen_cmd::open_store;

/// The actor recorded for changes made from the command line.
pub(crate) const CLI_ACTOR: &str = "cli";

/// Records shown by `audit list` when `--limit` is not given (a CSV export has no default limit).
const DEFAULT_LIMIT: u64 = 50;

/// `vigil audit …`
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Recompute the hash chain of every organisation (or one) and name the first broken record.
    /// Exit 0 when intact, 1 when a chain is broken.
    Verify {
        /// Only this organisation (`system` holds list imports).
        #[arg(long, value_name = "ID")]
        org: Option<String>,
    },
    /// Audit records, newest first (every organisation, or one).
    List {
        /// Only this organisation (`system` holds list imports).
        #[arg(long, value_name = "ID")]
        org: Option<String>,
        /// Most records shown (default 50; a CSV export takes every record unless given).
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
        /// Only this action; a value ending in `.` is a prefix (`list.`).
        #[arg(long, value_name = "ACTION")]
        action: Option<String>,
        /// Only this actor.
        #[arg(long, value_name = "ACTOR")]
        actor: Option<String>,
        /// Write the records to this CSV file instead, in chain order (organisation, then seq),
        /// with their hashes.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
    },
}

pub(crate) fn run(command: AuditCommand, db: Option<&str>, json: bool) -> Result<(), Failure> {
    let store = open_store(db)?;
    match command {
        AuditCommand::Verify { org } => verify(&store, org, json),
        AuditCommand::List {
            org,
            limit,
            action,
            actor,
            csv,
        } => {
            let filter = AuditFilter {
                action,
                actor,
                ..AuditFilter::default()
            };
            match csv {
                Some(path) => export_csv(&store, org, filter, limit, &path, json),
                None => list(&store, org, filter, limit.unwrap_or(DEFAULT_LIMIT), json),
            }
        }
    }
}

fn orgs(store: &Store, org: Option<String>) -> Result<Vec<String>, Failure> {
    match org {
        Some(o) => Ok(vec![o]),
        None => store.audit_orgs().map_err(|e| store_failure(store, &e)),
    }
}

fn records(n: u64) -> &'static str {
    if n == 1 { "record" } else { "records" }
}

fn verify(store: &Store, org: Option<String>, json: bool) -> Result<(), Failure> {
    let orgs = orgs(store, org)?;
    let mut total = 0;
    let mut broken = Vec::new();
    let mut report = Vec::new();
    for org in &orgs {
        let outcome = store
            .verify_audit(org)
            .map_err(|e| store_failure(store, &e))?;
        match outcome {
            Ok(n) => {
                total += n;
                report.push(json!({"org": org, "intact": true, "records": n}));
                if !json {
                    println!("organisation {org}: {n} {} verified", records(n));
                }
            }
            Err(e) => {
                report.push(json!({
                    "org": org, "intact": false, "broken_at": e.seq, "reason": e.reason,
                }));
                if !json {
                    println!(
                        "organisation {org}: BROKEN at record {}: {}",
                        e.seq, e.reason
                    );
                }
                broken.push(format!(
                    "audit chain of organisation {org} broken at record {}: {}",
                    e.seq, e.reason
                ));
            }
        }
    }
    if json {
        crate::print_json(&json!({
            "database": store.location(),
            "intact": broken.is_empty(),
            "verified": total,
            "organisations": report,
        }))?;
    } else if broken.is_empty() {
        match orgs.len() {
            0 => println!(
                "0 records verified (no audit records in {})",
                store.location()
            ),
            1 => {}
            n => println!("{total} {} verified in {n} organisations", records(total)),
        }
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(Failure::Other(anyhow::anyhow!("{}", broken.join("\n"))))
    }
}

/// Up to `limit` records of the chosen organisations, newest first across them.
fn list(
    store: &Store,
    org: Option<String>,
    filter: AuditFilter,
    limit: u64,
    json: bool,
) -> Result<(), Failure> {
    let filter = AuditFilter {
        newest_first: true,
        limit: Some(limit),
        ..filter
    };
    let mut all: Vec<AuditRecord> = Vec::new();
    for org in orgs(store, org)? {
        let mut rs = store
            .audit_records(&org, &filter)
            .map_err(|e| store_failure(store, &e))?;
        all.append(&mut rs);
    }
    // Fixed-width UTC timestamps: text order is time order.
    all.sort_by(|a, b| {
        (&b.event.at, &b.event.org_id, b.seq).cmp(&(&a.event.at, &a.event.org_id, a.seq))
    });
    all.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    if json {
        return crate::print_json(&all);
    }
    if all.is_empty() {
        println!("no audit records in {}", store.location());
        return Ok(());
    }
    println!(
        "{:<27}  {:<12} {:>5}  {:<10} {:<20} {:<18} detail",
        "at (UTC)", "org", "seq", "actor", "action", "subject"
    );
    for r in &all {
        let e = &r.event;
        println!(
            "{:<27}  {:<12} {:>5}  {:<10} {:<20} {:<18} {}",
            e.at,
            e.org_id,
            r.seq,
            e.actor,
            e.action,
            e.subject,
            shorten(&e.detail.to_string(), 100)
        );
    }
    Ok(())
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Writes the chosen records to a CSV file in chain order, with their hashes.
fn export_csv(
    store: &Store,
    org: Option<String>,
    filter: AuditFilter,
    limit: Option<u64>,
    path: &Path,
    json: bool,
) -> Result<(), Failure> {
    let name = path.display();
    let io = |e: &dyn std::error::Error| {
        Failure::Other(anyhow::anyhow!("{name}: cannot write: {}", error_chain(e)))
    };
    let mut written: u64 = 0;
    crate::write_csv_file(path, |w| {
        w.write_record([
            "org_id",
            "seq",
            "at",
            "actor",
            "action",
            "subject",
            "detail",
            "prev_hash",
            "hash",
        ])
        .map_err(|e| io(&e))?;
        let mut left = limit;
        for org in orgs(store, org)? {
            if left == Some(0) {
                break;
            }
            let rs = store
                .audit_records(
                    &org,
                    &AuditFilter {
                        limit: left,
                        ..filter.clone()
                    },
                )
                .map_err(|e| store_failure(store, &e))?;
            for r in &rs {
                let e = &r.event;
                w.write_record([
                    e.org_id.as_str(),
                    &r.seq.to_string(),
                    &e.at,
                    &e.actor,
                    &e.action,
                    &e.subject,
                    &e.detail.to_string(),
                    &r.prev_hash,
                    &r.hash,
                ])
                .map_err(|e| io(&e))?;
            }
            let n = rs.len() as u64;
            written += n;
            left = left.map(|l| l.saturating_sub(n));
        }
        Ok(())
    })?;
    if json {
        crate::print_json(&json!({"file": name.to_string(), "records": written}))
    } else {
        println!("wrote {written} audit {} to {name}", records(written));
        Ok(())
    }
}
