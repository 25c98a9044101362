//! `materialize` against a real file system: modes as `stat` sees them,
//! paths mapped into the home, and every escape refused before any write.
use patchbay_runner::{FileToWrite, MaterializeError, Refusal, TempHome, ensure_home, materialize};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

fn file(path: &str, content: &str, mode: u32) -> FileToWrite {
    FileToWrite { path: path.to_owned(), content: content.as_bytes().to_vec(), mode }
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn scratch() -> TempHome {
    TempHome::create_in(&std::env::temp_dir()).unwrap()
}

fn refusal(error: MaterializeError) -> (String, Refusal) {
    match error {
        MaterializeError::Refused { path, reason } => (path, reason),
        other => panic!("expected a refusal, got {other}"),
    }
}

#[test]
fn writes_files_with_exact_modes_and_private_parents() {
    let home = scratch();
    let files = [
        file("~/.postgresql/client.crt", "CERT\n", 0o600),
        file("config/app.toml", "a = 1\n", 0o644),
        file("./bin/tool", "#!/bin/sh\n", 0o755),
        file("~/.postgresql/root.crt", "ROOT", 0o400),
    ];
    let written = materialize(home.path(), &files, false).unwrap();
    let root = home.path();
    assert_eq!(written[0], root.join(".postgresql/client.crt"));
    assert_eq!(written[2], root.join("bin/tool"));
    assert_eq!(std::fs::read_to_string(root.join(".postgresql/client.crt")).unwrap(), "CERT\n");
    assert_eq!(std::fs::read_to_string(root.join("config/app.toml")).unwrap(), "a = 1\n");
    assert_eq!(mode_of(&root.join(".postgresql/client.crt")), 0o600);
    assert_eq!(mode_of(&root.join("config/app.toml")), 0o644);
    assert_eq!(mode_of(&root.join("bin/tool")), 0o755);
    assert_eq!(mode_of(&root.join(".postgresql/root.crt")), 0o400);
    for dir in [".postgresql", "config", "bin"] {
        assert_eq!(mode_of(&root.join(dir)), 0o700, "{dir}");
    }
    assert_eq!(mode_of(root), 0o700, "the temporary home itself");
    let leftovers: Vec<_> =
        std::fs::read_dir(root.join(".postgresql")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no temporary files remain: {leftovers:?}");
}

#[test]
fn set_id_sticky_and_shared_write_bits_are_never_written() {
    // Set-id bits survive a rename; the kernel clears them only on a write
    // by a non-root owner, so they are dropped before, whoever runs this.
    let home = scratch();
    let files =
        [file("tool", "#!/bin/sh\n", 0o6777), file("shared.txt", "x", 0o666), file("sticky", "x", 0o1744)];
    materialize(home.path(), &files, false).unwrap();
    assert_eq!(mode_of(&home.path().join("tool")), 0o755);
    assert_eq!(mode_of(&home.path().join("shared.txt")), 0o644);
    assert_eq!(mode_of(&home.path().join("sticky")), 0o744);
}

#[test]
fn climbing_and_absolute_paths_are_refused_by_name() {
    let home = scratch();
    for (path, expected) in [("../outside", Refusal::ParentComponent), ("/etc/passwd", Refusal::Absolute)] {
        let error = materialize(home.path(), &[file(path, "x", 0o600)], false).unwrap_err();
        assert!(error.to_string().contains(path), "{error}");
        assert_eq!(refusal(error), (path.to_owned(), expected));
    }
    assert!(!home.path().parent().unwrap().join("outside").exists());
}

#[test]
fn a_symlinked_parent_leading_out_of_the_home_is_refused() {
    let home = scratch();
    let outside = scratch();
    symlink(outside.path(), home.path().join("link")).unwrap();
    let error = materialize(home.path(), &[file("link/evil", "x", 0o600)], false).unwrap_err();
    assert!(error.to_string().contains("link/evil"), "{error}");
    assert!(matches!(refusal(error).1, Refusal::SymlinkEscape { .. }));
    assert!(!outside.path().join("evil").exists());

    // A symlink that stays inside the home is an ordinary directory.
    std::fs::create_dir(home.path().join("real")).unwrap();
    symlink(home.path().join("real"), home.path().join("inner")).unwrap();
    materialize(home.path(), &[file("inner/ok", "fine", 0o600)], false).unwrap();
    assert_eq!(std::fs::read_to_string(home.path().join("real/ok")).unwrap(), "fine");
}

#[test]
fn a_symlink_in_the_files_place_is_refused_even_with_overwrite() {
    let home = scratch();
    let outside = scratch();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    symlink(&victim, home.path().join(".pgpass")).unwrap();
    let error = materialize(home.path(), &[file("~/.pgpass", "x", 0o600)], true).unwrap_err();
    assert!(error.to_string().contains("~/.pgpass"), "{error}");
    assert_eq!(refusal(error).1, Refusal::SymlinkFile);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
}

#[test]
fn an_existing_file_is_kept_unless_overwrite() {
    let home = scratch();
    let target = home.path().join("notes.txt");
    std::fs::write(&target, "mine").unwrap();
    let error = materialize(home.path(), &[file("notes.txt", "theirs", 0o600)], false).unwrap_err();
    assert!(matches!(&error, MaterializeError::Exists { path, .. } if path == "notes.txt"), "{error}");
    assert!(error.to_string().contains("notes.txt"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine");

    materialize(home.path(), &[file("notes.txt", "theirs", 0o600)], true).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "theirs");
    assert_eq!(mode_of(&target), 0o600);
}

#[test]
fn nothing_is_written_when_one_path_of_the_batch_is_bad() {
    let home = scratch();
    let files =
        [file("~/.config/good", "x", 0o600), file("a/../../escape", "x", 0o600), file("later", "x", 0o600)];
    let error = materialize(home.path(), &files, false).unwrap_err();
    assert_eq!(refusal(error).0, "a/../../escape");
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0, "the home is untouched");
}

#[test]
fn the_same_file_twice_is_refused() {
    let home = scratch();
    let files = [file("~/a", "1", 0o600), file("a", "2", 0o600)];
    assert_eq!(
        refusal(materialize(home.path(), &files, false).unwrap_err()),
        ("a".into(), Refusal::Duplicate)
    );
}

#[test]
fn a_file_in_the_way_of_a_directory_is_refused() {
    let home = scratch();
    std::fs::write(home.path().join("plain"), "").unwrap();
    let error = materialize(home.path(), &[file("plain/x", "x", 0o600)], false).unwrap_err();
    assert!(matches!(refusal(error).1, Refusal::ParentNotDirectory { .. }));
}

#[test]
fn temporary_homes_are_private_and_removed_and_named_homes_are_created() {
    let home = scratch();
    let path = home.path().to_path_buf();
    assert_eq!(mode_of(&path), 0o700);
    materialize(&path, &[file("deep/x", "x", 0o600)], false).unwrap();
    drop(home);
    assert!(!path.exists());

    let base = scratch();
    let named = base.path().join("a/b/home");
    ensure_home(&named).unwrap();
    for dir in ["a", "a/b", "a/b/home"] {
        assert_eq!(mode_of(&base.path().join(dir)), 0o700, "{dir}");
    }
    ensure_home(&named).unwrap();
}
