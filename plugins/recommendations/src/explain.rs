//! Why a recommendation says what it says.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The reasons behind a result, one sentence a line, each with the figures it used so a user can
/// check the arithmetic. Serialised as a list of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Explanation(Vec<String>);

impl Explanation {
    pub(crate) fn push(&mut self, line: impl Into<String>) {
        self.0.push(line.into());
    }

    /// The lines, in the order the reasoning went.
    pub fn lines(&self) -> &[String] {
        &self.0
    }

    /// Whether any line contains `text` (tests and the glue look for figures this way).
    pub fn mentions(&self, text: &str) -> bool {
        self.0.iter().any(|l| l.contains(text))
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.0 {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}
