//! Seeded mutation of untrusted input, for the tests of every reader of it (vault.json, blobs,
//! the journal, backups, importers, ISDOC): flipped bits, cuts, insertions, replaced bytes and
//! random bytes. `make test` runs the committed seeds; `make test-long` (`COFFER_LONG=1`) goes
//! on with new seeds for `$COFFER_FUZZ_SECONDS` (600: ten minutes) per reader. The seed goes to
//! the check, which puts it in its failure message.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The committed seeds: each starts its own run of mutations.
pub const SEEDS: &[u64] = &[1, 2, 3, 0x5eed, 0xc0ffee, 20261203];

/// Mutations per seed.
const RUNS_PER_SEED: usize = 10;

/// `original` with a few bytes flipped, cut short, grown or replaced by random bytes.
pub fn mutate(original: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut bytes = original.to_vec();
    match rng.gen_range(0..5) {
        0 if !bytes.is_empty() => {
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..bytes.len());
                bytes[at] ^= 1 << rng.gen_range(0..8);
            }
        }
        1 => bytes.truncate(rng.gen_range(0..=bytes.len())),
        2 => {
            let at = rng.gen_range(0..=bytes.len());
            let extra: Vec<u8> = (0..rng.gen_range(1..64)).map(|_| rng.r#gen()).collect();
            bytes.splice(at..at, extra);
        }
        3 => bytes = (0..rng.gen_range(0..512)).map(|_| rng.r#gen()).collect(),
        _ if !bytes.is_empty() => {
            let at = rng.gen_range(0..bytes.len());
            bytes[at] = rng.r#gen();
        }
        _ => {}
    }
    bytes
}

/// How long a long run feeds one reader.
fn budget() -> Option<Duration> {
    crate::long_run().then(|| {
        let seconds = std::env::var("COFFER_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(600);
        Duration::from_secs(seconds)
    })
}

/// Calls `check(mutated, seed)` for mutations of `original`: the committed seeds, then (in a
/// long run) new ones until the budget is spent.
pub fn each_mutation(original: &[u8], mut check: impl FnMut(&[u8], u64)) {
    let budget = budget();
    let started = Instant::now();
    for seed in SEEDS.iter().copied().chain(1_000_000..) {
        let committed = SEEDS.contains(&seed);
        if !committed && budget.is_none_or(|b| started.elapsed() >= b) {
            break;
        }
        let mut rng = StdRng::seed_from_u64(seed);
        for _ in 0..RUNS_PER_SEED {
            check(&mutate(original, &mut rng), seed);
        }
    }
}
