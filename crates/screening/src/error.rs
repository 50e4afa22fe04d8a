//! Errors of the list loaders.
//!
//! Every error names the record (entry id or 1-based line) where parsing failed, so that an officer
//! importing a damaged file can find the spot without a debugger.

use thiserror::Error;

/// A list file could not be loaded. Nothing partial is returned: a loader either yields the whole
/// list or this error.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Reading the input failed.
    #[error("could not read the {format} input")]
    Io {
        /// The list format being read.
        format: &'static str,
        /// The underlying IO error.
        #[source]
        source: std::io::Error,
    },
    /// The XML is not well-formed.
    #[error("{format}: malformed XML at byte {position}{}", record_suffix(.record))]
    Xml {
        /// The list format being read.
        format: &'static str,
        /// Byte offset reported by the XML reader.
        position: u64,
        /// The last record identifier seen before the error, if any.
        record: Option<String>,
        /// The XML reader's error.
        #[source]
        source: quick_xml::Error,
    },
    /// The CSV is malformed.
    #[error("{format}: malformed CSV at line {line}")]
    Csv {
        /// The list format being read.
        format: &'static str,
        /// 1-based line number.
        line: u64,
        /// The CSV reader's error.
        #[source]
        source: csv::Error,
    },
    /// A JSON line is malformed.
    #[error("{format}: malformed JSON at line {line}")]
    Json {
        /// The list format being read.
        format: &'static str,
        /// 1-based line number.
        line: u64,
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A record lacks a field the format requires.
    #[error("{format}: {record} has no {field}")]
    MissingField {
        /// The list format being read.
        format: &'static str,
        /// The record, e.g. `line 12` or `entry QDi.001`.
        record: String,
        /// The missing field.
        field: &'static str,
    },
    /// The file is not in the expected format at all (wrong root element, missing header...).
    #[error("{format}: {message}")]
    WrongFormat {
        /// The list format being read.
        format: &'static str,
        /// What was expected and what was found.
        message: String,
    },
}

fn record_suffix(record: &Option<String>) -> String {
    match record {
        Some(r) => format!(" (after record {r})"),
        None => String::new(),
    }
}

/// An error in a column mapping for the plain CSV loader.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MappingError {
    /// A mapping line is not `field = column`.
    #[error("mapping line {line}: expected `field = column`, found {found:?}")]
    Syntax {
        /// 1-based line in the mapping text.
        line: usize,
        /// The offending text.
        found: String,
    },
    /// The mapping names a field the loader does not know.
    #[error("mapping line {line}: unknown field {field:?} (known: {known})")]
    UnknownField {
        /// 1-based line in the mapping text.
        line: usize,
        /// The unknown field.
        field: String,
        /// The known fields.
        known: &'static str,
    },
    /// The mapping has no `name` column.
    #[error("mapping has no `name` column")]
    NoName,
}
