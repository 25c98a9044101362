//! The config edits `integrations create` and `update` take as flags, so the
//! CLI can change everything the API can: files (`--file`, `--file-secret`,
//! `--file-mode`, `--remove-file`), the connection test (`--test-command`,
//! `--test-timeout`, `--test-interval`, `--no-test-interval`, `--no-test`)
//! and whole lists (`--clear-secrets`; tags
//! live beside the config). Each flag's value is checked here, with the flag
//! named, before anything is sent.
use crate::commands::ConfigEditArgs;
use crate::failure::{Exit, failure};
use patchbay_api_types::models::connection_test::MAX_TEST_INTERVAL_SECONDS;
use patchbay_domain::{
    ConnectionTest, DEFAULT_FILE_MODE, DEFAULT_TEST_TIMEOUT_SECS, FileMode, FilePath, FileSpec,
    IntegrationConfig, ParseError, SecretName, TestTimeout,
};
use std::path::Path;

impl ConfigEditArgs {
    /// Whether any flag here changes the config.
    pub fn touches_config(&self) -> bool {
        !self.files.is_empty()
            || !self.file_secrets.is_empty()
            || !self.file_modes.is_empty()
            || !self.remove_files.is_empty()
            || self.test_command.is_some()
            || self.test_timeout.is_some()
            || self.test_interval.is_some()
            || self.no_test_interval
            || self.no_test
            || self.clear_secrets
    }

    /// `config` with these edits made, in the order the flags' help gives:
    /// removals, then files set, then modes, then the test.
    pub fn apply(&self, config: &mut IntegrationConfig) -> anyhow::Result<()> {
        if self.clear_secrets {
            config.secrets.clear();
        }
        for raw in &self.remove_files {
            let path = file_path("--remove-file", raw)?;
            let before = config.files.len();
            config.files.retain(|file| file.path != path);
            if config.files.len() == before {
                let known: Vec<&str> = config.files.iter().map(|f| f.path.as_str()).collect();
                let known = if known.is_empty() { "it has none".to_owned() } else { known.join(", ") };
                return Err(failure(
                    Exit::Invalid,
                    format!("--remove-file {raw}: the integration has no such file ({known})"),
                ));
            }
        }
        for item in &self.files {
            let (path, value) = split("--file", item, "PATH=@LOCAL_FILE or PATH=TEXT")?;
            let content = match value.strip_prefix('@') {
                Some(local) => read_local(local)?,
                None => value.to_owned(),
            };
            set_file(config, file_path("--file", path)?, Some(content), None);
        }
        for item in &self.file_secrets {
            let (path, secret) = split("--file-secret", item, "PATH=SECRET")?;
            SecretName::parse(secret)
                .map_err(|error| failure(Exit::Invalid, format!("--file-secret {item}: {error}")))?;
            set_file(config, file_path("--file-secret", path)?, None, Some(secret.to_owned()));
        }
        for item in &self.file_modes {
            let (path, mode) = split("--file-mode", item, "PATH=MODE (e.g. ~/.pgpass=0600)")?;
            let mode = FileMode::parse(mode)
                .map_err(|error| failure(Exit::Invalid, format!("--file-mode {item}: {error}")))?;
            let path = file_path("--file-mode", path)?;
            let Some(file) = config.files.iter_mut().find(|file| file.path == path) else {
                return Err(failure(
                    Exit::Invalid,
                    format!("--file-mode {item}: no file {path} (add it with --file or --file-secret)"),
                ));
            };
            file.mode = Some(mode);
        }
        self.apply_test(config)
    }

    fn apply_test(&self, config: &mut IntegrationConfig) -> anyhow::Result<()> {
        if self.no_test {
            config.connection_test = None;
            return Ok(());
        }
        let timeout = match self.test_timeout {
            Some(seconds) => Some(
                TestTimeout::parse(seconds)
                    .map_err(|error| failure(Exit::Invalid, format!("--test-timeout {seconds}: {error}")))?,
            ),
            None => None,
        };
        let interval = self.test_interval.map(test_interval).transpose()?;
        match (&mut config.connection_test, &self.test_command) {
            (Some(test), command) => {
                if let Some(command) = command {
                    test.command = command.clone();
                    test.enabled = true;
                }
                if let Some(timeout) = timeout {
                    test.timeout = timeout;
                }
                if interval.is_some() || self.no_test_interval {
                    test.interval_seconds = interval;
                }
            }
            (None, Some(command)) => {
                let default = TestTimeout::parse(DEFAULT_TEST_TIMEOUT_SECS).expect("the default is valid");
                config.connection_test = Some(ConnectionTest {
                    enabled: true,
                    command: command.clone(),
                    timeout: timeout.unwrap_or(default),
                    interval_seconds: interval,
                });
            }
            (None, None) if timeout.is_some() => {
                return Err(failure(
                    Exit::Invalid,
                    "--test-timeout: the integration has no connection test; give --test-command too",
                ));
            }
            (None, None) if interval.is_some() => {
                return Err(failure(
                    Exit::Invalid,
                    "--test-interval: the integration has no connection test; give --test-command too",
                ));
            }
            // No test, so no schedule to remove: `--no-test-interval` holds.
            (None, None) => {}
        }
        Ok(())
    }
}

/// `--test-interval`, within the API's bounds: refused here, it is named by
/// its flag rather than by the body's field.
fn test_interval(seconds: i64) -> anyhow::Result<u32> {
    let error = if seconds < 1 {
        ParseError::TooSmall { min: 1 }
    } else if seconds > MAX_TEST_INTERVAL_SECONDS {
        ParseError::TooLarge { max: MAX_TEST_INTERVAL_SECONDS }
    } else {
        return Ok(seconds as u32);
    };
    Err(failure(Exit::Invalid, format!("--test-interval {seconds}: {error}")))
}

/// `PATH=VALUE` at the first `=` (a path holding `=` is not supported here).
pub(super) fn split<'a>(flag: &str, item: &'a str, shape: &str) -> anyhow::Result<(&'a str, &'a str)> {
    item.split_once('=').ok_or_else(|| failure(Exit::Invalid, format!("{flag} {item:?}: expected {shape}")))
}

fn file_path(flag: &str, raw: &str) -> anyhow::Result<FilePath> {
    FilePath::parse(raw).map_err(|error| failure(Exit::Invalid, format!("{flag} {raw}: {error}")))
}

fn read_local(local: &str) -> anyhow::Result<String> {
    let bytes = std::fs::read(Path::new(local))
        .map_err(|error| failure(Exit::Invalid, format!("--file: cannot read {local}: {error}")))?;
    String::from_utf8(bytes).map_err(|_| {
        failure(
            Exit::Invalid,
            format!("--file: {local} is not UTF-8 text; store binary data as a secret (base64) and use --file-secret"),
        )
    })
}

/// Replaces the file at `path` (keeping its mode and description) or adds
/// it with the default mode; exactly one of `content` and `secret_ref` is set.
fn set_file(
    config: &mut IntegrationConfig,
    path: FilePath,
    content: Option<String>,
    secret_ref: Option<String>,
) {
    match config.files.iter_mut().find(|file| file.path == path) {
        Some(file) => {
            file.content = content;
            file.secret_ref = secret_ref;
        }
        None => config.files.push(FileSpec {
            path,
            content,
            secret_ref,
            mode: Some(FileMode::parse(DEFAULT_FILE_MODE).expect("the default is valid")),
            description: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edits() -> ConfigEditArgs {
        ConfigEditArgs::default()
    }

    #[test]
    fn files_are_added_replaced_moded_and_removed() {
        let dir = std::env::temp_dir().join(format!("patchbay-edits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let local = dir.join("ca.pem");
        std::fs::write(&local, "-----BEGIN-----\nabc\n-----END-----\n").unwrap();
        let mut config = IntegrationConfig::default();
        let mut args = edits();
        args.files = vec![format!("~/ca.pem=@{}", local.display()), "notes.txt=hello".into()];
        args.file_secrets = vec!["~/.pgpass=PGPASS_FILE".into()];
        args.file_modes = vec!["~/.pgpass=0600".into()];
        args.apply(&mut config).unwrap();
        let files: Vec<(&str, Option<&str>, Option<&str>, &str)> = config
            .files
            .iter()
            .map(|f| {
                (
                    f.path.as_str(),
                    f.content.as_deref(),
                    f.secret_ref.as_deref(),
                    f.mode.as_ref().unwrap().as_str(),
                )
            })
            .collect();
        assert_eq!(
            files,
            [
                ("~/ca.pem", Some("-----BEGIN-----\nabc\n-----END-----\n"), None, "0644"),
                ("notes.txt", Some("hello"), None, "0644"),
                ("~/.pgpass", None, Some("PGPASS_FILE"), "0600"),
            ]
        );
        let mut args = edits();
        args.remove_files = vec!["notes.txt".into()];
        args.files = vec!["~/.pgpass=inline now".into()];
        args.apply(&mut config).unwrap();
        assert_eq!(config.files.len(), 2);
        let pgpass = &config.files[1];
        assert_eq!((pgpass.content.as_deref(), pgpass.secret_ref.as_deref()), (Some("inline now"), None));
        assert_eq!(pgpass.mode.as_ref().unwrap().as_str(), "0600", "a replaced file keeps its mode");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_values_name_their_flag() {
        type Edit = fn(&mut ConfigEditArgs);
        let cases: Vec<(Edit, &str)> = vec![
            (|a| a.files = vec!["no-equals".into()], "--file \"no-equals\": expected PATH=@LOCAL_FILE"),
            (|a| a.files = vec!["x=@/nonexistent/file".into()], "--file: cannot read /nonexistent/file"),
            (|a| a.file_secrets = vec!["x=bad name".into()], "--file-secret x=bad name:"),
            (|a| a.file_modes = vec!["x=0999".into()], "--file-mode x=0999:"),
            (|a| a.file_modes = vec!["missing=0600".into()], "--file-mode missing=0600: no file missing"),
            (
                |a| a.remove_files = vec!["missing".into()],
                "--remove-file missing: the integration has no such file",
            ),
            (|a| a.test_timeout = Some(0), "--test-timeout 0:"),
            (|a| a.test_timeout = Some(5), "--test-timeout: the integration has no connection test"),
            (|a| a.test_interval = Some(0), "--test-interval 0: Input should be greater than or equal to 1"),
            (
                |a| a.test_interval = Some(604_801),
                "--test-interval 604801: Input should be less than or equal to 604800",
            ),
            (|a| a.test_interval = Some(60), "--test-interval: the integration has no connection test"),
            (|a| a.files = vec!["=x".into()], "--file : "),
        ];
        for (set, expected) in cases {
            let mut args = edits();
            set(&mut args);
            let mut config = IntegrationConfig::default();
            let error = args.apply(&mut config).unwrap_err().to_string();
            assert!(error.contains(expected), "{error:?} should contain {expected:?}");
            assert_eq!(config, IntegrationConfig::default(), "nothing changed on {expected}");
        }
    }

    #[test]
    fn the_test_is_created_changed_and_removed() {
        let mut config = IntegrationConfig::default();
        let mut args = edits();
        args.test_command = Some("pg_isready".into());
        args.apply(&mut config).unwrap();
        let test = config.connection_test.clone().unwrap();
        assert_eq!((test.command.as_str(), test.timeout.seconds(), test.enabled), ("pg_isready", 5, true));
        let mut args = edits();
        args.test_timeout = Some(30);
        args.apply(&mut config).unwrap();
        assert_eq!(config.connection_test.as_ref().unwrap().timeout.seconds(), 30);
        assert_eq!(config.connection_test.as_ref().unwrap().command, "pg_isready");
        let mut args = edits();
        args.no_test = true;
        args.apply(&mut config).unwrap();
        assert_eq!(config.connection_test, None);
    }

    #[test]
    fn the_schedule_is_set_with_the_test_kept_and_removed() {
        let mut config = IntegrationConfig::default();
        let mut args = edits();
        args.test_command = Some("pg_isready".into());
        args.test_interval = Some(60);
        args.apply(&mut config).unwrap();
        assert_eq!(config.connection_test.as_ref().unwrap().interval_seconds, Some(60));
        let mut args = edits();
        args.test_timeout = Some(30);
        args.apply(&mut config).unwrap();
        let test = config.connection_test.clone().unwrap();
        assert_eq!((test.interval_seconds, test.timeout.seconds()), (Some(60), 30), "other edits keep it");
        let mut args = edits();
        args.test_interval = Some(604_800);
        args.apply(&mut config).unwrap();
        assert_eq!(config.connection_test.as_ref().unwrap().interval_seconds, Some(604_800));
        let mut args = edits();
        args.no_test_interval = true;
        assert!(args.touches_config());
        args.apply(&mut config).unwrap();
        let test = config.connection_test.clone().unwrap();
        assert_eq!(
            (test.interval_seconds, test.command.as_str()),
            (None, "pg_isready"),
            "only on demand now"
        );
        let mut bare = IntegrationConfig::default();
        args.apply(&mut bare).unwrap();
        assert_eq!(bare, IntegrationConfig::default(), "no test, no schedule to remove");
    }
}
