//! Where a bundle path lands inside the home, and whether it may land there.
//! Checked before anything is written, so a refused path leaves no trace.
use crate::materialize::Refusal;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

/// A file's place, found by walking the real directories of the home.
#[derive(Debug)]
pub(crate) struct Target {
    /// The deepest directory that exists already, canonical and inside the home.
    pub existing_dir: PathBuf,
    /// Directories still to create below `existing_dir`, outermost first.
    pub missing_dirs: Vec<OsString>,
    pub file_name: OsString,
    /// A regular file is there already.
    pub exists: bool,
}

impl Target {
    pub fn path(&self) -> PathBuf {
        let mut path = self.existing_dir.clone();
        path.extend(&self.missing_dirs);
        path.push(&self.file_name);
        path
    }
}

/// The path inside the home a bundle path stands for: `~/x` and `x` both
/// mean `<home>/x`. Only the text is judged here; symlinks are `locate`'s.
pub(crate) fn relative_to_home(path: &str) -> Result<PathBuf, Refusal> {
    if path.contains('\0') {
        return Err(Refusal::Nul);
    }
    let rest = match path.strip_prefix("~/") {
        Some(rest) => rest,
        None if path == "~" => "",
        // `~alice/x` is another user's home in a shell; never ours to write.
        None if path.starts_with('~') => return Err(Refusal::OtherUsersHome),
        None => path,
    };
    if rest.ends_with('/') {
        return Err(Refusal::NotAFile);
    }
    let mut relative = PathBuf::new();
    for component in Path::new(rest).components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(Refusal::ParentComponent),
            Component::RootDir | Component::Prefix(_) => return Err(Refusal::Absolute),
        }
    }
    if relative.as_os_str().is_empty() {
        return Err(Refusal::Empty);
    }
    Ok(relative)
}

/// Why `locate` stopped: a rule, or the file system could not be read.
#[derive(Debug)]
pub(crate) enum Problem {
    Refused(Refusal),
    Io(io::Error),
}

impl From<Refusal> for Problem {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

/// Walks `relative` from the canonical `home` one component at a time with
/// `symlink_metadata`, so a symlinked directory is followed only when it
/// resolves inside the home, and a symlink in the file's own place is refused
/// (a rename would replace it, but a symlink there means someone set a trap).
pub(crate) fn locate(home: &Path, relative: &Path) -> Result<Target, Problem> {
    let mut parts: Vec<OsString> = relative.iter().map(OsString::from).collect();
    let file_name = parts.pop().ok_or(Refusal::Empty)?;
    let mut dir = home.to_path_buf();
    let mut walked = PathBuf::new();
    for (index, part) in parts.iter().enumerate() {
        walked.push(part);
        let next = dir.join(part);
        let metadata = match next.symlink_metadata() {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let missing_dirs = parts[index..].to_vec();
                return Ok(Target { existing_dir: dir, missing_dirs, file_name, exists: false });
            }
            Err(error) => return Err(Problem::Io(error)),
        };
        if metadata.is_dir() {
            dir = next;
        } else if metadata.file_type().is_symlink() {
            let resolved = match next.canonicalize() {
                Ok(resolved) => resolved,
                Err(_) => return Err(Refusal::DanglingSymlink { link: walked }.into()),
            };
            if !resolved.starts_with(home) {
                return Err(Refusal::SymlinkEscape { link: walked }.into());
            }
            if !resolved.is_dir() {
                return Err(Refusal::ParentNotDirectory { parent: walked }.into());
            }
            dir = resolved;
        } else {
            return Err(Refusal::ParentNotDirectory { parent: walked }.into());
        }
    }
    let exists = match dir.join(&file_name).symlink_metadata() {
        Ok(metadata) if metadata.file_type().is_symlink() => return Err(Refusal::SymlinkFile.into()),
        Ok(metadata) if metadata.is_dir() => return Err(Refusal::NotAFile.into()),
        Ok(_) => true,
        Err(error) if error.kind() == io::ErrorKind::NotFound => false,
        Err(error) => return Err(Problem::Io(error)),
    };
    Ok(Target { existing_dir: dir, missing_dirs: Vec::new(), file_name, exists })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_and_relative_paths_map_into_the_home() {
        assert_eq!(relative_to_home("~/.pgpass").unwrap(), Path::new(".pgpass"));
        assert_eq!(relative_to_home("a/./b").unwrap(), Path::new("a/b"));
        assert_eq!(relative_to_home("./a").unwrap(), Path::new("a"));
        assert_eq!(relative_to_home("..x/y").unwrap(), Path::new("..x/y"));
    }

    #[test]
    fn climbing_absolute_and_odd_paths_are_refused() {
        let cases = [
            ("../x", Refusal::ParentComponent),
            ("~/a/../../x", Refusal::ParentComponent),
            ("/etc/passwd", Refusal::Absolute),
            ("~//etc/passwd", Refusal::Absolute),
            ("~alice/x", Refusal::OtherUsersHome),
            ("", Refusal::Empty),
            ("~", Refusal::Empty),
            (".", Refusal::Empty),
            ("dir/", Refusal::NotAFile),
            ("a\0b", Refusal::Nul),
        ];
        for (path, refusal) in cases {
            assert_eq!(relative_to_home(path).unwrap_err(), refusal, "{path:?}");
        }
    }
}
