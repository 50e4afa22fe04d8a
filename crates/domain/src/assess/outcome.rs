//! The decision scale and the per-item outcome the rules build up.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::law::Cite;

/// The decisions of the contract, from least to most restrictive (the derived order is used to
/// take the most restrictive over items).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Decision {
    /// No authorisation is needed.
    NoLicenceRequired,
    /// A Union general export authorisation covers it.
    GeneralAuthorisation,
    /// The competent authority must be notified; no export until it decides.
    NotifyAuthority,
    /// An individual or global authorisation is required.
    LicenceRequired,
    /// Do not proceed until a person has reviewed the case.
    Hold,
    /// Prohibited.
    Prohibited,
}

impl Decision {
    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::NoLicenceRequired => "no_licence_required",
            Decision::GeneralAuthorisation => "general_authorisation",
            Decision::NotifyAuthority => "notify_authority",
            Decision::LicenceRequired => "licence_required",
            Decision::Hold => "hold",
            Decision::Prohibited => "prohibited",
        }
    }
}

/// The authorisation an outcome rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorisationKind {
    /// None.
    None,
    /// A Union general export authorisation (`EU001`…).
    Ugea(String),
    /// Individual authorisation.
    Individual,
    /// Global authorisation.
    Global,
}

impl AuthorisationKind {
    /// The contract's name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            AuthorisationKind::None => "none",
            AuthorisationKind::Ugea(id) => id,
            AuthorisationKind::Individual => "individual",
            AuthorisationKind::Global => "global",
        }
    }
}

/// What the rules found for one item.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub decision: Decision,
    pub kind: AuthorisationKind,
    pub conditions: Vec<String>,
    pub cites: BTreeSet<Cite>,
    pub reasons: Vec<String>,
    /// Conditions that replace all others when the item ends up prohibited.
    pub prohibitions: Vec<String>,
}

impl Outcome {
    pub fn new() -> Outcome {
        Outcome {
            decision: Decision::NoLicenceRequired,
            kind: AuthorisationKind::None,
            conditions: Vec::new(),
            cites: BTreeSet::new(),
            reasons: Vec::new(),
            prohibitions: Vec::new(),
        }
    }

    /// Raises the decision to `d` if it is more restrictive; the authorisation kind follows the
    /// decision that prevails.
    pub fn raise(&mut self, d: Decision, kind: AuthorisationKind) {
        if d > self.decision {
            self.decision = d;
            self.kind = kind;
        } else if d == self.decision && self.kind == AuthorisationKind::None {
            self.kind = kind;
        }
    }

    pub fn cite(&mut self, c: Cite) {
        self.cites.insert(c);
    }

    pub fn reason(&mut self, r: impl Into<String>) {
        let r = r.into();
        if !self.reasons.contains(&r) {
            self.reasons.push(r);
        }
    }

    /// Prohibits the item, with what the exporter must (not) do instead.
    pub fn prohibit(&mut self, instead: impl Into<String>) {
        self.raise(Decision::Prohibited, AuthorisationKind::None);
        let c = instead.into();
        if !self.prohibitions.contains(&c) {
            self.prohibitions.push(c);
        }
    }

    /// The conditions that apply to the final decision: a prohibited item carries only what the
    /// prohibition says (no licence application, no general authorisation duties).
    pub fn final_conditions(&self) -> &[String] {
        if self.decision == Decision::Prohibited && !self.prohibitions.is_empty() {
            &self.prohibitions
        } else {
            &self.conditions
        }
    }

    pub fn condition(&mut self, c: impl Into<String>) {
        let c = c.into();
        if !self.conditions.contains(&c) {
            self.conditions.push(c);
        }
    }
}
