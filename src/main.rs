//! The `pixpipe` command: `serve` (the server), `process` (the engine
//! on files), `bench` (the engine timed like the benchmark anchors), `openapi`
//! (print the spec).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use pixpipe::{process, serve};

#[derive(Parser)]
#[command(
    name = "pixpipe",
    version,
    about = "Image upload and processing pipeline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API and the workers: on embedded storage (SQLite + files in
    /// --data-dir, uploads and results served here) or, with --backend aws, on
    /// DynamoDB, S3 and SQS.
    Serve(serve::ServeArgs),
    /// Run the image engine on local files: writes DIR/<file stem>/<variant>.<ext>
    /// and prints one JSON line per file.
    Process {
        /// Preset to apply (see `GET /v1/presets`).
        #[arg(long, default_value = "standard")]
        preset: String,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Input images.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Benchmark the engine on files the way the shared bench's anchors are
    /// measured: one JSON line per image per repetition, then a summary line.
    Bench(pixpipe::bench::BenchArgs),
    /// Print the OpenAPI 3.1 document as YAML.
    Openapi,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            pixpipe::telemetry::init();
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(serve::run_until_signal(args.validated()?))
        }
        Command::Process { preset, out, files } => {
            let failed = process::run(&preset, &out, &files)?;
            if failed > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Bench(args) => pixpipe::bench::run(&args),
        Command::Openapi => {
            print!("{}", pixpipe::openapi_yaml()?);
            Ok(())
        }
    }
}
