//! The one place `run` and workers refuse a bundle that sets a dangerous
//! variable (`patchbay_runner::dangerous_env` has the list and why), with
//! the integration that set each, so the operator knows what to fix.
use patchbay_runner::refuse_dangerous_env;

/// A bundle refused for its variables; the message is the whole story.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(String);

/// Refuses `names` (the bundle's variable names, in its order) unless every
/// dangerous one is in `allowed`. `set_by` says which integration(s) set a
/// name; it is asked only about refused names.
pub fn refuse<'a>(
    names: impl IntoIterator<Item = &'a str>,
    allowed: &[String],
    set_by: &mut dyn FnMut(&str) -> String,
) -> Result<(), Refused> {
    let Err(refused) = refuse_dangerous_env(names, allowed) else { return Ok(()) };
    let lines: Vec<String> = refused
        .variables
        .iter()
        .map(|(name, why)| format!("  {name}, set by {}: {why}", set_by(name)))
        .collect();
    Err(Refused(format!(
        "refusing the bundle: it sets variables that could run code as this user:\n{}\n\
         Nothing was run. To accept one, pass --allow-env NAME.",
        lines.join("\n")
    )))
}

#[cfg(test)]
mod tests {
    use super::refuse;

    #[test]
    fn the_message_names_each_variable_and_who_set_it() {
        let mut set_by = |name: &str| format!("integration \"{}\"", name.to_lowercase());
        let names = ["DB_HOST", "BASH_ENV", "LD_PRELOAD"];
        let message = refuse(names, &[], &mut set_by).unwrap_err().to_string();
        assert!(message.contains("  BASH_ENV, set by integration \"bash_env\": bash sources"), "{message}");
        assert!(message.contains("  LD_PRELOAD, set by integration \"ld_preload\": "), "{message}");
        assert!(!message.contains("DB_HOST"), "{message}");
        let allowed = ["BASH_ENV".to_owned(), "LD_PRELOAD".to_owned()];
        assert!(refuse(names, &allowed, &mut set_by).is_ok());
    }
}
