//! `vigil spdx export --org ORG --item ITEM --country CC [--version V] [--out FILE] [--as EMAIL]`
//! and `vigil spdx import FILE --org ORG [--as EMAIL]`: the export-control classifications of an
//! item's versions as an SPDX 3 document, and the import of another party's (the same code as
//! `GET /api/v1/items/{id}/spdx` and `POST /api/v1/spdx`; see `vigil_domain::spdx`). The command
//! acts as the member named by `--as`, or else the organisation's first admin; importing needs an
//! officer or administrator. A bad document exits 2 listing every problem with its JSON path and
//! element, and nothing is written.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;
use vigil_domain::access::Action;
use vigil_server::spdx::{ExportQuery, ExportRefusal, export_item};
use vigil_store::Store;
use vigil_store::accounts::OrgScope;
use vigil_store::spdx::SpdxError;

use crate::Failure;
use crate::lists_cmd::{error_chain, store_failure};
use crate::screen_cmd::open_store;

/// The organisation and the member acting.
#[derive(Debug, Args)]
pub(crate) struct Actor {
    /// The organisation (id or name).
    #[arg(long, value_name = "ORG")]
    org: String,
    /// The member (e-mail) acting; default: the organisation's first admin.
    #[arg(long = "as", value_name = "EMAIL")]
    as_email: Option<String>,
}

/// `vigil spdx …`
#[derive(Debug, Subcommand)]
pub(crate) enum SpdxCommand {
    /// Write an item's export-control classifications as an SPDX 3 document.
    Export {
        #[command(flatten)]
        actor: Actor,
        /// The item (id or name).
        #[arg(long, value_name = "ITEM")]
        item: String,
        /// The exporting country: the organisation's Member State (ISO 3166-1 alpha-2).
        #[arg(long, value_name = "CC")]
        country: String,
        /// One version (default: every classified version).
        #[arg(long, value_name = "V")]
        version: Option<String>,
        /// The file to write (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Import the export-control assessments of an SPDX 3 document as proposals.
    Import {
        /// The SPDX 3 JSON-LD document.
        file: PathBuf,
        #[command(flatten)]
        actor: Actor,
    },
}

fn scope_of(store: &Store, actor: &Actor) -> Result<OrgScope, Failure> {
    let Some(organisation) = store
        .organisation_by_id_or_name(&actor.org)
        .map_err(|e| store_failure(store, &e))?
    else {
        return Err(Failure::Input(format!(
            "--org: no organisation with the id or name {:?}",
            actor.org
        )));
    };
    store
        .member_scope_for_cli(&organisation.id, actor.as_email.as_deref())
        .map_err(|e| store_failure(store, &e))?
        .ok_or_else(|| {
            Failure::Input(match &actor.as_email {
                Some(e) => format!("--as: {e} is not a member of {}", organisation.name),
                None => format!(
                    "{} has no admin: name a member with --as",
                    organisation.name
                ),
            })
        })
}

pub(crate) fn run(command: SpdxCommand, db: Option<&str>, json: bool) -> Result<(), Failure> {
    let law = crate::load_law()?;
    let store = open_store(db)?;
    match command {
        SpdxCommand::Export {
            actor,
            item,
            country,
            version,
            out,
        } => {
            let scope = scope_of(&store, &actor)?;
            let q = ExportQuery {
                country: Some(country),
                version,
            };
            let (body, _) =
                export_item(&store, &law, &scope, &item, true, &q).map_err(|e| match e {
                    ExportRefusal::NotFound => {
                        Failure::Input(format!("--item: no item {item:?} in this organisation"))
                    }
                    ExportRefusal::Field(f, d) => {
                        let flag = if f == "id" { "item" } else { f };
                        Failure::Input(format!("--{flag}: {d}"))
                    }
                    ExportRefusal::Store(e) => store_failure(&store, &e),
                })?;
            match out {
                Some(path) => std::fs::write(&path, body.as_bytes()).map_err(|e| {
                    Failure::Other(anyhow::anyhow!("{}: cannot write: {e}", path.display()))
                })?,
                None => println!("{body}"),
            }
        }
        SpdxCommand::Import { file, actor } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Failure::Input(format!("{}: cannot read: {e}", file.display())))?;
            let scope = scope_of(&store, &actor)?;
            if !scope.role().allows(Action::Decide) {
                return Err(Failure::Input(format!(
                    "--as: a {} may not import classifications (officer or administrator)",
                    scope.role().as_str()
                )));
            }
            let doc = vigil_domain::spdx::import_document(&text, &law).map_err(|e| {
                Failure::Input(format!("{}: {e}; nothing was imported", file.display()))
            })?;
            let s = store
                .import_spdx(&scope, &text, &doc)
                .map_err(|e| match e {
                    SpdxError::Store(e) => store_failure(&store, &e),
                    other => Failure::Input(format!("{}: {}", file.display(), error_chain(&other))),
                })?;
            if json {
                let rows: Vec<_> = s
                    .assessments
                    .iter()
                    .map(|(a, item, created)| {
                        json!({"id": a.id, "item": item.name, "item_created": created,
                            "version": a.version_label, "eu_entries": a.entries(),
                            "not_listed": a.not_listed == "yes", "foreign": a.foreign(), "status": a.status})
                    })
                    .collect();
                let v = json!({"import": s.import.id, "document": s.import.document_name,
                    "assessments": rows});
                println!(
                    "{}",
                    serde_json::to_string_pretty(&v).map_err(|e| Failure::Other(e.into()))?
                );
            } else {
                println!(
                    "{}: imported {} assessment(s) of {:?} as proposals (import {})",
                    file.display(),
                    s.assessments.len(),
                    s.import.document_name,
                    s.import.id
                );
                for (a, item, created) in &s.assessments {
                    let eu = if a.not_listed == "yes" {
                        "not listed".to_owned()
                    } else {
                        a.entries().join(", ")
                    };
                    println!(
                        "  {} {}: {} [{}]{}",
                        item.name,
                        a.version_label,
                        if eu.is_empty() {
                            "no EU classification"
                        } else {
                            &eu
                        },
                        a.status,
                        if *created { " (item created)" } else { "" }
                    );
                }
            }
        }
    }
    Ok(())
}
