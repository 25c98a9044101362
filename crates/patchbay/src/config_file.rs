//! Configuration in layers: defaults, then the `--config` TOML file, then
//! `PATCHBAY_*` variables, then flags. clap already orders defaults,
//! variables and flags; the file is slotted in by parsing twice: every file
//! key that names a `serve` option still at its default (or unset) is
//! passed as a flag on the second parse. Any option added to `ServeArgs`
//! (flattened `Args` structs included) is therefore settable from the file
//! with no extra code: `request_timeout = "5s"`, or in a section,
//! `[rate_limit] burst = 20` for `--rate-limit-burst` (a section's keys
//! are also found without the prefix: `[limits] request_timeout`).
use crate::cli::Cli;
use anyhow::Context;
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, CommandFactory, FromArgMatches};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::Path;

/// Options that are not settings.
const NOT_SETTINGS: [&str; 4] = ["help", "version", "config", "print_config"];

/// Where an option's effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Variable,
    File,
    Default,
    Unset,
    /// Decided from other settings (the embedded worker follows the
    /// backend), with the reason.
    Derived(&'static str),
}

/// One line of `--print-config`.
pub struct Setting {
    pub key: String,
    /// Already masked when the option is a secret.
    pub value: Option<String>,
    pub source: Source,
}

pub struct Parsed {
    pub cli: Cli,
    /// Problems with the file that do not stop the server (unknown keys).
    pub warnings: Vec<String>,
    /// `serve`'s effective settings, for `--print-config`.
    pub settings: Vec<Setting>,
}

pub fn parse() -> anyhow::Result<Parsed> {
    parse_from(std::env::args_os().collect())
}

pub fn parse_from(argv: Vec<OsString>) -> anyhow::Result<Parsed> {
    let command = Cli::command();
    let first = command.clone().try_get_matches_from(&argv).unwrap_or_else(|e| e.exit());
    let mut warnings = Vec::new();
    let mut from_file = BTreeSet::new();
    let matches = match first.subcommand() {
        Some(("serve", serve)) => match serve.get_one::<std::path::PathBuf>("config") {
            Some(path) => {
                let serve_command = command.find_subcommand("serve").expect("serve exists");
                let extra = file_flags(path, serve_command, serve, &mut warnings, &mut from_file)?;
                let mut argv = argv;
                argv.extend(extra);
                command.try_get_matches_from(&argv).unwrap_or_else(|e| e.exit())
            }
            None => first,
        },
        _ => first,
    };
    let settings = match matches.subcommand() {
        Some(("serve", serve)) => {
            settings(Cli::command().find_subcommand("serve").expect("serve"), serve, &from_file)
        }
        _ => Vec::new(),
    };
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    Ok(Parsed { cli, warnings, settings })
}

/// The file's settings as flags, for options neither a flag nor a
/// variable set.
fn file_flags(
    path: &Path,
    serve: &clap::Command,
    given: &ArgMatches,
    warnings: &mut Vec<String>,
    from_file: &mut BTreeSet<String>,
) -> anyhow::Result<Vec<OsString>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    let table: toml::Table =
        text.parse().with_context(|| format!("parsing the config file {}", path.display()))?;
    let mut entries = Vec::new();
    flatten(&table, "", &mut entries);
    let mut flags = Vec::new();
    for (key, value) in entries {
        let (section, leaf) = key.rsplit_once('.').unwrap_or(("", &key));
        let candidates = [key.replace(['.', '_'], "-"), leaf.replace('_', "-")];
        let candidates = if section.is_empty() { &candidates[..1] } else { &candidates[..] };
        let arg = candidates.iter().find_map(|long| {
            serve
                .get_arguments()
                .find(|a| a.get_long() == Some(long) && !NOT_SETTINGS.contains(&a.get_id().as_str()))
        });
        let Some(arg) = arg else {
            warnings.push(format!("{}: unknown key `{key}` ignored", path.display()));
            continue;
        };
        let id = arg.get_id().as_str();
        if !matches!(given.value_source(id), None | Some(ValueSource::DefaultValue)) {
            continue;
        }
        let long = arg.get_long().expect("found by its long name");
        let values = match &value {
            toml::Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
            other => scalar(other).map(|v| vec![v]),
        };
        let Some(values) = values else {
            anyhow::bail!("{}: `{key}` must be a string, number or boolean", path.display());
        };
        for value in values {
            if matches!(arg.get_action(), ArgAction::SetTrue) {
                match value.as_str() {
                    "true" => flags.push(OsString::from(format!("--{long}"))),
                    "false" => {}
                    _ => anyhow::bail!("{}: `{key}` must be true or false", path.display()),
                }
            } else {
                flags.push(OsString::from(format!("--{long}={value}")));
            }
        }
        from_file.insert(id.to_owned());
    }
    Ok(flags)
}

fn flatten(table: &toml::Table, prefix: &str, out: &mut Vec<(String, toml::Value)>) {
    for (key, value) in table {
        let key = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::Table(inner) => flatten(inner, &key, out),
            other => out.push((key, other.clone())),
        }
    }
}

fn scalar(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Every `serve` option, its value (masked when secret) and where it came from.
fn settings(serve: &clap::Command, matches: &ArgMatches, from_file: &BTreeSet<String>) -> Vec<Setting> {
    serve
        .get_arguments()
        .filter(|a| !NOT_SETTINGS.contains(&a.get_id().as_str()))
        .map(|arg| {
            let id = arg.get_id().as_str();
            let raw = matches
                .get_raw(id)
                .map(|values| values.map(|v| v.to_string_lossy().into_owned()).collect::<Vec<_>>().join(","));
            let source = match matches.value_source(id) {
                None => Source::Unset,
                Some(_) if from_file.contains(id) => Source::File,
                Some(ValueSource::CommandLine) => Source::Flag,
                Some(ValueSource::EnvVariable) => Source::Variable,
                Some(_) => Source::Default,
            };
            let value = raw.map(|value| {
                if id.contains("database_url") && !id.ends_with("_file") {
                    patchbay_server::config::redact_url(&value)
                } else if arg.is_hide_env_values_set() {
                    // Options whose variables clap hides are the secrets.
                    "***".to_owned()
                } else {
                    value
                }
            });
            let key = arg.get_long().unwrap_or(id).replace('-', "_");
            Setting { key, value, source }
        })
        .collect()
}

/// `--print-config`'s text: TOML a file could start from, with each
/// value's origin. `derived` replaces the value of the settings whose
/// effect depends on others (key, value, why).
pub fn render(settings: &[Setting], derived: &[(&str, String, &'static str)]) -> String {
    let mut out = String::from("# Effective configuration of `patchbay serve` (secrets masked)\n");
    for setting in settings {
        let (value, source) = match derived.iter().find(|(key, _, _)| *key == setting.key) {
            Some((_, value, why)) => (Some(value), Source::Derived(why)),
            None => (setting.value.as_ref(), setting.source),
        };
        let origin = match source {
            Source::Flag => "flag",
            Source::Variable => "environment",
            Source::File => "config file",
            Source::Default => "default",
            Source::Unset => "unset",
            Source::Derived(why) => why,
        };
        match value {
            Some(value) => {
                let line = format!("{} = {}", setting.key, serde_json::Value::String(value.clone()));
                out.push_str(&format!("{line:<60} # {origin}\n"));
            }
            None => out.push_str(&format!("# {} is not set\n", setting.key)),
        }
    }
    out
}
