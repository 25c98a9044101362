//! Owner-only key files that a reader sees whole or not at all.
//!
//! Several processes may want the same key at once: `patchbay serve` and
//! `patchbay token mint` started together in a fresh data directory, two
//! replicas on one directory. A key is therefore never written under its
//! final name: it is written to a private temporary file in the same
//! directory, synced, and published with `link`, which fails when the name
//! already exists. The loser of a race reads the winner's key.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// The text of the file at `path`, or, when there is none, `new_content()`
/// published there (mode 0600, parent directories created as needed).
/// Returns the text and `true` when this call created the file.
pub fn read_or_create_private_file(
    path: &Path,
    new_content: impl FnOnce() -> Zeroizing<String>,
) -> io::Result<(Zeroizing<String>, bool)> {
    match fs::read_to_string(path) {
        Ok(text) => return Ok((Zeroizing::new(text), false)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let dir = parent_dir(path);
    fs::create_dir_all(&dir)?;
    let content = new_content();
    let (temp, file) = create_temp(path)?;
    let published = write_synced(file, content.as_bytes()).and_then(|()| fs::hard_link(&temp, path));
    // The temporary name is only a staging place; the key lives under `path`.
    let _ = fs::remove_file(&temp);
    match published {
        Ok(()) => {
            sync_dir(&dir)?;
            Ok((content, true))
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            Ok((Zeroizing::new(fs::read_to_string(path)?), false))
        }
        Err(error) => Err(error),
    }
}

/// Replaces the file at `path` with `content` (mode 0600): written to a
/// temporary file, synced, then renamed over it, so a reader sees the old
/// content or the new, never a torn file.
pub(crate) fn replace_private_file(path: &Path, content: &[u8]) -> io::Result<()> {
    let (temp, file) = create_temp(path)?;
    let result = write_synced(file, content).and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result?;
    sync_dir(&parent_dir(path))
}

fn write_synced(mut file: File, content: &[u8]) -> io::Result<()> {
    file.write_all(content)?;
    file.sync_all()
}

/// A new file beside `path` (so `link` and `rename` stay on one filesystem),
/// named uniquely per process and call, created with mode 0600 so the key is
/// never readable by others, not even briefly.
fn create_temp(path: &Path) -> io::Result<(PathBuf, File)> {
    use chacha20poly1305::aead::OsRng;
    use chacha20poly1305::aead::rand_core::RngCore as _;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = parent_dir(path).join(format!(".{name}.{}.{:016x}.tmp", std::process::id(), OsRng.next_u64()));
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&temp)?;
    Ok((temp, file))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes the new directory entry durable: fsync of the file alone does not
/// persist its name on every filesystem.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
