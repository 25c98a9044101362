//! `patchbay env`: the bundle's environment in a form another tool reads.
//!
//! - `json`: one object, in the bundle's order.
//! - `dotenv`: `KEY="value"` lines. Inside the double quotes `\` is written
//!   `\\`, `"` is `\"`, `$` is `\$` (so no loader expands it), a newline is
//!   `\n` and a carriage return `\r`; nothing else is escaped.
//! - `shell`: `export KEY='value'` lines for `eval`. Single quotes make every
//!   character literal, newlines included; a `'` is written `'\''` (close the
//!   quote, an escaped quote, reopen).
use crate::bundle;
use crate::cli::{EnvArgs, EnvFormat};
use anyhow::bail;

pub fn print(args: EnvArgs) -> anyhow::Result<()> {
    let bundle = bundle::fetch(&args.client, &args.integrations)?;
    let files = bundle::files_to_write(&bundle)?;
    match &args.home {
        Some(dir) => {
            let home = crate::run::home_dir(dir)?;
            crate::run::write_files(&home, &files, args.overwrite)?;
            if !files.is_empty() {
                eprintln!(
                    "Wrote {} under {home}; set HOME={home} for the programs that read them",
                    files_list(&bundle),
                    home = home.display()
                );
            }
        }
        // The variables alone may not be enough (a client reading ~/.pgpass):
        // say so rather than let the user find out from a failing program.
        None if !files.is_empty() => eprintln!(
            "note: the integrations also have files this did not write ({}); pass --home DIR to write them",
            files_list(&bundle)
        ),
        None => {}
    }
    let pairs: Vec<(&str, &str)> = bundle.env_vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let text = match args.format {
        EnvFormat::Json => serde_json::to_string_pretty(&bundle.env_vars)? + "\n",
        EnvFormat::Dotenv => render(&pairs, dotenv_line)?,
        EnvFormat::Shell => render(&pairs, shell_line)?,
    };
    print!("{text}");
    Ok(())
}

fn files_list(bundle: &patchbay_api_types::BundleResponse) -> String {
    bundle.files.iter().map(|file| file.path.as_str()).collect::<Vec<_>>().join(", ")
}

fn render(pairs: &[(&str, &str)], line: fn(&str, &str) -> String) -> anyhow::Result<String> {
    let mut text = String::new();
    for (key, value) in pairs {
        // A name is spliced in unquoted: only identifiers are safe there. The
        // server admits no other names; this guards against one that would.
        if !is_identifier(key) {
            bail!("the bundle's variable name {key:?} is not a valid environment variable name");
        }
        text.push_str(&line(key, value));
        text.push('\n');
    }
    Ok(text)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn dotenv_line(key: &str, value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '$' => escaped.push_str("\\$"),
            // A shell that sources the file runs `...` inside double quotes.
            '`' => escaped.push_str("\\`"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            other => escaped.push(other),
        }
    }
    format!("{key}=\"{escaped}\"")
}

fn shell_line(key: &str, value: &str) -> String {
    format!("export {key}='{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_escapes_what_a_loader_would_interpret() {
        assert_eq!(dotenv_line("A", "plain"), r#"A="plain""#);
        assert_eq!(dotenv_line("A", "a\\b\"c$d\ne\rf'g"), r#"A="a\\b\"c\$d\ne\rf'g""#);
    }

    #[test]
    fn a_sourced_dotenv_file_runs_nothing_and_keeps_the_value() {
        let value = "a`touch pwned`b$(touch pwned)c\"d\\e'f $HOME";
        let dir = std::env::temp_dir().join(format!("patchbay-dotenv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("env");
        std::fs::write(&file, dotenv_line("A", value) + "\n").unwrap();
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg("set -a; . ./env; printf %s \"$A\"")
            .current_dir(&dir)
            .output()
            .unwrap();
        let pwned = dir.join("pwned").exists();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!pwned, "sourcing the file ran a command");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), value);
    }

    #[test]
    fn shell_quotes_everything_literally() {
        assert_eq!(shell_line("A", "it's $HOME\n`x`"), "export A='it'\\''s $HOME\n`x`'");
    }

    #[test]
    fn only_identifiers_are_printed_as_names() {
        assert!(render(&[("OK_1", "v")], shell_line).is_ok());
        for bad in ["", "1A", "A-B", "A;rm", "A B"] {
            assert!(render(&[(bad, "v")], shell_line).is_err(), "{bad:?}");
        }
    }
}
