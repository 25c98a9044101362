//! The data directory holds the SQLite database, the vault's master key and
//! the token signing key: whoever reads it reads every secret. It and what
//! the server creates in it are private to the server's user.
use anyhow::Context;
use nix::sys::stat::{Mode, umask};
use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// From here on every file and directory the server creates is private,
/// including those whose mode is not ours to choose (SQLite's `-wal` and
/// `-shm`, a library's temporary file). Explicit modes stay the first line.
pub fn private_umask() {
    umask(Mode::from_bits_truncate(0o077));
}

/// Creates the data directory (and missing parents) with mode 0700, or warns
/// when an existing one lets group or other users in, naming the fix.
pub fn prepare(dir: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(dir) {
        Ok(metadata) => {
            let mode = metadata.permissions().mode() & 0o777;
            if let Some(warning) = open_to_others(dir, mode) {
                tracing::warn!("{warning}");
            }
            Ok(())
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .and_then(|()| std::fs::set_permissions(dir, Permissions::from_mode(DIR_MODE)))
            .with_context(|| format!("creating the data directory {}", dir.display())),
        Err(error) => Err(error).with_context(|| format!("reading the data directory {}", dir.display())),
    }
}

fn open_to_others(dir: &Path, mode: u32) -> Option<String> {
    (mode & 0o077 != 0).then(|| {
        format!(
            "the data directory {} has mode {mode:04o}: other users may reach the database and keys in it; \
             restrict it with `chmod 700 {}`",
            dir.display(),
            dir.display()
        )
    })
}

/// Creates `path` empty with mode 0600 if it does not exist, so a database
/// file is private whatever the umask; SQLite gives its `-wal` and `-shm`
/// files the database file's mode. An existing file is left as it is.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    match OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path) {
        Ok(file) => file.set_permissions(Permissions::from_mode(FILE_MODE)),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::open_to_others;
    use std::path::Path;

    #[test]
    fn group_or_other_bits_are_warned_about_with_the_fix() {
        let warning = open_to_others(Path::new("data"), 0o755).unwrap();
        assert!(warning.contains("data") && warning.contains("0755") && warning.contains("chmod 700 data"));
        assert_eq!(open_to_others(Path::new("data"), 0o700), None);
        assert!(open_to_others(Path::new("data"), 0o710).is_some());
    }
}
