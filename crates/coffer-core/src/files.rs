//! Files the vault writes outside itself (a saved original, an export, a calendar, an account
//! archive): written beside their target and renamed into place once complete and synced, so
//! whoever looks (or a crash) finds the old file or the whole new one, never part of one.

use std::fs::File;
use std::path::Path;

use crate::error::Error;

/// Fills a temporary file beside `target` (named `prefix…`) with `fill`, syncs it and renames
/// it to `target`, replacing what was there. On error nothing is left behind.
pub(crate) fn write_replacing<T, E: From<Error>>(
    target: &Path,
    prefix: &str,
    fill: impl FnOnce(&mut File) -> Result<T, E>,
) -> Result<T, E> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(prefix)
        .tempfile_in(parent)
        .map_err(|e| Error::io(format!("writing to {}", parent.display()), e))?;
    let value = fill(tmp.as_file_mut())?;
    let writing = |e| Error::io(format!("writing {}", target.display()), e);
    tmp.as_file().sync_all().map_err(writing)?;
    tmp.persist(target).map_err(|e| writing(e.error))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_target_is_replaced_whole_or_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, "old").unwrap();
        let failed: Result<(), Error> = write_replacing(&target, ".t-", |file| {
            file.write_all(b"half").unwrap();
            Err(Error::InvalidInput("stopped".into()))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        let written: Result<usize, Error> = write_replacing(&target, ".t-", |file| {
            file.write_all(b"new").unwrap();
            Ok(3)
        });
        assert_eq!(written.unwrap(), 3);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
        let nowhere = dir.path().join("missing").join("out.txt");
        let err = write_replacing(&nowhere, ".t-", |_| Ok::<_, Error>(())).unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
