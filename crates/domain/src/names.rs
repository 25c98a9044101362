//! Newtypes for the config values Patchbay is stricter about than the
//! reference ("stricter validation" in the README's compatibility section): each `parse` is the only
//! way to make one, so a stored config can never hold a value that would
//! break resolution or materialization later.
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused. `Pattern` maps to Pydantic's
/// `string_pattern_mismatch`, `Range` to `greater_than_equal` /
/// `less_than_equal`, `Invalid` to `value_error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("String should match pattern '{pattern}'")]
    Pattern { pattern: &'static str },
    #[error("Input should be greater than or equal to {min}")]
    TooSmall { min: i64 },
    #[error("Input should be less than or equal to {max}")]
    TooLarge { max: i64 },
    #[error("{0}")]
    Invalid(&'static str),
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(value: String) -> Result<Self, ParseError> {
                Self::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

/// A POSIX environment variable name, `[A-Za-z_][A-Za-z0-9_]*`: env vars and
/// injected secrets become real environment variables, and a name a shell
/// cannot export would silently vanish at run time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvVarName(String);

impl EnvVarName {
    pub const PATTERN: &'static str = "^[A-Za-z_][A-Za-z0-9_]*$";

    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let mut chars = value.chars();
        let valid_start = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if valid_start && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            Ok(Self(value.to_owned()))
        } else {
            Err(ParseError::Pattern { pattern: Self::PATTERN })
        }
    }
}
string_newtype!(EnvVarName);

/// A Unix permission mode written in octal, `0` to `7777` (e.g. `"0600"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileMode(String);

impl FileMode {
    pub const PATTERN: &'static str = "^[0-7]{1,4}$";

    pub fn parse(value: &str) -> Result<Self, ParseError> {
        if (1..=4).contains(&value.len()) && value.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            Ok(Self(value.to_owned()))
        } else {
            Err(ParseError::Pattern { pattern: Self::PATTERN })
        }
    }

    /// The permission bits the string stands for.
    pub fn bits(&self) -> u32 {
        u32::from_str_radix(&self.0, 8).expect("parse admits only octal digits")
    }
}
string_newtype!(FileMode);

/// Where a file goes in the agent's workspace. Non-empty, no NUL, and no `..`
/// component, so no path can climb out of the home it is written into.
/// Absolute paths are kept (the reference accepts them); they are refused
/// when files are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FilePath(String);

impl FilePath {
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        if value.is_empty() {
            return Err(ParseError::Invalid("file path must not be empty"));
        }
        if value.contains('\0') {
            return Err(ParseError::Invalid("file path must not contain a NUL character"));
        }
        if value.split(['/', '\\']).any(|component| component == "..") {
            return Err(ParseError::Invalid("file path must not contain a '..' component"));
        }
        Ok(Self(value.to_owned()))
    }
}
string_newtype!(FilePath);

/// A connection test's timeout in seconds, 1 to 300: a zero timeout could
/// never pass and an unbounded one would hold a worker forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct TestTimeout(u16);

impl TestTimeout {
    pub const MIN: i64 = 1;
    pub const MAX: i64 = 300;

    pub fn parse(seconds: i64) -> Result<Self, ParseError> {
        if seconds < Self::MIN {
            Err(ParseError::TooSmall { min: Self::MIN })
        } else if seconds > Self::MAX {
            Err(ParseError::TooLarge { max: Self::MAX })
        } else {
            Ok(Self(seconds as u16))
        }
    }

    pub fn seconds(self) -> u16 {
        self.0
    }
}

impl TryFrom<i64> for TestTimeout {
    type Error = ParseError;
    fn try_from(value: i64) -> Result<Self, ParseError> {
        Self::parse(value)
    }
}

impl From<TestTimeout> for i64 {
    fn from(value: TestTimeout) -> i64 {
        i64::from(value.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_var_names_are_posix() {
        for ok in ["A", "_", "DB_HOST", "a1", "_9"] {
            assert!(EnvVarName::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1A", "DB-HOST", "A B", "É", "A=B", "A.B"] {
            assert!(EnvVarName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn modes_are_octal_up_to_four_digits() {
        assert_eq!(FileMode::parse("0600").unwrap().bits(), 0o600);
        assert_eq!(FileMode::parse("7777").unwrap().bits(), 0o7777);
        assert_eq!(FileMode::parse("0").unwrap().bits(), 0);
        for bad in ["", "0800", "12345", "rw-", "0x1", " 644", "-1"] {
            assert!(FileMode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_cannot_climb_or_hide_nul() {
        for ok in ["~/.pgpass", "/etc/x", "a/b..c", "..x/y", "./a"] {
            assert!(FilePath::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "..", "../x", "a/../b", "a/..", "a\0b", "a\\..\\b"] {
            assert!(FilePath::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn timeouts_are_bounded() {
        assert_eq!(TestTimeout::parse(1).unwrap().seconds(), 1);
        assert_eq!(TestTimeout::parse(300).unwrap().seconds(), 300);
        assert_eq!(TestTimeout::parse(0), Err(ParseError::TooSmall { min: 1 }));
        assert_eq!(TestTimeout::parse(301), Err(ParseError::TooLarge { max: 300 }));
    }
}
