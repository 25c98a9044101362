//! A Redis role's ACL rules: split into `ACL SETUSER` arguments, refusing
//! those that would set the user's password or flags, which the server
//! sets itself (`reset on >password`).
use std::fmt;

/// Words refused whole (case-insensitively, as Redis reads them).
const REFUSED_WORDS: [&str; 5] = ["nopass", "resetpass", "on", "off", "reset"];
/// Rule prefixes refused: passwords and password hashes, added or removed.
const REFUSED_PREFIXES: [char; 4] = ['>', '<', '#', '!'];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RuleError {
    Empty,
    /// The rule's position among the arguments and why; the rule itself is
    /// quoted only when it is not a password.
    Refused {
        position: usize,
        reason: String,
    },
    UnbalancedSelector,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("redis roles need ACL rules, such as `~app:* +@read`"),
            Self::Refused { position, reason } => write!(f, "rule {position}: {reason}"),
            Self::UnbalancedSelector => f.write_str("a selector's `(` is not closed by `)`"),
        }
    }
}

/// The rules as `ACL SETUSER` arguments: split on whitespace, a selector
/// `( ... )` kept as one argument.
pub(crate) fn split_rules(rules: &str) -> Result<Vec<String>, Vec<RuleError>> {
    let mut arguments: Vec<String> = Vec::new();
    let mut selector: Option<String> = None;
    for word in rules.split_whitespace() {
        match selector.as_mut() {
            Some(open) => {
                open.push(' ');
                open.push_str(word);
            }
            None if word.starts_with('(') => selector = Some(word.to_owned()),
            None => arguments.push(word.to_owned()),
        }
        if selector.as_ref().is_some_and(|open| open.ends_with(')')) {
            arguments.extend(selector.take());
        }
    }
    let mut errors = Vec::new();
    if selector.is_some() {
        errors.push(RuleError::UnbalancedSelector);
    }
    if arguments.is_empty() && errors.is_empty() {
        errors.push(RuleError::Empty);
    }
    for (position, argument) in arguments.iter().enumerate() {
        let inner = argument.strip_prefix('(').and_then(|a| a.strip_suffix(')')).unwrap_or(argument);
        for rule in inner.split_whitespace() {
            if let Some(reason) = refusal(rule) {
                errors.push(RuleError::Refused { position, reason });
            }
        }
    }
    if errors.is_empty() { Ok(arguments) } else { Err(errors) }
}

fn refusal(rule: &str) -> Option<String> {
    if let Some(prefix) = REFUSED_PREFIXES.into_iter().find(|p| rule.starts_with(*p)) {
        return Some(format!(
            "a rule starting with `{prefix}` sets or removes a password; the server sets the user's password itself"
        ));
    }
    REFUSED_WORDS.into_iter().find(|word| rule.eq_ignore_ascii_case(word)).map(|word| {
        format!("`{word}` is refused: the server resets the user and sets its password and `on` itself")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_split_on_whitespace_with_selectors_whole() {
        let arguments = split_rules("  ~app:*\t+get  +set\n(~cache:* +@read) -@dangerous").unwrap();
        assert_eq!(arguments, ["~app:*", "+get", "+set", "(~cache:* +@read)", "-@dangerous"]);
    }

    #[test]
    fn empty_rules_are_refused() {
        assert_eq!(split_rules(" \n "), Err(vec![RuleError::Empty]));
    }

    #[test]
    fn password_rules_and_flags_are_refused_without_quoting_passwords() {
        let errors = split_rules("~a >hunter2 <old #abc !def nopass ResetPass ON off reset").unwrap_err();
        assert_eq!(errors.len(), 9);
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text[0].starts_with("rule 1: a rule starting with `>`"), "{}", text[0]);
        assert!(text.iter().all(|t| !t.contains("hunter2") && !t.contains("old")));
        assert!(text[5].contains("`resetpass` is refused"), "{}", text[5]);
        assert!(text[6].contains("`on` is refused"));
    }

    #[test]
    fn selectors_cannot_hide_refused_rules_or_stay_open() {
        let errors = split_rules("+get (~a nopass)").unwrap_err();
        assert!(matches!(&errors[..], [RuleError::Refused { position: 1, .. }]), "{errors:?}");
        assert_eq!(split_rules("+get (~a +get"), Err(vec![RuleError::UnbalancedSelector]));
    }
}
