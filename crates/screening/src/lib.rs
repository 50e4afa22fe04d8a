//! Party screening against sanctions lists: a pure library.
//!
//! **What this crate owns**
//! - parsing the official list formats into typed [`ListEntry`] values ([`loaders`]: UN, EU FSF
//!   XML and CSV, OFAC XML and legacy CSV, UK OFSI CSV, BIS Denied Persons, FollowTheMoney JSON
//!   lines, and a plain CSV with a column mapping), with list metadata and a content hash;
//! - name normalisation ([`normalise`], [`translit`]) with its vocabularies in `data/*.txt`;
//! - the candidate index ([`index`]) and the token-by-token scorer ([`score`]);
//! - explanations of every hit ([`explain`]) and the documented alert threshold
//!   ([`score::ALERT_THRESHOLD`]);
//! - quality measures on labelled evaluation sets ([`eval`]) and the benchmark behind
//!   `vigil bench screening` ([`mod@bench`], the one module that reads files and the clock and runs a
//!   helper process, which may fetch a peer from PyPI: it is the measurement harness, not part of
//!   screening).
//!
//! **What it must never do**
//! - depend on another Vigil crate, a database, the network or the clock;
//! - open files: loaders take bytes or `impl Read`, the caller does the IO;
//! - panic on input: every loader returns [`LoadError`] naming the record at fault.
//!
//! Pipeline: `loaders` → [`LoadedList`] → [`Index::build`] → [`Index::search`] → [`Hit`]s, each
//! with an [`Explanation`].

pub mod bench;
pub mod country;
pub mod date;
pub mod entry;
pub mod error;
pub mod eval;
pub mod explain;
pub mod index;
pub mod loaders;
pub mod normalise;
pub mod score;
mod similarity;
pub mod translit;
mod vocab;

pub use date::BirthDate;
pub use entry::{
    EntityKind, Identifier, ListEntry, ListMeta, ListName, ListSource, LoadedList, NameQuality,
};
pub use error::{LoadError, MappingError};
pub use explain::{Adjustment, Explanation, MatchKind, TokenMatch};
pub use index::{Hit, Index, NameQuery};
