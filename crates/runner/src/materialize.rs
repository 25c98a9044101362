//! Writing a bundle's files into a home directory: every path
//! is judged first, then each file is written atomically with its mode
//! (less the bits `safe_file_mode` drops).
use crate::atomic::{create_dirs, write_file};
use crate::target::{Problem, Target, locate, relative_to_home};
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

/// One file of a bundle: where (as the bundle says it), what, and the mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileToWrite {
    /// `~/x` or a path relative to the home.
    pub path: String,
    pub content: Vec<u8>,
    /// Permission bits, at most `0o7777`.
    pub mode: u32,
}

/// Why a path may not be written; every message reads after the file's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the path is empty or names the home itself")]
    Empty,
    #[error("the path contains a NUL character")]
    Nul,
    #[error("absolute paths are not allowed; write `~/...` or a path relative to the home")]
    Absolute,
    #[error("a `..` component could leave the home")]
    ParentComponent,
    #[error("`~user` paths are not supported; write `~/...`")]
    OtherUsersHome,
    #[error("the path names a directory, not a file")]
    NotAFile,
    #[error("`{}` in the home is a symlink that leads out of the home", link.display())]
    SymlinkEscape { link: PathBuf },
    #[error("`{}` in the home is a symlink that leads nowhere", link.display())]
    DanglingSymlink { link: PathBuf },
    #[error("`{}` in the home is not a directory", parent.display())]
    ParentNotDirectory { parent: PathBuf },
    #[error("a symlink is in the file's place; it is not replaced")]
    SymlinkFile,
    #[error("mode {mode:o} is not a permission mode (at most 7777)")]
    BadMode { mode: u32 },
    #[error("the bundle lists this file more than once")]
    Duplicate,
}

#[derive(Debug, thiserror::Error)]
pub enum MaterializeError {
    #[error("the home directory {} cannot be used: {source}", home.display())]
    Home {
        home: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("refusing to write {path:?}: {reason}")]
    Refused { path: String, reason: Refusal },
    #[error("{path:?} already exists at {}; it is kept (overwriting was not asked for)", target.display())]
    Exists { path: String, target: PathBuf },
    #[error("writing {path:?} to {}: {source}", target.display())]
    Io {
        path: String,
        target: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Writes `files` into `home` and returns where each landed (`home` joined
/// with its path inside the home), in order.
///
/// Every file is checked before any is written, so a refused path leaves the
/// home as it was. An existing file is replaced only with `overwrite`.
pub fn materialize(
    home: &Path,
    files: &[FileToWrite],
    overwrite: bool,
) -> Result<Vec<PathBuf>, MaterializeError> {
    let canonical_home =
        home.canonicalize().map_err(|source| MaterializeError::Home { home: home.to_path_buf(), source })?;
    let mut planned = Vec::with_capacity(files.len());
    let mut seen = HashSet::new();
    for file in files {
        let refused = |reason| MaterializeError::Refused { path: file.path.clone(), reason };
        if file.mode > 0o7777 {
            return Err(refused(Refusal::BadMode { mode: file.mode }));
        }
        let relative = relative_to_home(&file.path).map_err(refused)?;
        let target = locate(&canonical_home, &relative).map_err(|problem| match problem {
            Problem::Refused(reason) => refused(reason),
            Problem::Io(source) => {
                MaterializeError::Io { path: file.path.clone(), target: home.join(&relative), source }
            }
        })?;
        if !seen.insert(target.path()) {
            return Err(refused(Refusal::Duplicate));
        }
        if target.exists && !overwrite {
            return Err(MaterializeError::Exists { path: file.path.clone(), target: home.join(&relative) });
        }
        planned.push((file, relative, target));
    }
    planned
        .into_iter()
        .map(|(file, relative, target)| {
            let shown = home.join(&relative);
            write_one(file, &target).map_err(|source| MaterializeError::Io {
                path: file.path.clone(),
                target: shown.clone(),
                source,
            })?;
            Ok(shown)
        })
        .collect()
}

fn write_one(file: &FileToWrite, target: &Target) -> io::Result<()> {
    let dir = create_dirs(&target.existing_dir, &target.missing_dirs)?;
    write_file(&dir, &target.file_name, &file.content, safe_file_mode(file.mode))
}

/// The mode a file is written with: the bundle's, without setuid, setgid,
/// sticky, and group or other write (`6777` is written `0755`). A member
/// who edits an integration must not be able to leave a set-id program
/// behind in the operator's home, or a file other users may change.
pub fn safe_file_mode(mode: u32) -> u32 {
    mode & 0o755
}

#[cfg(test)]
mod tests {
    use super::safe_file_mode;

    #[test]
    fn set_id_sticky_and_shared_write_bits_are_dropped() {
        let cases = [(0o6777, 0o755), (0o4755, 0o755), (0o1777, 0o755), (0o666, 0o644), (0o600, 0o600)];
        for (asked, written) in cases {
            assert_eq!(safe_file_mode(asked), written, "{asked:o}");
        }
    }
}
