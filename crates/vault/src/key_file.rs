//! Master key files: base64 text, readable by the owner only.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::{MasterKey, VaultError};

impl MasterKey {
    /// Reads a key file (base64 text).
    pub fn load_file(path: &Path) -> Result<Self, VaultError> {
        let text = Zeroizing::new(
            fs::read_to_string(path)
                .map_err(|e| VaultError::io(format!("reading master key file {}", path.display()), e))?,
        );
        // Name the file so the operator knows which one to fix; the message itself never holds key text.
        Self::from_base64(&text).map_err(|error| match error {
            VaultError::InvalidKey(message) => {
                VaultError::InvalidKey(format!("master key file {}: {message}", path.display()))
            }
            other => other,
        })
    }

    /// Reads the key file, or creates it (parent dirs as needed, file mode 0600, create_new so two starts
    /// cannot both write, fsync) with a fresh key when it does not exist. Returns (key, created).
    pub fn load_or_create_file(path: &Path) -> Result<(Self, bool), VaultError> {
        match Self::load_file(path) {
            Ok(key) => return Ok((key, false)),
            Err(VaultError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
            Err(other) => return Err(other),
        }
        let dir = parent_dir(path);
        fs::create_dir_all(&dir)
            .map_err(|e| VaultError::io(format!("creating directory {}", dir.display()), e))?;
        let file = match owner_only_options().open(path) {
            Ok(file) => file,
            // Another process won the race between our read and our create: use its key.
            // (It may still be writing; a read of the half-written file fails as InvalidKey
            // rather than silently yielding a different key, and a restart fixes it.)
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok((Self::load_file(path)?, false)),
            Err(e) => return Err(VaultError::io(format!("creating master key file {}", path.display()), e)),
        };
        let key = Self::generate();
        if let Err(e) = write_key(file, &key) {
            // Leaving a partial file would make every later start fail; the key was never used.
            let _ = fs::remove_file(path);
            return Err(VaultError::io(format!("writing master key file {}", path.display()), e));
        }
        sync_dir(&dir).map_err(|e| VaultError::io(format!("syncing directory {}", dir.display()), e))?;
        Ok((key, true))
    }

    /// Writes the key to `path` atomically (temp file 0600 in the same dir, fsync, rename) — used by key rotation.
    pub fn write_file(&self, path: &Path) -> Result<(), VaultError> {
        let dir = parent_dir(path);
        let temp = temp_path(path);
        let file = owner_only_options()
            .open(&temp)
            .map_err(|e| VaultError::io(format!("creating temporary key file {}", temp.display()), e))?;
        // A reader sees either the old key or the new one, never a torn file.
        let result = write_key(file, self)
            .map_err(|e| VaultError::io(format!("writing temporary key file {}", temp.display()), e))
            .and_then(|()| {
                fs::rename(&temp, path).map_err(|e| {
                    VaultError::io(format!("renaming {} to {}", temp.display(), path.display()), e)
                })
            });
        if result.is_err() {
            let _ = fs::remove_file(&temp);
        }
        result?;
        sync_dir(&dir).map_err(|e| VaultError::io(format!("syncing directory {}", dir.display()), e))
    }
}

fn write_key(mut file: File, key: &MasterKey) -> io::Result<()> {
    let text = key.to_base64();
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// `create_new` so an existing file is never overwritten in place; mode 0600 is
/// set at creation, so the key is never readable by others, not even briefly.
fn owner_only_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A name in the same directory (so the rename stays on one filesystem) that is
/// unique per process and call, so concurrent rotations never share a temp file.
fn temp_path(path: &Path) -> PathBuf {
    use chacha20poly1305::aead::OsRng;
    use chacha20poly1305::aead::rand_core::RngCore as _;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    parent_dir(path).join(format!(".{name}.{}.{:016x}.tmp", std::process::id(), OsRng.next_u64()))
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
