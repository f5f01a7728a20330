//! The schema's migrations, one list per database, compiled into the binary.
//!
//! Built here from `include_str!` rather than by `sqlx::migrate!`: the macro compiles a second,
//! host-side copy of sqlx with both database drivers, its TLS and runtime and SQLite's C
//! source, only to read these files at build time. The checksums are sqlx's own
//! ([`Migration::new`]), so a database migrated by either way is the same to the other.

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

/// The two directories hold the same file names; a new migration is added to both and named
/// here (a test compares the lists with the directories).
macro_rules! migrations {
    ($($file:literal),+ $(,)?) => {
        pub fn sqlite() -> Migrator {
            migrator(&[$(($file, include_str!(concat!("../../migrations/sqlite/", $file)))),+])
        }

        pub fn postgres() -> Migrator {
            migrator(&[$(($file, include_str!(concat!("../../migrations/postgres/", $file)))),+])
        }
    };
}

migrations!(
    "0001_initial.sql",
    "0002_plans.sql",
    "0003_reminders.sql",
    "0004_billing_anchor.sql",
    "0005_ocr_credits.sql",
    "0006_server_authority.sql",
    "0007_shares.sql",
    "0008_small_blobs.sql",
);

/// Versions and descriptions as sqlx reads them from a file name: `0004_billing_anchor.sql` is
/// version 4, "billing anchor".
fn migrator(files: &[(&'static str, &'static str)]) -> Migrator {
    let migrations = files
        .iter()
        .map(|&(file, sql)| {
            let (version, name) = file
                .strip_suffix(".sql")
                .and_then(|stem| stem.split_once('_'))
                .expect("migration files are named <version>_<name>.sql");
            Migration::new(
                version.parse().expect("a migration's version is a number"),
                Cow::Owned(name.replace('_', " ")),
                MigrationType::Simple,
                SqlStr::from_static(sql),
                sql.starts_with("-- no-transaction"),
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lists hold every file of their directory as sqlx itself reads the directory (what
    /// `migrate!` did at build time): the same versions, descriptions, SQL and checksums, so a
    /// database migrated before is the same to these lists.
    #[tokio::test]
    async fn the_lists_are_what_sqlx_reads_from_the_directories() {
        for (dir, ours) in [("sqlite", sqlite()), ("postgres", postgres())] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let sqlx = Migrator::new(path.as_path()).await.unwrap();
            let key = |m: &Migration| {
                (
                    m.version,
                    m.description.to_string(),
                    m.sql.as_str().to_owned(),
                    m.checksum.to_vec(),
                    m.no_tx,
                )
            };
            assert_eq!(
                ours.iter().map(key).collect::<Vec<_>>(),
                sqlx.iter().map(key).collect::<Vec<_>>(),
                "{dir}"
            );
        }
    }
}
