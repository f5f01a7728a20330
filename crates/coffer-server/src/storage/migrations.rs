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

    /// The lists name every file of their directory, under the version and description sqlx
    /// reads from its name, with its content.
    #[test]
    fn the_lists_hold_every_migration_file() {
        for (dir, migrator) in [("sqlite", sqlite()), ("postgres", postgres())] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let mut files = std::fs::read_dir(&path)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .collect::<Vec<_>>();
            files.sort();
            let listed = migrator
                .iter()
                .map(|m| {
                    (
                        m.version,
                        m.description.to_string(),
                        m.sql.as_str().to_owned(),
                    )
                })
                .collect::<Vec<_>>();
            let on_disk = files
                .iter()
                .map(|file| {
                    let name = file.file_name().unwrap().to_str().unwrap();
                    let (version, rest) = name.split_once('_').unwrap();
                    let description = rest.strip_suffix(".sql").unwrap().replace('_', " ");
                    (
                        version.parse::<i64>().unwrap(),
                        description,
                        std::fs::read_to_string(file).unwrap(),
                    )
                })
                .collect::<Vec<_>>();
            assert_eq!(listed, on_disk, "{dir}");
        }
    }
}
