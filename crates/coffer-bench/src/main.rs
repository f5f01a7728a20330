//! `make bench`: measures Coffer against references (openssl, argon2, age) in the same run and
//! prints one table, so every figure is a ratio on this machine rather than a claim.
#![forbid(unsafe_code)]

mod backup;
mod ocr;
mod reference;
mod sync;
mod vault;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Coffer benchmarks, each next to a reference measured in the same run")]
pub struct Options {
    /// Documents in the generated vault for the search benchmark.
    #[arg(long, default_value_t = 100_000)]
    pub docs: usize,
    /// Size of the large file for streaming and peak memory, in MiB.
    #[arg(long, default_value_t = 1024)]
    pub large_mib: u64,
    /// Where generated data is kept between runs.
    #[arg(long, default_value = "target/bench-data")]
    pub data: std::path::PathBuf,
    /// Where the generated search vault is kept: on tmpfs by default, since building 100,000
    /// documents through fsynced imports on a disk takes most of an hour, and search latency
    /// is about the query, not the disk.
    #[arg(long, default_value = "/dev/shm/coffer-bench")]
    pub search_data: std::path::PathBuf,
    /// Run only these sections (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub only: Vec<Section>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    Stream,
    Unlock,
    Import,
    Large,
    Search,
    Ocr,
    Backup,
    Sync,
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    std::fs::create_dir_all(&options.data)?;
    std::fs::create_dir_all(&options.search_data)?;
    let wanted = |s: Section| options.only.is_empty() || options.only.contains(&s);
    println!("| benchmark | Coffer | reference (same run) | ratio |");
    println!("| --- | --- | --- | --- |");
    if wanted(Section::Stream) {
        vault::stream_throughput()?;
    }
    if wanted(Section::Unlock) {
        vault::unlock_time()?;
    }
    if wanted(Section::Import) {
        vault::import_throughput()?;
    }
    if wanted(Section::Large) {
        vault::large_file_memory(&options)?;
    }
    if wanted(Section::Search) {
        vault::search_latency(&options)?;
    }
    if wanted(Section::Ocr) {
        ocr::run()?;
    }
    if wanted(Section::Backup) {
        backup::run()?;
    }
    if wanted(Section::Sync) {
        sync::pull_time()?;
    }
    Ok(())
}
