use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use crate::{MasterKey, VaultError};

/// A fresh directory per test under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        let key = MasterKey::generate();
        let dir = std::env::temp_dir().join(format!("patchbay-vault-{label}-{}", &key.fingerprint()[..12]));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn load_or_create_creates_once_with_mode_0600() {
    let dir = TempDir::new("create");
    let path = dir.0.join("nested/dirs/master.key");

    let (created_key, created) = MasterKey::load_or_create_file(&path).unwrap();
    assert!(created);
    assert_eq!(mode(&path), 0o600);

    let (loaded_key, created_again) = MasterKey::load_or_create_file(&path).unwrap();
    assert!(!created_again);
    assert_eq!(loaded_key.fingerprint(), created_key.fingerprint());
    assert_eq!(MasterKey::load_file(&path).unwrap().fingerprint(), created_key.fingerprint());
}

#[test]
fn load_or_create_refuses_to_replace_a_bad_file() {
    let dir = TempDir::new("bad");
    let path = dir.0.join("master.key");
    std::fs::write(&path, "c2hvcnQ=\n").unwrap();
    match MasterKey::load_or_create_file(&path) {
        Err(VaultError::InvalidKey(message)) => {
            assert!(message.contains("master.key") && message.contains("expected 32"), "{message}");
            assert!(!message.contains("c2hvcnQ"), "{message}");
        }
        other => panic!("expected InvalidKey, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "c2hvcnQ=\n");
}

#[test]
fn load_file_reports_a_missing_file() {
    let dir = TempDir::new("missing");
    let path = dir.0.join("absent.key");
    match MasterKey::load_file(&path) {
        Err(error @ VaultError::Io { .. }) => assert!(error.to_string().contains("absent.key"), "{error}"),
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn write_file_replaces_atomically_and_keeps_0600() {
    let dir = TempDir::new("write");
    let path = dir.0.join("master.key");
    let (old, _) = MasterKey::load_or_create_file(&path).unwrap();

    let new = MasterKey::generate();
    new.write_file(&path).unwrap();

    assert_eq!(mode(&path), 0o600);
    let loaded = MasterKey::load_file(&path).unwrap();
    assert_eq!(loaded.fingerprint(), new.fingerprint());
    assert_ne!(loaded.fingerprint(), old.fingerprint());
    // No temp files left behind.
    let names: Vec<_> = std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("master.key")]);
}

#[test]
fn write_file_creates_a_new_file_too() {
    let dir = TempDir::new("write-new");
    let path = dir.0.join("fresh.key");
    let key = MasterKey::generate();
    key.write_file(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(MasterKey::load_file(&path).unwrap().fingerprint(), key.fingerprint());
}

#[test]
fn racing_creators_all_read_the_one_key_that_was_published() {
    for round in 0..20 {
        let dir = TempDir::new(&format!("race-{round}"));
        let path = dir.0.join("master.key");
        let results: Vec<_> = std::thread::scope(|scope| {
            let racers: Vec<_> =
                (0..8).map(|_| scope.spawn(|| MasterKey::load_or_create_file(&path).unwrap())).collect();
            racers.into_iter().map(|racer| racer.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1, "exactly one creator");
        let on_disk = MasterKey::load_file(&path).unwrap().fingerprint();
        assert!(results.iter().all(|(key, _)| key.fingerprint() == on_disk));
        let names: Vec<_> = std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("master.key")], "no temporary file is left");
        assert_eq!(mode(&path), 0o600);
    }
}
