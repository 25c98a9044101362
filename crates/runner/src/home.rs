//! The home directory a command runs in: a fresh private one that is removed
//! afterwards, or one the user names, which is kept.
use crate::atomic::DIR_MODE;
use std::fs::{DirBuilder, Permissions};
use std::hash::{BuildHasher, RandomState};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A fresh directory, mode 0700, removed with everything in it on drop.
#[derive(Debug)]
pub struct TempHome {
    path: PathBuf,
}

impl TempHome {
    /// Creates `patchbay-home-<random>` in `parent` (usually the temp dir).
    /// `create` (not `create_all`) fails on a name that exists, so another
    /// user cannot have prepared the directory for us.
    pub fn create_in(parent: &Path) -> io::Result<Self> {
        let mut attempts = 0u32;
        loop {
            let suffix = RandomState::new().hash_one((std::process::id(), attempts));
            let path = parent.join(format!("patchbay-home-{suffix:016x}"));
            match DirBuilder::new().mode(DIR_MODE).create(&path) {
                Ok(()) => {
                    std::fs::set_permissions(&path, Permissions::from_mode(DIR_MODE))?;
                    return Ok(Self { path });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => attempts += 1,
                Err(error) => return Err(error),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Makes sure a user-named home exists. Directories created on the way are
/// 0700; an existing directory keeps its mode, it is the user's.
pub fn ensure_home(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut cursor = Some(path);
    while let Some(dir) = cursor.filter(|dir| !dir.as_os_str().is_empty() && !dir.exists()) {
        missing.push(dir);
        cursor = dir.parent();
    }
    for dir in missing.into_iter().rev() {
        match DirBuilder::new().mode(DIR_MODE).create(dir) {
            Ok(()) => std::fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))?,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(error) => return Err(error),
        }
    }
    if path.is_dir() { Ok(()) } else { Err(io::Error::new(io::ErrorKind::NotADirectory, "not a directory")) }
}
