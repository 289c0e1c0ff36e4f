//! The `pixpipe` command: `serve` (the server), `process` (the engine
//! on files), `bench` (the engine timed like the benchmark anchors),
//! `bench-create` (job creation under load against a server), `openapi`
//! (print the spec), `upload` (the API's client), `web build` (the upload page as static files).

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
    Serve(Box<serve::ServeArgs>),
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
    /// Measure AVIF encoding: CPU time, peak RSS and bytes (against WebP) of
    /// variants at each speed the AVIF budget can pick.
    BenchAvif(pixpipe::bench_avif::BenchAvifArgs),
    /// Time job creation against a running server with many clients in
    /// flight: prints p50/p90/p99/max latency and throughput.
    BenchCreate(pixpipe::bench_create::BenchCreateArgs),
    /// Print the OpenAPI 3.1 document as YAML.
    Openapi,
    /// Upload images to a pixpipe API: progress per file, then the result URLs
    /// (or, with --json, the finished jobs). Exits 1 if a file failed, 130 on Ctrl-C.
    Upload(pixpipe::upload::UploadArgs),
    /// The browser upload page.
    Web {
        #[command(subcommand)]
        command: WebCommand,
    },
}

#[derive(Subcommand)]
enum WebCommand {
    /// Write the upload page as static files for any web host, pointed at an API.
    Build {
        /// Base URL of the pixpipe API ("" for the origin the page is served from).
        #[arg(long)]
        api: String,
        /// Directory to write index.html, app.js, thumbhash.js, style.css and config.js into.
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Serve(_) | Command::Process { .. } | Command::Bench(_) | Command::BenchAvif(_)
    ) {
        pixpipe_worker::memory::reuse_freed_memory();
    }
    match cli.command {
        Command::Serve(args) => {
            pixpipe_config::telemetry::init(pixpipe_config::telemetry::Output::Stderr);
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
        Command::BenchAvif(args) => pixpipe::bench_avif::run(&args),
        Command::BenchCreate(args) => pixpipe::bench_create::run(&args),
        Command::Upload(args) => {
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let status = runtime.block_on(pixpipe::upload::run(args))?;
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            std::process::exit(status);
        }
        Command::Openapi => {
            print!("{}", pixpipe::openapi_yaml()?);
            Ok(())
        }
        Command::Web {
            command: WebCommand::Build { api, out },
        } => {
            for path in pixpipe::web::build(&api, &out)? {
                println!("{}", path.display());
            }
            Ok(())
        }
    }
}
