//! Environment variables a bundle may not set. A bundle's variables come
//! from integrations any member may edit, while the command runs as the
//! operator (or the worker): a variable that a loader, a shell or an
//! interpreter reads at start-up would let that member run code as them
//! (`BASH_ENV='$(id > f)'` runs `id` in every non-interactive bash).
//! Such a bundle is refused before anything runs or is written, unless the
//! operator accepts the variable by name.

/// Whole names, each with why it is refused.
const NAMES: &[(&str, &str)] = &[
    // Shells: a file to source, or code expanded, before the script runs.
    ("BASH_ENV", "bash sources the file it names (after expanding `$(...)` in it) before running a script"),
    ("ENV", "sh and bash source the file it names when they start"),
    ("SHELLOPTS", "it turns on bash options (e.g. xtrace, which then expands PS4) in every bash started"),
    ("BASHOPTS", "it turns on bash options in every bash started"),
    ("PS4", "bash expands it, `$(...)` included, before each traced command"),
    ("PROMPT_COMMAND", "bash runs it as a command before each prompt"),
    // Shells: change what a script's words, `cd` and globs mean.
    ("IFS", "it changes how every shell splits words, and so what scripts run"),
    ("CDPATH", "it changes where `cd` goes in scripts"),
    ("GLOBIGNORE", "it changes what bash globs match"),
    // Interpreters: code or modules loaded at start-up.
    ("PYTHONSTARTUP", "python runs the file it names"),
    ("PYTHONPATH", "python imports modules from it before the standard library"),
    ("PYTHONHOME", "python loads its standard library from it"),
    ("PYTHONINSPECT", "python drops into an interactive prompt after the script"),
    ("PERL5OPT", "perl takes options from it, `-M` modules included"),
    ("PERL5LIB", "perl loads modules from it first"),
    ("PERLLIB", "perl loads modules from it first"),
    ("RUBYOPT", "ruby takes options from it, `-r` libraries included"),
    ("RUBYLIB", "ruby loads libraries from it first"),
    ("NODE_OPTIONS", "node takes options from it, `--require` included"),
    ("NODE_PATH", "node resolves modules from it"),
    ("JAVA_TOOL_OPTIONS", "the JVM takes options from it, `-javaagent` included"),
    ("_JAVA_OPTIONS", "the JVM takes options from it, `-javaagent` included"),
    // The C library: character-set conversion modules are shared objects.
    ("GCONV_PATH", "glibc loads conversion modules (code) from it"),
    // Which program runs, and where its own files are.
    ("PATH", "it decides which program every command name runs"),
    ("HOME", "the home is where the bundle's files are written; moving it points programs at other files"),
];

/// Prefixes of families of names, each with why.
const PREFIXES: &[(&str, &str)] = &[
    ("LD_", "the dynamic loader reads it (LD_PRELOAD and LD_LIBRARY_PATH load code into every program)"),
    ("DYLD_", "the macOS dynamic loader reads it (DYLD_INSERT_LIBRARIES loads code into every program)"),
    ("BASH_FUNC_", "bash imports it as a shell function that replaces a command"),
];

/// Why a variable is refused, or `None` when a bundle may set it. Names
/// are case-sensitive, as the programs reading them are.
pub fn why_dangerous(name: &str) -> Option<&'static str> {
    if let Some((_, why)) = NAMES.iter().find(|(known, _)| *known == name) {
        return Some(why);
    }
    if let Some((_, why)) = PREFIXES.iter().find(|(prefix, _)| name.starts_with(prefix)) {
        return Some(why);
    }
    // How bash exports functions (`BASH_FUNC_name%%`); no other name has it.
    name.contains("%%").then_some("bash imports it as a shell function that replaces a command")
}

/// The variables of a bundle that were refused, in the bundle's order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the bundle sets {}", variables.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(", "))]
pub struct DangerousEnv {
    /// Each refused name and why it is refused.
    pub variables: Vec<(String, &'static str)>,
}

/// Refuses `names` (a bundle's variable names) when any is dangerous and
/// not in `allowed`, the names the operator accepted.
pub fn refuse_dangerous_env<'a>(
    names: impl IntoIterator<Item = &'a str>,
    allowed: &[String],
) -> Result<(), DangerousEnv> {
    let variables: Vec<(String, &'static str)> = names
        .into_iter()
        .filter(|name| !allowed.iter().any(|ok| ok == name))
        .filter_map(|name| why_dangerous(name).map(|why| (name.to_owned(), why)))
        .collect();
    if variables.is_empty() { Ok(()) } else { Err(DangerousEnv { variables }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_shell_and_interpreter_variables_are_dangerous() {
        let dangerous = "LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT DYLD_INSERT_LIBRARIES BASH_ENV ENV BASH_FUNC_ls%% \
            BASH_FUNC_x ls%% SHELLOPTS BASHOPTS PS4 PROMPT_COMMAND IFS CDPATH GLOBIGNORE PYTHONSTARTUP \
            PYTHONPATH PYTHONHOME PYTHONINSPECT PERL5OPT PERL5LIB PERLLIB RUBYOPT RUBYLIB NODE_OPTIONS \
            NODE_PATH JAVA_TOOL_OPTIONS _JAVA_OPTIONS GCONV_PATH PATH HOME";
        for name in dangerous.split_whitespace() {
            assert!(why_dangerous(name).is_some(), "{name}");
        }
        let harmless =
            ["DB_HOST", "PGPASSWORD", "ENVIRONMENT", "MY_PATH", "HOMEDIR", "ld_preload", "LD", "PS1"];
        for name in harmless {
            assert_eq!(why_dangerous(name), None, "{name}");
        }
    }

    #[test]
    fn every_refused_name_is_reported_unless_allowed() {
        let names = ["DB_HOST", "BASH_ENV", "LD_PRELOAD"];
        let refused = refuse_dangerous_env(names, &[]).unwrap_err();
        let refused_names: Vec<&str> = refused.variables.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(refused_names, ["BASH_ENV", "LD_PRELOAD"]);
        assert_eq!(refused.to_string(), "the bundle sets BASH_ENV, LD_PRELOAD");
        let only_preload = refuse_dangerous_env(names, &["BASH_ENV".to_owned()]).unwrap_err();
        assert_eq!(only_preload.variables.len(), 1);
        assert_eq!(refuse_dangerous_env(names, &["BASH_ENV".to_owned(), "LD_PRELOAD".to_owned()]), Ok(()));
        assert_eq!(refuse_dangerous_env(["DB_HOST"], &[]), Ok(()));
    }
}
