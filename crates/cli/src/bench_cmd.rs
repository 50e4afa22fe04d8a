//! `vigil bench screening` (and `vigil bench http`, in `bench_http`): quality and speed of the screening engine beside its peers, measured
//! in one run on the labelled data of `shared/data` (see `crates/screening/src/bench`).

use std::path::PathBuf;

use clap::Subcommand;

use crate::Failure;

/// What to benchmark.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Screening quality (ROC-AUC, recall, false alerts) and speed, beside the peers.
    Screening {
        /// The shared data folder (sanctions lists and evaluation sets).
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
    },
    /// The HTTP server under load on 127.0.0.1: page latency (p50/p99) and `/api/v1/screen`
    /// throughput at 50 concurrent users, on SQLite and (with --pg) PostgreSQL.
    Http(crate::bench_http::HttpBenchArgs),
    /// Rescreening every party after a list update: by delta (Vigil) beside a full rescreen.
    Rescreen(crate::bench_rescreen::RescreenArgs),
}

/// Runs a benchmark and prints its table.
pub fn run(cmd: &BenchCommand) -> Result<(), Failure> {
    match cmd {
        BenchCommand::Screening { data } => {
            if !data.join("eval").is_dir() || !data.join("sanctions").is_dir() {
                return Err(Failure::Input(format!(
                    "{}: not the shared data folder (expected eval/ and sanctions/ in it); give it with --data",
                    data.display()
                )));
            }
            let progress = |msg: &str| eprintln!("… {msg}");
            let report = vigil_screening::bench::run(data, &progress)
                .map_err(|e| Failure::Other(anyhow::anyhow!("{e}")))?;
            println!("{report}");
            Ok(())
        }
        BenchCommand::Http(args) => crate::bench_http::run(args),
        BenchCommand::Rescreen(args) => crate::bench_rescreen::run(args),
    }
}
