//! The `weir` command: runs job files on the embedded local cluster, explains them,
//! runs the built-in Nexmark queries and the benchmarks.

use clap::Parser;

fn main() {
    let cli = weir::cli::Cli::parse();
    if let Err(e) = weir::cli::main(cli) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
