//! A load-time error, in the shape of the WIT `load-error`.

/// Why a script did not load, and where in it (1-based), when the error is in the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl LoadError {
    /// An error that is not in the script (the settings).
    pub fn settings(message: impl Into<String>) -> Self {
        LoadError {
            message: message.into(),
            line: None,
            column: None,
        }
    }

    pub fn at(message: impl Into<String>, line: u32, column: u32) -> Self {
        LoadError {
            message: message.into(),
            line: Some(line),
            column: Some(column),
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "{line}:{column}: {}", self.message),
            (Some(line), None) => write!(f, "{line}: {}", self.message),
            _ => write!(f, "{}", self.message),
        }
    }
}
