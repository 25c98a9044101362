//! The client's config file, written by `patchbay login`: the server URL
//! and the token, in `$XDG_CONFIG_HOME/patchbay/config.toml` (or
//! `~/.config/patchbay/config.toml`; `PATCHBAY_CONFIG` names another file).
//! It holds a token, so it is created owner-only (0600, directory 0700).
//!
//! Layers: `--server`/`--token` flags and `PATCHBAY_SERVER`/`PATCHBAY_TOKEN`
//! win over the file, which wins over the default server.
use crate::cli::ClientArgs;
use crate::failure::{Exit, failure};
use anyhow::{Context, bail};
use patchbay_client::Client;
use serde::{Deserialize, Serialize};
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

#[derive(Default, Serialize, Deserialize)]
pub struct ClientConfig {
    pub server: Option<String>,
    pub token: Option<String>,
}

/// Where the config file is; `None` when no home is known.
pub fn path() -> Option<PathBuf> {
    if let Some(file) = std::env::var_os("PATCHBAY_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(file));
    }
    let base =
        std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()).map(PathBuf::from).or_else(|| {
            std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|home| Path::new(&home).join(".config"))
        })?;
    Some(base.join("patchbay").join("config.toml"))
}

/// The saved config, or an empty one when there is no file.
pub fn load() -> anyhow::Result<ClientConfig> {
    let Some(path) = path() else { return Ok(ClientConfig::default()) };
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(ClientConfig::default()),
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    toml::from_str(&text).with_context(|| format!("{} is not a valid config file", path.display()))
}

/// Writes the config owner-only, replacing the file atomically.
pub fn save(config: &ClientConfig) -> anyhow::Result<PathBuf> {
    let Some(path) = path() else {
        bail!("no config directory: set HOME, XDG_CONFIG_HOME or PATCHBAY_CONFIG")
    };
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = toml::to_string(config).context("encoding the config")?;
    let temporary = path.with_extension("toml.tmp");
    let _ = fs::remove_file(&temporary);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", temporary.display()))?;
    // The mode given at creation is masked by the umask; make sure.
    fs::set_permissions(&temporary, fs::Permissions::from_mode(0o600))?;
    fs::rename(&temporary, &path).with_context(|| format!("replacing {}", path.display()))?;
    Ok(path)
}

impl ClientArgs {
    /// The server URL and token after every layer. A malformed URL is a
    /// usage error naming where it came from, never an unreachable server.
    pub fn resolved(&self) -> anyhow::Result<(String, Option<String>)> {
        let saved =
            if self.server.is_some() && self.token.is_some() { ClientConfig::default() } else { load()? };
        let (server, origin) = match (&self.server, saved.server) {
            (Some(server), _) => (server.clone(), "--server / PATCHBAY_SERVER".to_owned()),
            (None, Some(server)) => {
                let file = path().map(|p| p.display().to_string()).unwrap_or_default();
                (server, format!("the server saved in {file}"))
            }
            (None, None) => (DEFAULT_SERVER.to_owned(), "the default server".to_owned()),
        };
        let server = server_url(&server, &origin)?;
        let token = self.token.clone().or(saved.token).filter(|t| !t.is_empty());
        Ok((server, token))
    }

    pub fn connect(&self) -> anyhow::Result<Client> {
        let (server, token) = self.resolved()?;
        Ok(Client::new(&server, token))
    }
}

/// `text` as a base URL (`127.0.0.1:8080` is `http://127.0.0.1:8080`), or a
/// usage error that names `origin`: the flag, or the file it came from.
pub fn server_url(text: &str, origin: &str) -> anyhow::Result<String> {
    patchbay_client::parse_server_url(text)
        .map_err(|problem| failure(Exit::Usage, format!("{origin}: the server URL {problem}")))
}
