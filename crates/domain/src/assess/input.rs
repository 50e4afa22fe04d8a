//! The OPERATION input of the assessment contract, and its checking against the law.
//!
//! [`OperationInput`] is what JSON deserialises into (shape only; unknown keys are rejected);
//! [`OperationInput::check`] turns it into an [`Operation`] whose countries, Annex I entries and
//! dates are known to exist, or returns every [`FieldError`] with the JSON path of the bad field.

use std::collections::BTreeSet;

use serde::Deserialize;
use time::Date;
use time::macros::format_description;

use crate::icp::licence::{QuotaUnit, amount_of};
use crate::law::{Concern, ControlCode, EndUserType, Law, OperationType, Resolution};

/// The operation facts a Union general authorisation's conditions may refer to (`required_facts`,
/// `barring_facts` in `law/annex-ii.toml`). The loader rejects any other.
pub const OPERATION_FACTS: &[&str] = &[
    "intra_group",
    "commercial_product_development",
    "exhibition",
    "repair_or_replacement",
    "original_export_authorised",
    "customs_free_zone",
    "classified_confidentiel_or_above",
    "classified_restreint_or_above",
    "original_end_user",
    "end_use_differs_from_original",
    "use_software_only",
    "installation_maintenance_technology_same_end_user",
    "published_crypto_standards",
    "reexport_outside_allowed_destinations",
    "private_demonstration",
    "commercial_transaction",
    "return_guaranteed",
];

/// A bad field of the input: where (JSON path) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// JSON path, e.g. `items[0].entries[1]`.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The input of `vigil assess` is not valid; every problem is listed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid operation: {}", .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct InputError {
    /// The problems.
    pub errors: Vec<FieldError>,
}

/// The exporter (or broker, technical-assistance provider).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExporterInput {
    /// Name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country of establishment.
    pub country: String,
}

/// Item kinds of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ItemKind {
    /// Goods.
    Hardware,
    /// Software.
    Software,
    /// Technology.
    Technology,
}

/// An item of the operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemInput {
    /// The exporter's id for the item.
    pub id: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Hardware, software or technology.
    pub kind: ItemKind,
    /// Annex I entries (empty = not listed).
    #[serde(default)]
    pub entries: Vec<String>,
    /// Is it a cyber-surveillance item (Art. 2(20))?
    #[serde(default)]
    pub cyber_surveillance: bool,
    /// For software/technology: the Annex I entries of the equipment it relates to.
    #[serde(default)]
    pub relates_to: Vec<String>,
    /// Quantity, in a unit a licence quota may limit (drawn down from the licence, Art. 12(4)).
    #[serde(default)]
    pub quantity: Option<QuantityInput>,
    /// Value in euros (at most 2 decimals).
    #[serde(default)]
    pub value_eur: Option<f64>,
}

/// A quantity of an item: `{ "amount": 12, "unit": "seats" }`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuantityInput {
    /// Amount: a whole number, not negative.
    pub amount: f64,
    /// `pieces`, `seats`, `installations`, `downloads`, `customers` or `hours` (a value in
    /// euros goes in `value_eur`).
    pub unit: QuotaUnit,
}

/// A checked quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    /// Amount.
    pub amount: i64,
    /// Unit.
    pub unit: QuotaUnit,
}

/// Party roles of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PartyRole {
    /// Consignee.
    Consignee,
    /// End user.
    EndUser,
    /// Intermediate consignee.
    IntermediateConsignee,
    /// Broker.
    Broker,
    /// Distributor.
    Distributor,
    /// Reseller.
    Reseller,
    /// Subsidiary of the exporter.
    Subsidiary,
}

impl PartyRole {
    /// The contract's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PartyRole::Consignee => "consignee",
            PartyRole::EndUser => "end_user",
            PartyRole::IntermediateConsignee => "intermediate_consignee",
            PartyRole::Broker => "broker",
            PartyRole::Distributor => "distributor",
            PartyRole::Reseller => "reseller",
            PartyRole::Subsidiary => "subsidiary",
        }
    }
}

/// A party of the operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyInput {
    /// Role.
    pub role: PartyRole,
    /// Name.
    pub name: String,
    /// ISO country.
    pub country: String,
}

/// The facts of the operation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_excessive_bools)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FactsInput {
    /// Concerns the competent authority has informed the exporter of.
    #[serde(default)]
    pub informed: Vec<Concern>,
    /// Concerns the exporter is aware of (from its due diligence).
    #[serde(default)]
    pub aware: Vec<Concern>,
    /// The consignee is a wholly owned subsidiary or sister company (EU007).
    #[serde(default)]
    pub intra_group: bool,
    /// For commercial product development only (EU007).
    #[serde(default)]
    pub commercial_product_development: bool,
    /// For an exhibition or fair (EU004).
    #[serde(default)]
    pub exhibition: bool,
    /// Days before the items come back (temporary exports).
    #[serde(default)]
    pub return_within_days: Option<u32>,
    /// Re-export after repair or replacement (EU003).
    #[serde(default)]
    pub repair_or_replacement: bool,
    /// The original export was authorised (EU003).
    #[serde(default)]
    pub original_export_authorised: bool,
    /// Destination is a free zone or free warehouse.
    #[serde(default)]
    pub customs_free_zone: bool,
    /// The items carry a classification of CONFIDENTIEL UE/EU CONFIDENTIAL or higher (EU004 bar).
    #[serde(default)]
    pub classified_confidentiel_or_above: bool,
    /// The items are classified, or accredited to handle classified information, at RESTREINT
    /// UE/EU RESTRICTED or higher (EU008 bar).
    #[serde(default)]
    pub classified_restreint_or_above: bool,
    /// EU003: the items go back to the original end user.
    #[serde(default)]
    pub original_end_user: bool,
    /// EU003: the end use differs from the original authorisation's.
    #[serde(default)]
    pub end_use_differs_from_original: bool,
    /// EU008: 5D002.a.1 software is only for the use of the items (not development/production).
    #[serde(default)]
    pub use_software_only: bool,
    /// EU005: 5E001.a technology is only what installation, operation, maintenance or repair of
    /// the items needs, for the same end user.
    #[serde(default)]
    pub installation_maintenance_technology_same_end_user: bool,
    /// The crypto uses only published commercial standards (EU008).
    #[serde(default)]
    pub published_crypto_standards: bool,
    /// The exporter knows of a re-export outside the allowed destinations.
    #[serde(default)]
    pub reexport_outside_allowed_destinations: bool,
    /// A private presentation (EU004 bar).
    #[serde(default)]
    pub private_demonstration: bool,
    /// A sale, rental or lease (EU004 bar).
    #[serde(default)]
    pub commercial_transaction: bool,
    /// Return without copying or removal can be guaranteed (EU004).
    #[serde(default)]
    pub return_guaranteed: bool,
    /// The exporter holds a global export authorisation covering the items.
    #[serde(default)]
    pub holds_global_licence: bool,
    /// Id of a sanctions exception the exporter declares (e.g. `software_updates`).
    #[serde(default)]
    pub sanctions_exception: Option<String>,
    /// Intra-EU transfer: the final destination is known to be outside the Union.
    #[serde(default)]
    pub final_destination_outside_eu: bool,
    /// The software or technology is in the public domain (GTN/GSN; Art. 8(3)(b)).
    #[serde(default)]
    pub public_domain: bool,
    /// The technology is basic scientific research (Art. 8(3)(b)).
    #[serde(default)]
    pub basic_scientific_research: bool,
    /// Technical assistance is the minimum needed for installation, operation, maintenance or
    /// repair of items whose export was authorised (Art. 8(3)(f)).
    #[serde(default)]
    pub minimum_for_authorised_items: bool,
}

/// The OPERATION of the assessment contract, as deserialised.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationInput {
    /// The exporter's reference.
    #[serde(default)]
    pub reference: Option<String>,
    /// Date of the operation, `YYYY-MM-DD` (default: today).
    #[serde(default)]
    pub date: Option<String>,
    /// Operation type.
    #[serde(rename = "type")]
    pub operation_type: OperationType,
    /// Exporter.
    pub exporter: ExporterInput,
    /// Country of destination.
    pub destination: String,
    /// Items.
    pub items: Vec<ItemInput>,
    /// Parties.
    #[serde(default)]
    pub parties: Vec<PartyInput>,
    /// Stated end use.
    #[serde(default)]
    pub end_use: String,
    /// Type of end user.
    #[serde(default)]
    pub end_user_type: Option<EndUserType>,
    /// Facts.
    #[serde(default)]
    pub facts: FactsInput,
}

/// A checked item.
#[derive(Debug, Clone)]
pub struct Item {
    /// Id.
    pub id: String,
    /// Description.
    pub description: String,
    /// Kind.
    pub kind: ItemKind,
    /// Annex I entries, resolved.
    pub entries: Vec<ControlCode>,
    /// Cyber-surveillance item.
    pub cyber_surveillance: bool,
    /// Entries of the equipment it relates to.
    pub relates_to: Vec<ControlCode>,
    /// Quantity.
    pub quantity: Option<Quantity>,
    /// Value in euro cents.
    pub value_eur_cents: Option<i64>,
}

impl Item {
    /// Listed in Annex I.
    #[must_use]
    pub fn is_listed(&self) -> bool {
        !self.entries.is_empty()
    }
}

/// A checked party.
#[derive(Debug, Clone)]
pub struct Party {
    /// Role.
    pub role: PartyRole,
    /// Name.
    pub name: String,
    /// ISO country.
    pub country: String,
}

/// A checked operation: every country and entry exists, the date is within the law loaded.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Reference.
    pub reference: Option<String>,
    /// Date the law is applied at.
    pub date: Date,
    /// Type.
    pub operation_type: OperationType,
    /// Exporter name.
    pub exporter_name: String,
    /// Exporter country.
    pub exporter_country: String,
    /// Destination.
    pub destination: String,
    /// Items.
    pub items: Vec<Item>,
    /// Parties.
    pub parties: Vec<Party>,
    /// End use.
    pub end_use: String,
    /// End-user type.
    pub end_user_type: Option<EndUserType>,
    /// Concerns the authority informed of.
    pub informed: BTreeSet<Concern>,
    /// Concerns the exporter is aware of.
    pub aware: BTreeSet<Concern>,
    /// Facts.
    pub facts: FactsInput,
}

impl Operation {
    /// Concerns informed of or aware of.
    #[must_use]
    pub fn all_concerns(&self) -> BTreeSet<Concern> {
        self.informed.union(&self.aware).copied().collect()
    }

    /// A boolean operation fact by name (see [`OPERATION_FACTS`]).
    #[must_use]
    pub fn fact(&self, name: &str) -> bool {
        let f = &self.facts;
        match name {
            "intra_group" => f.intra_group,
            "commercial_product_development" => f.commercial_product_development,
            "exhibition" => f.exhibition,
            "repair_or_replacement" => f.repair_or_replacement,
            "original_export_authorised" => f.original_export_authorised,
            "customs_free_zone" => f.customs_free_zone,
            "classified_confidentiel_or_above" => f.classified_confidentiel_or_above,
            "classified_restreint_or_above" => f.classified_restreint_or_above,
            "original_end_user" => f.original_end_user,
            "end_use_differs_from_original" => f.end_use_differs_from_original,
            "use_software_only" => f.use_software_only,
            "installation_maintenance_technology_same_end_user" => {
                f.installation_maintenance_technology_same_end_user
            }
            "published_crypto_standards" => f.published_crypto_standards,
            "reexport_outside_allowed_destinations" => f.reexport_outside_allowed_destinations,
            "private_demonstration" => f.private_demonstration,
            "commercial_transaction" => f.commercial_transaction,
            "return_guaranteed" => f.return_guaranteed,
            _ => false,
        }
    }
}

/// Parses JSON text into `T`, reporting the JSON path of a bad field (`(root)` for the document).
///
/// # Errors
/// [`InputError`] naming the path and what was expected.
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, InputError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        InputError {
            errors: vec![FieldError {
                path: if path == "." {
                    "(root)".to_owned()
                } else {
                    path
                },
                message: e.into_inner().to_string(),
            }],
        }
    })
}

/// Parses a `YYYY-MM-DD` date.
///
/// # Errors
/// A message saying what was expected.
pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("`{s}` is not a date (expected YYYY-MM-DD, e.g. 2026-03-01)"))
}

struct Checker<'a> {
    law: &'a Law,
    errors: Vec<FieldError>,
}

impl Checker<'_> {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            path: path.into(),
            message: message.into(),
        });
    }

    fn country(&mut self, path: &str, code: &str) -> String {
        let up = code.trim().to_ascii_uppercase();
        if self.law.country(&up).is_none() {
            self.err(path, format!("unknown country code `{code}` (expected an ISO 3166-1 alpha-2 code such as FR, US, CN)"));
        }
        up
    }

    fn entry(&mut self, path: &str, text: &str) -> Option<ControlCode> {
        let code = match ControlCode::parse(text) {
            Ok(c) => c,
            Err(e) => {
                let near = self.law.nearest_codes(text.trim(), 3);
                self.err(path, format!("{e}; nearest entries: {}", near.join(", ")));
                return None;
            }
        };
        match self.law.resolve(&code) {
            Resolution::Exact(_) | Resolution::Within(_) => Some(code),
            Resolution::Unknown(near) => {
                self.err(
                    path,
                    format!(
                        "unknown Annex I entry `{code}`; nearest entries: {}",
                        near.join(", ")
                    ),
                );
                None
            }
        }
    }
}

impl OperationInput {
    /// Checks the input against the law; `today` is used when no date is given.
    ///
    /// # Errors
    /// [`InputError`] with every bad field.
    pub fn check(self, law: &Law, today: Date) -> Result<Operation, InputError> {
        let mut c = Checker {
            law,
            errors: Vec::new(),
        };
        let date = match &self.date {
            None => today,
            Some(s) => match parse_date(s) {
                Ok(d) => d,
                Err(m) => {
                    c.err("date", m);
                    today
                }
            },
        };
        if date < law.earliest_date() {
            c.err(
                "date",
                format!(
                    "{date} is before the earliest law version loaded (Annex I as replaced by Delegated Regulation (EU) 2025/2003, in force from {}); Vigil cannot assess it",
                    law.earliest_date()
                ),
            );
        }
        let exporter_country = c.country("exporter.country", &self.exporter.country);
        if self.exporter.name.trim().is_empty() {
            c.err("exporter.name", "empty (expected the exporter's name)");
        }
        let destination = c.country("destination", &self.destination);
        let t = self.operation_type;
        let dest_in_eu = law.in_group("eu", &destination);
        let exporter_in_eu = law.in_group("eu", &exporter_country);
        if t.is_export() && law.country(&destination).is_some() && dest_in_eu {
            c.err("destination", format!("{destination} is an EU Member State: an {} leaves the customs territory of the Union; use type `intra_eu_transfer` for transfers within the Union", t.as_str()));
        }
        if matches!(t, OperationType::Transit | OperationType::Brokering)
            && law.country(&destination).is_some()
            && dest_in_eu
        {
            c.err(
                "destination",
                format!(
                    "{destination} is an EU Member State; {} concerns items going to a destination outside the Union",
                    t.as_str()
                ),
            );
        }
        if t == OperationType::IntraEuTransfer && law.country(&destination).is_some() {
            if !dest_in_eu {
                c.err("destination", format!("{destination} is not an EU Member State; an intra_eu_transfer goes to another Member State"));
            } else if destination == exporter_country {
                c.err("destination", format!("an intra_eu_transfer goes to another Member State, but exporter and destination are both {destination}"));
            }
        }
        if t != OperationType::Transit
            && law.country(&exporter_country).is_some()
            && !exporter_in_eu
        {
            c.err("exporter.country", format!("{exporter_country} is not an EU Member State; Regulation (EU) 2021/821 applies to exporters, brokers and providers established in the Union (use type `transit` for non-Union items passing through)"));
        }
        if self.items.is_empty() {
            c.err("items", "empty (expected at least one item)");
        }
        let mut items = Vec::new();
        let mut ids = BTreeSet::new();
        for (i, it) in self.items.iter().enumerate() {
            if it.id.trim().is_empty() {
                c.err(format!("items[{i}].id"), "empty (expected the item's id)");
            } else if !ids.insert(it.id.clone()) {
                c.err(
                    format!("items[{i}].id"),
                    format!("duplicate item id `{}`", it.id),
                );
            }
            let mut entries = Vec::new();
            for (j, e) in it.entries.iter().enumerate() {
                if let Some(code) = c.entry(&format!("items[{i}].entries[{j}]"), e)
                    && !entries.contains(&code)
                {
                    entries.push(code);
                }
            }
            let mut relates_to = Vec::new();
            for (j, e) in it.relates_to.iter().enumerate() {
                if let Some(code) = c.entry(&format!("items[{i}].relates_to[{j}]"), e) {
                    relates_to.push(code);
                }
            }
            let mut quantity = None;
            if let Some(q) = it.quantity {
                if q.unit == QuotaUnit::Eur {
                    c.err(
                        format!("items[{i}].quantity.unit"),
                        "a value in euros goes in `value_eur`; quantity units are pieces, seats, installations, downloads, customers or hours",
                    );
                } else {
                    match amount_of(q.unit, q.amount) {
                        Ok(amount) => {
                            quantity = Some(Quantity {
                                amount,
                                unit: q.unit,
                            })
                        }
                        Err(m) => c.err(format!("items[{i}].quantity.amount"), m),
                    }
                }
            }
            let mut value_eur_cents = None;
            if let Some(v) = it.value_eur {
                match amount_of(QuotaUnit::Eur, v) {
                    Ok(cents) => value_eur_cents = Some(cents),
                    Err(m) => c.err(format!("items[{i}].value_eur"), m),
                }
            }
            items.push(Item {
                id: it.id.clone(),
                description: it.description.clone(),
                kind: it.kind,
                entries,
                cyber_surveillance: it.cyber_surveillance,
                relates_to,
                quantity,
                value_eur_cents,
            });
        }
        let mut parties = Vec::new();
        for (i, p) in self.parties.iter().enumerate() {
            let country = c.country(&format!("parties[{i}].country"), &p.country);
            if p.name.trim().is_empty() {
                c.err(
                    format!("parties[{i}].name"),
                    "empty (expected the party's name)",
                );
            }
            parties.push(Party {
                role: p.role,
                name: p.name.clone(),
                country,
            });
        }
        if let Some(days) = self.facts.return_within_days
            && days == 0
        {
            c.err("facts.return_within_days", "must be at least 1 day");
        }
        if let Some(ex) = &self.facts.sanctions_exception {
            let known: Vec<&str> = law
                .regimes()
                .iter()
                .flat_map(|r| r.exceptions.iter().map(|e| e.id.as_str()))
                .collect();
            if !known.contains(&ex.as_str()) {
                let mut list = known.clone();
                list.sort_unstable();
                list.dedup();
                c.err(
                    "facts.sanctions_exception",
                    format!(
                        "unknown exception `{ex}` (expected one of: {})",
                        list.join(", ")
                    ),
                );
            }
        }
        if !c.errors.is_empty() {
            return Err(InputError { errors: c.errors });
        }
        Ok(Operation {
            reference: self.reference,
            date,
            operation_type: t,
            exporter_name: self.exporter.name,
            exporter_country,
            destination,
            items,
            parties,
            end_use: self.end_use,
            end_user_type: self.end_user_type,
            informed: self.facts.informed.iter().copied().collect(),
            aware: self.facts.aware.iter().copied().collect(),
            facts: self.facts,
        })
    }
}
