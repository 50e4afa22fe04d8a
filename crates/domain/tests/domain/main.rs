//! Integration tests of vigil-domain: the law data, the rules (one test per provision, named
//! after it, stating the citation it expects), properties, and the examples.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod classify_eval;
mod due_diligence;
mod examples;
mod fdi;
mod law_data;
mod licences;
mod properties;
mod rules;
mod spdx;
mod support;
