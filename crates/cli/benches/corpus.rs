//! Throughput over the real Forge manifest corpus: the YAML loader alone versus the full check,
//! each single-threaded and in parallel with rayon.
//!
//!     cargo bench -p apptrust --bench corpus
//!
//! All files are read into memory first, so disk and process start-up are not measured. Every
//! workload runs W untimed warm-up passes and then N timed passes over every file; one pass is
//! one call per file. The table gives files/s and MB/s (MB = 10^6 bytes) for the best and the
//! median pass.
//!
//! Environment:
//! - `APPTRUST_SHARED`: the `shared/` checkout (default: `shared/` beside the repository);
//! - `APPTRUST_BENCH_CORPUS`: the manifest directory (default:
//!   `$APPTRUST_SHARED/corpus/forge-manifests/files`);
//! - `APPTRUST_BENCH_WARMUP` (default 3) and `APPTRUST_BENCH_PASSES` (default 20);
//! - `RAYON_NUM_THREADS`: threads of the parallel runs (default: one per core);
//! - `APPTRUST_BENCH_JSON`: also write the results as one JSON object to this file.
//!
//! Without `--bench` on the command line (e.g. `cargo test --benches`) it runs one pass of each
//! workload as a smoke test.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use apptrust_rules::{CheckOptions, evaluate};
use apptrust_yaml::{Limits, load};
use rayon::prelude::*;

fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("APPTRUST_BENCH_CORPUS") {
        return PathBuf::from(dir);
    }
    let shared = std::env::var_os("APPTRUST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    shared.join("corpus/forge-manifests/files")
}

fn read_corpus(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "cannot list the corpus {}: {e} (set APPTRUST_SHARED or APPTRUST_BENCH_CORPUS)",
            dir.display()
        )
    });
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes =
                std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

fn env_count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a non-negative integer, got {v:?}")),
        Err(_) => default,
    }
}

/// One pass: one call per file. Returns a value derived from every result so the work is used.
type Pass<'a> = Box<dyn Fn(&[&[u8]]) -> usize + 'a>;

struct Measurement {
    workload: &'static str,
    key: &'static str,
    threads: usize,
    passes: Vec<Duration>,
}

impl Measurement {
    fn best(&self) -> Duration {
        self.passes.iter().copied().min().unwrap_or_default()
    }

    fn median(&self) -> Duration {
        let mut sorted = self.passes.clone();
        sorted.sort();
        match sorted.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
        }
    }
}

fn run(
    (workload, key): (&'static str, &'static str),
    threads: usize,
    pass: &Pass<'_>,
    files: &[&[u8]],
    warmup: usize,
    passes: usize,
) -> Measurement {
    for _ in 0..warmup {
        black_box(pass(black_box(files)));
    }
    let mut times = Vec::with_capacity(passes);
    for _ in 0..passes {
        let start = Instant::now();
        black_box(pass(black_box(files)));
        times.push(start.elapsed());
    }
    Measurement {
        workload,
        key,
        threads,
        passes: times,
    }
}

const LOAD: (&str, &str) = ("(a) load", "load");
const CHECK: (&str, &str) = ("(b) check", "check");

fn main() {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let (warmup, passes) = if bench_mode {
        (
            env_count("APPTRUST_BENCH_WARMUP", 3),
            env_count("APPTRUST_BENCH_PASSES", 20).max(1),
        )
    } else {
        (0, 1)
    };

    let dir = corpus_dir();
    let corpus = read_corpus(&dir);
    assert!(!corpus.is_empty(), "no *.yml files in {}", dir.display());
    let files: Vec<&[u8]> = corpus.iter().map(|(_, b)| b.as_slice()).collect();
    let bytes: usize = files.iter().map(|b| b.len()).sum();
    let limits = Limits::default();
    let options = CheckOptions::default();
    let threads = rayon::current_num_threads();

    // Sanity: how many files load, and the verdicts, so a broken corpus path is obvious.
    let loaded = files.iter().filter(|b| load(b, &limits).is_ok()).count();
    let mut verdicts: std::collections::BTreeMap<String, usize> = Default::default();
    for b in &files {
        *verdicts
            .entry(format!("{:?}", evaluate(b, &options).verdict))
            .or_default() += 1;
    }

    println!(
        "corpus: {} ({} files, {} bytes)",
        dir.display(),
        files.len(),
        bytes
    );
    println!(
        "loaded: {loaded}/{} files; verdicts: {}",
        files.len(),
        verdicts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "passes: {warmup} warm-up + {passes} timed; parallel: rayon, {threads} threads; cores: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if !bench_mode {
        println!("(smoke run: pass --bench, as `cargo bench` does, for real numbers)");
    }

    let load_seq: Pass<'_> = Box::new(|files| {
        files
            .iter()
            .map(|b| usize::from(black_box(load(black_box(b), &limits)).is_ok()))
            .sum()
    });
    let load_par: Pass<'_> = Box::new(|files| {
        files
            .par_iter()
            .map(|b| usize::from(black_box(load(black_box(b), &limits)).is_ok()))
            .sum()
    });
    let check_seq: Pass<'_> = Box::new(|files| {
        files
            .iter()
            .map(|b| black_box(evaluate(black_box(b), &options)).findings.len())
            .sum()
    });
    let check_par: Pass<'_> = Box::new(|files| {
        files
            .par_iter()
            .map(|b| black_box(evaluate(black_box(b), &options)).findings.len())
            .sum()
    });

    let results = [
        run(LOAD, 1, &load_seq, &files, warmup, passes),
        run(CHECK, 1, &check_seq, &files, warmup, passes),
        run(LOAD, threads, &load_par, &files, warmup, passes),
        run(CHECK, threads, &check_par, &files, warmup, passes),
    ];

    let mb = bytes as f64 / 1e6;
    let n = files.len() as f64;
    println!();
    println!(
        "{:<10} {:>7} {:>10} {:>10} {:>12} {:>10} {:>12} {:>10}",
        "workload",
        "threads",
        "best ms",
        "median ms",
        "files/s best",
        "MB/s best",
        "files/s med",
        "MB/s med"
    );
    for m in &results {
        let (best, median) = (m.best().as_secs_f64(), m.median().as_secs_f64());
        println!(
            "{:<10} {:>7} {:>10.3} {:>10.3} {:>12.0} {:>10.2} {:>12.0} {:>10.2}",
            m.workload,
            m.threads,
            best * 1e3,
            median * 1e3,
            n / best,
            mb / best,
            n / median,
            mb / median
        );
    }
    println!();
    let ratio = |check: &Measurement, load: &Measurement| {
        (
            check.best().as_secs_f64() / load.best().as_secs_f64(),
            check.median().as_secs_f64() / load.median().as_secs_f64(),
        )
    };
    let (b1, m1) = ratio(&results[1], &results[0]);
    let (bp, mp) = ratio(&results[3], &results[2]);
    println!("time ratio (b)/(a), 1 thread:   best {b1:.2}x, median {m1:.2}x");
    println!("time ratio (b)/(a), {threads} threads:  best {bp:.2}x, median {mp:.2}x");

    if let Some(path) = std::env::var_os("APPTRUST_BENCH_JSON") {
        let rows: Vec<String> = results
            .iter()
            .map(|m| {
                let (best, median) = (m.best().as_secs_f64(), m.median().as_secs_f64());
                format!(
                    "{{\"workload\":\"{}\",\"threads\":{},\"best_seconds\":{best:.6},\
                     \"median_seconds\":{median:.6},\"files_per_second\":{:.1},\
                     \"mb_per_second\":{:.3},\"median_files_per_second\":{:.1},\
                     \"median_mb_per_second\":{:.3}}}",
                    m.key,
                    m.threads,
                    n / best,
                    mb / best,
                    n / median,
                    mb / median
                )
            })
            .collect();
        let json = format!(
            "{{\"files\":{},\"bytes\":{bytes},\"warmup\":{warmup},\"passes\":{passes},\
             \"threads\":{threads},\"results\":[{}]}}\n",
            files.len(),
            rows.join(",")
        );
        std::fs::write(&path, json)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", Path::new(&path).display()));
    }
}
