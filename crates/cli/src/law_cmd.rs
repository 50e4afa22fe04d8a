//! `vigil law …`: check a working copy of the law files, look up and search Annex I.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use vigil_domain::Law;
use vigil_domain::law::{ControlCode, Resolution};

use crate::Failure;

#[derive(Debug, Subcommand)]
pub enum LawCommand {
    /// Load and check law files from a folder (default: ./law); exit 2 listing every problem.
    Check {
        /// The folder holding acts.toml, facts/, annex-i/ …
        dir: Option<PathBuf>,
    },
    /// Show an Annex I entry (any code resolves: detailed entries, headings, sub-items).
    Show {
        /// e.g. 5A001.j
        code: String,
    },
    /// Search Annex I by words (trade terms, headings, summaries).
    Search {
        /// Words, e.g. "imsi catcher".
        words: Vec<String>,
    },
    /// The Union general export authorisations (Annex II): all, or one in full (e.g. EU007).
    Ugea {
        /// EU001 … EU008.
        id: Option<String>,
    },
    /// The sanctions overlays Vigil applies, with their legal basis and verification status.
    Sanctions,
    /// Counts of what the embedded law holds, and its version.
    Stats,
}

fn collect(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, base, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            let rel = path
                .strip_prefix(base)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&path)?));
        }
    }
    Ok(())
}

fn embedded() -> Result<Law, Failure> {
    crate::load_law()
}

pub fn run(cmd: LawCommand, json: bool) -> Result<(), Failure> {
    match cmd {
        LawCommand::Check { dir } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from("law"));
            let mut files = Vec::new();
            collect(&dir, &dir, &mut files)
                .map_err(|e| Failure::Input(format!("{}: cannot read: {e}", dir.display())))?;
            let refs: Vec<(&str, &str)> = files
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            match Law::from_files(&refs) {
                Ok(law) => {
                    println!(
                        "{}: {} files, {} Annex I entries, law version {}: OK",
                        dir.display(),
                        files.len(),
                        law.entries().count(),
                        law.version()
                    );
                    Ok(())
                }
                Err(e) => Err(Failure::Input(e.to_string())),
            }
        }
        LawCommand::Show { code } => {
            let law = embedded()?;
            let parsed = ControlCode::parse(&code).map_err(|e| {
                Failure::Input(format!(
                    "{e}; nearest entries: {}",
                    law.nearest_codes(&code, 3).join(", ")
                ))
            })?;
            let (entry, exact) = match law.resolve(&parsed) {
                Resolution::Exact(e) => (e, true),
                Resolution::Within(e) => (e, false),
                Resolution::Unknown(near) => {
                    return Err(Failure::Input(format!(
                        "unknown Annex I entry `{parsed}`; nearest entries: {}",
                        near.join(", ")
                    )));
                }
            };
            if json {
                let v = serde_json::json!({
                    "code": parsed.to_string(),
                    "entry": entry.code.to_string(),
                    "exact": exact,
                    "title": entry.title,
                    "summary": entry.summary,
                    "cyber_surveillance": entry.cyber_surveillance,
                    "criteria": entry.criteria.iter().map(|c| serde_json::json!({"fact": c.fact, "text": c.text})).collect::<Vec<_>>(),
                    "releases": entry.releases.iter().map(|r| serde_json::json!({"fact": r.fact, "kind": r.kind, "text": r.text, "provision": r.provision})).collect::<Vec<_>>(),
                    "vocabulary": entry.vocabulary,
                    "annex_iv": law.annex_iv_item(&parsed).map(|i| i.part.clone()),
                    "section_i": law.in_section_i(&parsed),
                    "citation": {"act": law.act_name(&entry.cite.act), "provision": entry.cite.provision},
                    "url": law.act(&entry.cite.act).map(|a| a.url.clone()),
                    "verified": entry.verified,
                });
                crate::print_json(&v)?;
            } else {
                print!("{}", crate::render::entry(&law, &parsed, entry, exact));
            }
            Ok(())
        }
        LawCommand::Search { words } => {
            let law = embedded()?;
            let q = words.join(" ");
            if q.trim().is_empty() {
                return Err(Failure::Input(
                    "law search: give some words, e.g. `vigil law search imsi catcher`".into(),
                ));
            }
            let sheet = vigil_domain::ItemSheet {
                description: q,
                kind: None,
                facts: Default::default(),
            };
            let c =
                vigil_domain::classify(&law, &sheet).map_err(|e| Failure::Input(e.to_string()))?;
            if json {
                crate::print_json(&c.candidates)?;
            } else {
                for cand in &c.candidates {
                    println!("{:<14} {:>5.2}  {}", cand.entry, cand.score, cand.title);
                }
            }
            Ok(())
        }
        LawCommand::Ugea { id } => {
            let law = embedded()?;
            match id {
                None => {
                    for u in law.ugeas() {
                        println!(
                            "{}  {}  ({} {})",
                            u.id,
                            u.title,
                            law.act_name(&u.cite.act),
                            u.cite.provision
                        );
                    }
                }
                Some(id) => {
                    let want = id.to_ascii_uppercase();
                    let u = law.ugeas().iter().find(|u| u.id == want).ok_or_else(|| {
                        let ids: Vec<&str> = law.ugeas().iter().map(|u| u.id.as_str()).collect();
                        Failure::Input(format!(
                            "unknown general authorisation `{id}` (expected one of {})",
                            ids.join(", ")
                        ))
                    })?;
                    print!("{}", crate::render::ugea(&law, u));
                }
            }
            Ok(())
        }
        LawCommand::Sanctions => {
            let law = embedded()?;
            for r in law.regimes() {
                let countries: Vec<&str> = r.countries.iter().map(String::as_str).collect();
                println!(
                    "{:<28} {:<14} {}  ({} {}){}",
                    r.id,
                    countries.join(","),
                    r.title,
                    law.act_name(&r.cite.act),
                    r.cite.provision,
                    if r.verified { "" } else { "  [UNVERIFIED]" }
                );
            }
            Ok(())
        }
        LawCommand::Stats => {
            let law = embedded()?;
            let detailed = law.entries().filter(|e| e.detailed).count();
            println!("law version        {}", law.version());
            println!("applies from       {}", law.earliest_date());
            println!(
                "Annex I entries    {} ({} detailed, {} headings)",
                law.entries().count(),
                detailed,
                law.entries().count() - detailed
            );
            println!("facts              {}", law.facts().count());
            println!("UGEAs              {}", law.ugeas().len());
            println!("Annex IV items     {}", law.annex_iv().len());
            println!("countries          {}", law.countries().count());
            println!("sanctions regimes  {}", law.regimes().len());
            println!("rules              {}", law.rules().count());
            println!("red flags          {}", law.red_flags().count());
            let unverified = law.rules().filter(|r| !r.verified).count()
                + law.regimes().iter().filter(|r| !r.verified).count();
            println!("unverified records {unverified} (rules and regimes)");
            Ok(())
        }
    }
}
