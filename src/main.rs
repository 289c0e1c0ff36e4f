//! The `pixpipe` command: `serve` (local all-in-one), `process` (the engine
//! on files), `openapi` (print the spec).

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
    /// Run the API, the upload endpoint, the result server and the workers in one
    /// process on embedded storage (SQLite + files in --data-dir).
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
    /// Print the OpenAPI 3.1 document as YAML.
    Openapi,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            pixpipe::telemetry::init();
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(serve::run_until_signal(args.into_config()?))
        }
        Command::Process { preset, out, files } => {
            let failed = process::run(&preset, &out, &files)?;
            if failed > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Openapi => {
            print!("{}", pixpipe::openapi_yaml()?);
            Ok(())
        }
    }
}
