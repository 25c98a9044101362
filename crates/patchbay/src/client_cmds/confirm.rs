//! Asking before what cannot be undone. Only a person at a terminal is
//! asked: in a pipe or a script nobody could answer, so the command goes
//! on as it always has (scripts keep working; `--yes` skips the question
//! at a terminal too).
use anyhow::{Context, bail};
use std::io::{BufRead, IsTerminal, Write};

/// Returns when the user agreed (or cannot be asked); an error otherwise.
pub fn confirm(question: &str, yes: bool) -> anyhow::Result<()> {
    if yes || !std::io::stdin().is_terminal() {
        return Ok(());
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).context("reading the answer")?;
    if matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        bail!("cancelled: nothing was deleted (pass --yes to skip this question)")
    }
}
