//! Writing one file so that a reader sees either nothing or all of it, with
//! exactly the mode asked for.
use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Directories we create hold secrets' files: owner only.
pub(crate) const DIR_MODE: u32 = 0o700;

/// Creates each of `names` below `dir` with mode 0700 and returns the
/// deepest. The mode is set explicitly because the umask may have taken bits
/// away. A directory that appeared meanwhile (an earlier file of the same
/// bundle) is used as it is, unless it is a symlink.
pub(crate) fn create_dirs(dir: &Path, names: &[std::ffi::OsString]) -> io::Result<PathBuf> {
    let mut dir = dir.to_path_buf();
    for name in names {
        dir.push(name);
        match DirBuilder::new().mode(DIR_MODE).create(&dir) {
            Ok(()) => std::fs::set_permissions(&dir, Permissions::from_mode(DIR_MODE))?,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                if !dir.symlink_metadata()?.is_dir() {
                    return Err(io::Error::new(io::ErrorKind::AlreadyExists, "appeared as a non-directory"));
                }
            }
            Err(error) => return Err(error),
        }
    }
    Ok(dir)
}

/// Writes `content` to `dir/name` through a temporary file in the same
/// directory (created new, never more open than `mode`), then fsync and
/// rename, then fsync of the directory so the rename itself is durable.
pub(crate) fn write_file(dir: &Path, name: &std::ffi::OsStr, content: &[u8], mode: u32) -> io::Result<()> {
    let (temp, mut file) = create_temp(dir, name, mode)?;
    let written = (|| {
        file.write_all(content)?;
        // After writing: the kernel clears set-id bits on a write by a
        // non-root owner, and the umask may have narrowed the creation mode.
        file.set_permissions(Permissions::from_mode(mode))?;
        file.sync_all()?;
        std::fs::rename(&temp, dir.join(name))
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(error);
    }
    File::open(dir)?.sync_all()
}

fn create_temp(dir: &Path, name: &std::ffi::OsStr, mode: u32) -> io::Result<(PathBuf, File)> {
    let mut attempts = 0;
    loop {
        let suffix = RandomState::new().hash_one((std::process::id(), attempts));
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{suffix:016x}.tmp"));
        let temp = dir.join(temp_name);
        // Owner write is needed to fill the file; the final mode comes after.
        let open = OpenOptions::new().write(true).create_new(true).mode((mode & 0o777) | 0o200).open(&temp);
        match open {
            Ok(file) => return Ok((temp, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempts < 16 => attempts += 1,
            Err(error) => return Err(error),
        }
    }
}
