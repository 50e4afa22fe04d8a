//! Helpers: the embedded law, and operations built from JSON.

use std::sync::LazyLock;

use serde_json::{Value, json};
use time::macros::date;
use vigil_domain::{Assessment, Law, assess_json};

pub static LAW: LazyLock<Law> = LazyLock::new(|| Law::embedded().expect("embedded law loads"));

/// A minimal valid export of one non-listed software item from France to the US.
pub fn base() -> Value {
    json!({
        "reference": "T-1",
        "date": "2026-03-01",
        "type": "export",
        "exporter": {"name": "Exporter SAS", "country": "FR"},
        "destination": "US",
        "items": [{"id": "I1", "description": "test item", "kind": "software", "entries": [], "cyber_surveillance": false}],
        "parties": [{"role": "end_user", "name": "End User Inc", "country": "US"}],
        "end_use": "Protecting the customer's own network",
        "end_user_type": "commercial",
        "facts": {}
    })
}

/// `base()` with `f` applied.
pub fn op(f: impl FnOnce(&mut Value)) -> Value {
    let mut v = base();
    f(&mut v);
    v
}

/// Assesses a JSON operation; panics on input errors.
pub fn run(v: &Value) -> Assessment {
    assess_json(&LAW, &v.to_string(), date!(2026 - 06 - 01))
        .unwrap_or_else(|e| panic!("{e}\n{v:#}"))
}

/// True when the assessment cites `provision` of the act whose short name contains `act`.
pub fn cites(a: &Assessment, act: &str, provision: &str) -> bool {
    a.citations
        .iter()
        .any(|c| c.act.contains(act) && c.provision == provision)
}

/// Asserts the citation is present, with a readable failure.
#[track_caller]
pub fn assert_cites(a: &Assessment, act: &str, provision: &str) {
    assert!(
        cites(a, act, provision),
        "expected citation {act} {provision}; got {:?}",
        a.citations
            .iter()
            .map(|c| format!("{} {}", c.act, c.provision))
            .collect::<Vec<_>>()
    );
}
