//! Where the vault's master key comes from: `--master-key`,
//! `--master-key-file` (or their variables), else the data directory's
//! `master.key`, created (0600) on first start for the embedded default.
use crate::cli::MasterKeyArgs;
use anyhow::Context;
use patchbay_vault::MasterKey;
use std::path::{Path, PathBuf};

pub const FILE: &str = "master.key";

/// Where the key lives when it is a file: the configured one or the default.
pub fn file_path(args: &MasterKeyArgs, data_dir: &Path) -> Option<PathBuf> {
    match (&args.master_key, &args.master_key_file) {
        (Some(_), _) => None,
        (None, Some(path)) => Some(path.clone()),
        (None, None) => Some(data_dir.join(FILE)),
    }
}

/// The key, and `true` when it was just created.
pub fn load(args: &MasterKeyArgs, data_dir: &Path) -> anyhow::Result<(MasterKey, bool)> {
    if let Some(text) = &args.master_key {
        return Ok((MasterKey::from_base64(text).context("--master-key / PATCHBAY_MASTER_KEY")?, false));
    }
    if let Some(path) = &args.master_key_file {
        return Ok((
            MasterKey::load_file(path).with_context(|| format!("reading {}", path.display()))?,
            false,
        ));
    }
    let path = data_dir.join(FILE);
    MasterKey::load_or_create_file(&path).with_context(|| format!("preparing {}", path.display()))
}
