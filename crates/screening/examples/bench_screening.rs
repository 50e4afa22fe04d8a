//! Runs the screening bench and prints its table (the same as `vigil bench screening`).
//!
//! ```text
//! cargo run --release -p vigil-screening --example bench_screening -- --data ../shared/data
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut data = PathBuf::from("../shared/data");
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => match args.next() {
                Some(d) => data = PathBuf::from(d),
                None => {
                    eprintln!("--data needs a directory");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!(
                    "bench_screening [--data DIR]   (DIR = shared/data, default ../shared/data)"
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}");
                return ExitCode::from(2);
            }
        }
    }
    let start = std::time::Instant::now();
    let progress = |step: &str| eprintln!("[{:>6.1} s] {step}", start.elapsed().as_secs_f64());
    match vigil_screening::bench::run(&data, &progress) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench failed: {e}");
            ExitCode::FAILURE
        }
    }
}
