//! `vigil`: the command line. Thin by design: parse arguments, read input, call
//! `vigil-domain`, print. Exit codes: 0 on any decision, 2 on invalid input (the message names the
//! file, the JSON path of the bad field and what was expected; nothing is written), 1 on other
//! failures.

mod admin_cmd;
mod audit_cmd;
mod backup_cmd;
mod bench_cmd;
mod bench_http;
mod bench_rescreen;
mod dossier_cmd;
mod fdi_cmd;
mod law_cmd;
mod lists_cmd;
mod records_cmd;
mod render;
mod screen_cmd;
mod serve_cmd;
mod spdx_cmd;

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use vigil_domain::Law;
use vigil_domain::assess::InputError;

/// Vigil: export-control compliance for cyber-surveillance, security and AI products under
/// Regulation (EU) 2021/821.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about, long_about = None)]
struct Cli {
    /// Database (accounts, organisations, imported sanctions lists, audit trail): sqlite://PATH
    /// (default sqlite://vigil.db), a file path, or postgres://… `assess` screens its parties
    /// when this is given or vigil.db exists here.
    #[arg(long, global = true, env = "VIGIL_DB", value_name = "URL")]
    db: Option<String>,

    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Rank the Annex I entries that may apply to a product sheet (ITEM.json, or - for stdin).
    Classify {
        /// The product sheet: {"description", "kind"?, "facts"?}.
        file: PathBuf,
    },
    /// Decide one export operation (OPERATION.json, or - for stdin).
    Assess {
        /// The operation (see README: the contract).
        file: PathBuf,
    },
    /// Import sanctions lists and see which versions are served.
    Lists {
        #[command(subcommand)]
        command: lists_cmd::ListsCommand,
    },
    /// Verify and list the audit trail (hash-chained, append-only).
    Audit {
        #[command(subcommand)]
        command: audit_cmd::AuditCommand,
    },
    /// Copy the SQLite database (--db) consistently to FILE, while the server runs (`VACUUM
    /// INTO`; never overwrites). PostgreSQL: use pg_dump (README: Backup and restore).
    Backup {
        /// The new backup file (must not exist).
        file: PathBuf,
    },
    /// Screen a party (NAME) or a CSV file of parties (--batch) against the imported lists.
    Screen(screen_cmd::ScreenArgs),
    /// Serve the web workspace and the JSON API over HTTP, on the database (--db).
    Serve(serve_cmd::ServeArgs),
    /// Manage accounts (e.g. `vigil admin create-user --email E --org NAME --role admin`).
    Admin {
        #[command(subcommand)]
        command: admin_cmd::AdminCommand,
    },
    /// Measure Vigil beside its peers (e.g. `vigil bench screening`).
    Bench {
        #[command(subcommand)]
        command: bench_cmd::BenchCommand,
    },
    /// French foreign-investment screening: does an investment in a French company need the
    /// Minister of the Economy's prior authorisation? (QUESTIONNAIRE.json, or - for stdin)
    Fdi {
        /// The questionnaire (see examples/fdi/).
        file: PathBuf,
    },
    /// Export the records of a period (Art. 27), e.g. `vigil records export --org ORG --from D
    /// --to D --out FILE.zip`.
    Records {
        #[command(subcommand)]
        command: records_cmd::RecordsCommand,
    },
    /// The inspection dossier of an organisation for a period as PDF, e.g. `vigil dossier --org
    /// ORG --from D --to D --out FILE.pdf`.
    Dossier(dossier_cmd::DossierArgs),
    /// SPDX 3 export and import of items' export-control classifications, e.g. `vigil spdx
    /// export --org ORG --item ITEM --country FR`.
    Spdx {
        #[command(subcommand)]
        command: spdx_cmd::SpdxCommand,
    },
    /// Inspect the law Vigil applies.
    Law {
        #[command(subcommand)]
        command: law_cmd::LawCommand,
    },
}

/// Failures, with their exit code.
enum Failure {
    /// Bad input: exit 2.
    Input(String),
    /// Anything else: exit 1.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

fn read_input(file: &PathBuf) -> Result<(String, String), Failure> {
    if file.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::Input(format!("<stdin>: cannot read: {e}")))?;
        Ok(("<stdin>".to_owned(), s))
    } else {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::Input(format!("{name}: cannot read: {e}")))?;
        Ok((name, text))
    }
}

fn input_failure(name: &str, e: &InputError) -> Failure {
    let mut msg = format!("{name}: invalid input");
    for f in &e.errors {
        msg.push_str(&format!("\n  at {}: {}", f.path, f.message));
    }
    Failure::Input(msg)
}

fn load_law() -> Result<Law, Failure> {
    Law::embedded().map_err(|e| Failure::Other(anyhow::anyhow!("{e}")))
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), Failure> {
    let s = serde_json::to_string_pretty(v).map_err(|e| Failure::Other(e.into()))?;
    println!("{s}");
    Ok(())
}

/// Writes a CSV file whole or not at all: the rows go to a hidden file beside `path`, renamed over
/// it once complete, so a failure midway (a database error, a full disk) leaves no truncated file
/// that reads like a complete one.
fn write_csv_file(
    path: &std::path::Path,
    fill: impl FnOnce(&mut csv::Writer<std::fs::File>) -> Result<(), Failure>,
) -> Result<(), Failure> {
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
    let written = csv::Writer::from_path(&tmp)
        .map_err(|e| fail(&e))
        .and_then(|mut w| {
            fill(&mut w)?;
            let file = w.into_inner().map_err(|e| fail(&e.error().to_string()))?;
            file.sync_all().map_err(|e| fail(&e))
        })
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| fail(&e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Classify { file } => {
            let (name, text) = read_input(&file)?;
            let law = load_law()?;
            let sheet = vigil_domain::classify::parse_item_json(&text)
                .map_err(|e| input_failure(&name, &e))?;
            let c = vigil_domain::classify(&law, &sheet).map_err(|e| input_failure(&name, &e))?;
            match cli.format {
                Format::Json => print_json(&c)?,
                Format::Text => print!("{}", render::classification(&law, &c)),
            }
        }
        Command::Assess { file } => {
            let (name, text) = read_input(&file)?;
            let law = load_law()?;
            let op = vigil_domain::assess::parse_operation_json(&text)
                .and_then(|input| input.check(&law, today()))
                .map_err(|e| input_failure(&name, &e))?;
            let mut a = vigil_domain::assess(&law, &op);
            let lists = screen_cmd::screen_operation(cli.db.as_deref(), &op, &mut a)?;
            match cli.format {
                Format::Json => match &lists {
                    Some(lists) => {
                        let mut v =
                            serde_json::to_value(&a).map_err(|e| Failure::Other(e.into()))?;
                        v["lists_screened"] = screen_cmd::lists_screened_json(lists);
                        print_json(&v)?;
                    }
                    None => print_json(&a)?,
                },
                Format::Text => {
                    print!("{}", render::assessment(&a));
                    print!("{}", screen_cmd::lists_screened_text(lists.as_deref()));
                }
            }
        }
        Command::Lists { command } => {
            lists_cmd::run(command, cli.db.as_deref(), cli.format == Format::Json)?;
        }
        Command::Audit { command } => {
            audit_cmd::run(command, cli.db.as_deref(), cli.format == Format::Json)?;
        }
        Command::Backup { file } => {
            backup_cmd::run(&file, cli.db.as_deref(), cli.format == Format::Json)?;
        }
        Command::Screen(args) => {
            screen_cmd::run(args, cli.db.as_deref(), cli.format == Format::Json)?;
        }
        Command::Law { command } => law_cmd::run(command, cli.format == Format::Json)?,
        Command::Dossier(args) => {
            dossier_cmd::run(args, cli.db.as_deref(), cli.format == Format::Json)?;
        }
        Command::Fdi { file } => fdi_cmd::run(&file, cli.format == Format::Json)?,
        Command::Serve(args) => serve_cmd::run(&args, cli.db.as_deref())?,
        Command::Admin { command } => {
            admin_cmd::run(command, cli.db.as_deref(), cli.format == Format::Json)?;
        }
        Command::Bench { command } => bench_cmd::run(&command)?,
        Command::Records { command } => {
            records_cmd::run(command, cli.db.as_deref(), cli.format == Format::Json)?;
        }
        Command::Spdx { command } => {
            spdx_cmd::run(command, cli.db.as_deref(), cli.format == Format::Json)?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("VIGIL_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
