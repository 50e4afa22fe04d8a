//! `vigil dossier --org ORG --from D --to D --out FILE.pdf [--as EMAIL]`: the inspection dossier
//! of an organisation for a period, as the web page's PDF (arranged by the seven elements of
//! Recommendation (EU) 2019/1318; see `vigil_server::dossier`). It is read with the scope of a
//! member allowed to read the audit log: the one named by `--as`, or else the organisation's
//! first admin. The file is written whole or not at all (a hidden temporary file beside it,
//! renamed once complete).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;
use vigil_domain::access::Action;

use crate::Failure;
use crate::lists_cmd::{error_chain, store_failure};
use crate::screen_cmd::open_store;

/// `vigil dossier …`
#[derive(Debug, Args)]
pub(crate) struct DossierArgs {
    /// The organisation (id or name).
    #[arg(long, value_name = "ORG")]
    org: String,
    /// First day of the period (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    from: String,
    /// Last day of the period, included (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    to: String,
    /// The PDF file to write (replaced when it exists).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The member (e-mail) the dossier is generated as; default: the organisation's first admin.
    #[arg(long = "as", value_name = "EMAIL")]
    as_email: Option<String>,
}

/// Writes `bytes` to `path` through a hidden temporary file renamed over it.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |e: &dyn std::fmt::Display| {
        Failure::Other(anyhow::anyhow!("{}: cannot write: {e}", path.display()))
    };
    let Some(file_name) = path.file_name() else {
        return Err(fail(&"not a file name"));
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| fail(&e));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

pub(crate) fn run(args: DossierArgs, db: Option<&str>, json: bool) -> Result<(), Failure> {
    let period = vigil_server::dossier::parse_period(&args.from, &args.to).map_err(|errors| {
        let fields: Vec<String> = errors
            .iter()
            .map(|(field, key)| match *key {
                "err-dossier-range" => format!(
                    "--{field}: the period must end on or after --from and cover at most ten years"
                ),
                _ => format!("--{field}: expected a date YYYY-MM-DD"),
            })
            .collect();
        Failure::Input(fields.join("; "))
    })?;
    let law = crate::load_law()?;
    let store = open_store(db)?;
    let Some(organisation) = store
        .organisation_by_id_or_name(&args.org)
        .map_err(|e| store_failure(&store, &e))?
    else {
        return Err(Failure::Input(format!(
            "--org: no organisation with the id or name {:?}",
            args.org
        )));
    };
    let scope = store
        .member_scope_for_cli(&organisation.id, args.as_email.as_deref())
        .map_err(|e| store_failure(&store, &e))?
        .ok_or_else(|| {
            Failure::Input(match &args.as_email {
                Some(e) => format!("--as: {e} is not a member of {}", organisation.name),
                None => format!(
                    "{} has no admin: name a member with --as",
                    organisation.name
                ),
            })
        })?;
    if !scope.role().allows(Action::ReadAudit) {
        return Err(Failure::Input(format!(
            "--as: a {} may not read the audit log, so may not generate the dossier",
            scope.role().as_str()
        )));
    }
    let by = match &args.as_email {
        Some(e) => format!("{e} (command line)"),
        None => "the command line, as the organisation's first admin".to_owned(),
    };
    let bytes = vigil_server::dossier::render(
        &store,
        &scope,
        law.version(),
        period,
        &by,
        time::OffsetDateTime::now_utc(),
    )
    .map_err(|e| Failure::Other(anyhow::anyhow!("{}", error_chain(&e))))?;
    write_whole(&args.out, &bytes)?;
    if json {
        let s = serde_json::to_string_pretty(&json!({
            "organisation": organisation.id,
            "from": period.0.to_string(),
            "to": period.1.to_string(),
            "file": args.out.display().to_string(),
            "bytes": bytes.len(),
        }))
        .map_err(|e| Failure::Other(e.into()))?;
        println!("{s}");
    } else {
        println!(
            "{}: inspection dossier of {} from {} to {} ({} bytes)",
            args.out.display(),
            organisation.name,
            period.0,
            period.1,
            bytes.len()
        );
    }
    Ok(())
}
