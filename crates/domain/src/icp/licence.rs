//! Individual and global export authorisations (Art. 12(1)(a)–(b) of Regulation (EU) 2021/821):
//! their terms, the validation of those terms, and the draw-down of one operation against them.
//!
//! - [`LicenceTermsInput::check`] validates what a user typed (form or API) against the law:
//!   known Annex I entries and countries, positive quotas, and the validity limits of Art. 12(3)
//!   (up to two years; a large project authorisation up to four years). Every bad field is listed.
//! - [`check_draw_down`] checks an operation ([`DrawRequest`]) against the terms and what was
//!   already drawn: it returns the draw-down per quota unit with its warnings, or every reason it
//!   is refused, each with its source.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::assess::input::{FieldError, Operation, PartyRole, parse_date};
use crate::law::{ControlCode, Law, Resolution};

/// Maximum validity of an individual or global export authorisation, in years (Art. 12(3),
/// first subparagraph of Regulation (EU) 2021/821: "up to two years").
pub const MAX_VALIDITY_YEARS: i32 = 2;

/// Maximum validity of a large project authorisation, in years (Art. 12(3), second
/// subparagraph: "no longer than four years", save duly justified circumstances).
pub const MAX_LARGE_PROJECT_VALIDITY_YEARS: i32 = 4;

/// A quota is flagged once this share of it (in percent) is used.
pub const QUOTA_WARNING_PERCENT: i64 = 80;

/// A licence is flagged when it expires within this many days of the operation.
pub const EXPIRY_WARNING_DAYS: i64 = 60;

/// The validity provision cited by every validity message.
const ART_12_3: &str = "Art. 12(3) of Regulation (EU) 2021/821";

/// Kind of export authorisation (Art. 12(1)(a) and (b)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LicenceKind {
    /// Individual export authorisation (Art. 2(12)): one exporter, one end user or consignee.
    Individual,
    /// Global export authorisation (Art. 2(13)): a type or category of items, one or more end
    /// users and/or countries.
    Global,
}

impl LicenceKind {
    /// Every kind.
    pub const ALL: [LicenceKind; 2] = [LicenceKind::Individual, LicenceKind::Global];

    /// The contract name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            LicenceKind::Individual => "individual",
            LicenceKind::Global => "global",
        }
    }

    /// Parses the contract name.
    #[must_use]
    pub fn parse(s: &str) -> Option<LicenceKind> {
        LicenceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// The unit of a quota (a quantitative limitation of the authorisation, Art. 12(4), fifth
/// subparagraph).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum QuotaUnit {
    /// Value in euros (amounts are stored in cents).
    Eur,
    /// Pieces (units of goods).
    Pieces,
    /// Software seats (licences to users).
    Seats,
    /// Installations.
    Installations,
    /// Downloads.
    Downloads,
    /// Customers.
    Customers,
    /// Hours of technical assistance.
    Hours,
}

impl QuotaUnit {
    /// Every unit.
    pub const ALL: [QuotaUnit; 7] = [
        QuotaUnit::Eur,
        QuotaUnit::Pieces,
        QuotaUnit::Seats,
        QuotaUnit::Installations,
        QuotaUnit::Downloads,
        QuotaUnit::Customers,
        QuotaUnit::Hours,
    ];

    /// The contract name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaUnit::Eur => "eur",
            QuotaUnit::Pieces => "pieces",
            QuotaUnit::Seats => "seats",
            QuotaUnit::Installations => "installations",
            QuotaUnit::Downloads => "downloads",
            QuotaUnit::Customers => "customers",
            QuotaUnit::Hours => "hours",
        }
    }

    /// Parses the contract name.
    #[must_use]
    pub fn parse(s: &str) -> Option<QuotaUnit> {
        QuotaUnit::ALL.into_iter().find(|u| u.as_str() == s.trim())
    }

    /// Formats an amount of this unit for a message (`1234.50 EUR`, `12 seats`).
    #[must_use]
    pub fn show(self, amount: i64) -> String {
        match self {
            QuotaUnit::Eur => {
                let sign = if amount < 0 { "-" } else { "" };
                let a = amount.unsigned_abs();
                format!("{sign}{}.{:02} EUR", a / 100, a % 100)
            }
            u => format!("{amount} {}", u.as_str()),
        }
    }
}

/// A quota of the licence: a total in one unit (EUR in cents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quota {
    /// Unit.
    pub unit: QuotaUnit,
    /// Total (EUR: cents).
    pub total: i64,
}

/// A quota as typed: the total is a number (EUR: euros with at most 2 decimals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuotaInput {
    /// `eur`, `pieces`, `seats`, `installations`, `downloads`, `customers` or `hours`.
    pub unit: String,
    /// Total (EUR: euros, at most 2 decimals; other units: a whole number).
    pub total: f64,
}

/// The terms of a licence as typed (form or JSON API); [`LicenceTermsInput::check`] validates
/// them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LicenceTermsInput {
    /// `individual` or `global` (Art. 12(1)(a)–(b)).
    pub kind: String,
    /// The authorisation's number, as issued.
    pub number: String,
    /// The issuing competent authority (Art. 12(2)).
    pub authority: String,
    /// Annex I entries the licence covers (each covers its sub-items).
    #[serde(default)]
    pub entries: Vec<String>,
    /// ISO 3166-1 alpha-2 countries of destination.
    #[serde(default)]
    pub destinations: Vec<String>,
    /// End users named by the licence (empty: any, for a global licence only).
    #[serde(default)]
    pub end_users: Vec<String>,
    /// Quantitative limits.
    #[serde(default)]
    pub quotas: Vec<QuotaInput>,
    /// First day of validity, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day of validity, `YYYY-MM-DD`.
    pub valid_until: String,
    /// A large project authorisation (Art. 2(14)): up to four years (Art. 12(3)).
    #[serde(default)]
    pub large_project: bool,
    /// The licence's conditions, as written.
    #[serde(default)]
    pub conditions: String,
    /// The reporting duties the licence sets, as written.
    #[serde(default)]
    pub reporting: String,
}

/// Validated terms of an individual or global export authorisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceTerms {
    /// Kind.
    pub kind: LicenceKind,
    /// Number.
    pub number: String,
    /// Issuing authority.
    pub authority: String,
    /// Annex I entries covered.
    pub entries: Vec<ControlCode>,
    /// ISO countries of destination.
    pub destinations: Vec<String>,
    /// End users (empty: any, global licences only).
    pub end_users: Vec<String>,
    /// Quotas, one per unit, in unit order.
    pub quotas: Vec<Quota>,
    /// First day of validity.
    pub valid_from: Date,
    /// Last day of validity (inclusive).
    pub valid_until: Date,
    /// Large project authorisation.
    pub large_project: bool,
    /// Conditions.
    pub conditions: String,
    /// Reporting duties.
    pub reporting: String,
}

/// `date` plus `years` calendar years (29 February becomes 28 February).
#[must_use]
pub fn add_years(date: Date, years: i32) -> Date {
    let y = date.year() + years;
    Date::from_calendar_date(y, date.month(), date.day())
        .or_else(|_| Date::from_calendar_date(y, Month::February, 28))
        .unwrap_or(date)
}

fn field(errors: &mut Vec<FieldError>, path: impl Into<String>, message: impl Into<String>) {
    errors.push(FieldError {
        path: path.into(),
        message: message.into(),
    });
}

/// A quota total as typed into an integer amount of the unit (EUR: cents).
///
/// # Errors
/// A message when the number is negative, not finite, or has too many decimals.
pub fn amount_of(unit: QuotaUnit, value: f64) -> Result<i64, String> {
    if !value.is_finite() {
        return Err("not a finite number".to_owned());
    }
    if value < 0.0 {
        return Err("must not be negative".to_owned());
    }
    if value > 1e15 {
        return Err("too large".to_owned());
    }
    let scaled = if unit == QuotaUnit::Eur {
        value * 100.0
    } else {
        value
    };
    let rounded = scaled.round();
    if (scaled - rounded).abs() > 1e-6 {
        return Err(if unit == QuotaUnit::Eur {
            "at most 2 decimals (euros and cents)".to_owned()
        } else {
            format!("a whole number of {}", unit.as_str())
        });
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "finite, non-negative, below 1e17 and whole"
    )]
    Ok(rounded as i64)
}

impl LicenceTermsInput {
    /// Validates the terms against the law; `errors` name the field (`valid_until`,
    /// `quotas[1].total`, `entries[0]` …).
    ///
    /// # Errors
    /// Every bad field.
    pub fn check(&self, law: &Law) -> Result<LicenceTerms, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = LicenceKind::parse(&self.kind);
        if kind.is_none() {
            field(
                &mut errors,
                "kind",
                format!(
                    "unknown kind `{}` (expected `individual` or `global`, Art. 12(1)(a)–(b) of Regulation (EU) 2021/821)",
                    self.kind
                ),
            );
        }
        let number = self.number.trim();
        if number.is_empty() || number.chars().count() > 100 || number.chars().any(char::is_control)
        {
            field(
                &mut errors,
                "number",
                "1 to 100 characters (the licence's number as issued)",
            );
        }
        let authority = self.authority.trim();
        if authority.is_empty()
            || authority.chars().count() > 200
            || authority.chars().any(char::is_control)
        {
            field(
                &mut errors,
                "authority",
                "1 to 200 characters (the competent authority that issued it, Art. 12(2) of Regulation (EU) 2021/821)",
            );
        }
        let mut entries: Vec<ControlCode> = Vec::new();
        if self.entries.iter().all(|e| e.trim().is_empty()) {
            field(
                &mut errors,
                "entries",
                "at least one Annex I entry (the items the licence covers)",
            );
        }
        for (i, e) in self.entries.iter().enumerate() {
            if e.trim().is_empty() {
                continue;
            }
            match ControlCode::parse(e) {
                Err(err) => field(&mut errors, format!("entries[{i}]"), err.to_string()),
                Ok(code) => match law.resolve(&code) {
                    Resolution::Exact(_) | Resolution::Within(_) => {
                        if !entries.contains(&code) {
                            entries.push(code);
                        }
                    }
                    Resolution::Unknown(near) => field(
                        &mut errors,
                        format!("entries[{i}]"),
                        format!(
                            "unknown Annex I entry `{code}`; nearest entries: {}",
                            near.join(", ")
                        ),
                    ),
                },
            }
        }
        let mut destinations: Vec<String> = Vec::new();
        if self.destinations.iter().all(|d| d.trim().is_empty()) {
            field(
                &mut errors,
                "destinations",
                "at least one country of destination (Art. 12(4) of Regulation (EU) 2021/821)",
            );
        }
        for (i, d) in self.destinations.iter().enumerate() {
            let up = d.trim().to_ascii_uppercase();
            if up.is_empty() {
                continue;
            }
            if law.country(&up).is_none() {
                field(
                    &mut errors,
                    format!("destinations[{i}]"),
                    format!(
                        "unknown country code `{d}` (expected an ISO 3166-1 alpha-2 code such as US, JP)"
                    ),
                );
            } else if !destinations.contains(&up) {
                destinations.push(up);
            }
        }
        let mut end_users: Vec<String> = Vec::new();
        for (i, u) in self.end_users.iter().enumerate() {
            let u = u.trim();
            if u.is_empty() {
                continue;
            }
            if u.chars().count() > 200 || u.chars().any(char::is_control) {
                field(
                    &mut errors,
                    format!("end_users[{i}]"),
                    "at most 200 characters",
                );
            } else if !end_users.iter().any(|x| same_name(x, u)) {
                end_users.push(u.to_owned());
            }
        }
        if kind == Some(LicenceKind::Individual) && end_users.is_empty() {
            field(
                &mut errors,
                "end_users",
                "an individual export authorisation is granted for one end user or consignee (Art. 2(12) of Regulation (EU) 2021/821): name it",
            );
        }
        let mut quotas: Vec<Quota> = Vec::new();
        for (i, q) in self.quotas.iter().enumerate() {
            let Some(unit) = QuotaUnit::parse(&q.unit) else {
                field(
                    &mut errors,
                    format!("quotas[{i}].unit"),
                    format!(
                        "unknown unit `{}` (expected one of: {})",
                        q.unit,
                        QuotaUnit::ALL.map(QuotaUnit::as_str).join(", ")
                    ),
                );
                continue;
            };
            match amount_of(unit, q.total) {
                Err(m) => field(&mut errors, format!("quotas[{i}].total"), m),
                Ok(0) => field(
                    &mut errors,
                    format!("quotas[{i}].total"),
                    "must be greater than 0",
                ),
                Ok(total) => {
                    if quotas.iter().any(|x| x.unit == unit) {
                        field(
                            &mut errors,
                            format!("quotas[{i}].unit"),
                            format!("a second quota in {} (one quota per unit)", unit.as_str()),
                        );
                    } else {
                        quotas.push(Quota { unit, total });
                    }
                }
            }
        }
        quotas.sort_by_key(|q| q.unit);
        let from = match parse_date(self.valid_from.trim()) {
            Ok(d) => Some(d),
            Err(m) => {
                field(&mut errors, "valid_from", m);
                None
            }
        };
        let until = match parse_date(self.valid_until.trim()) {
            Ok(d) => Some(d),
            Err(m) => {
                field(&mut errors, "valid_until", m);
                None
            }
        };
        if let (Some(from), Some(until)) = (from, until) {
            if until < from {
                field(
                    &mut errors,
                    "valid_until",
                    format!("{until} is before the first day of validity {from}"),
                );
            } else {
                let (years, what) = if self.large_project {
                    (
                        MAX_LARGE_PROJECT_VALIDITY_YEARS,
                        "a large project authorisation is valid no longer than four years, save duly justified circumstances based on the duration of the project",
                    )
                } else {
                    (
                        MAX_VALIDITY_YEARS,
                        "individual and global export authorisations are valid for up to two years (up to four for a large project authorisation: tick the large-project flag)",
                    )
                };
                let limit = add_years(from, years);
                if until > limit {
                    field(
                        &mut errors,
                        "valid_until",
                        format!(
                            "{until} is more than {years} years after {from} (latest {limit}): {what} ({ART_12_3})"
                        ),
                    );
                }
            }
        }
        for (name, text) in [
            ("conditions", &self.conditions),
            ("reporting", &self.reporting),
        ] {
            if text.chars().count() > 20_000 {
                field(&mut errors, name, "at most 20000 characters");
            }
        }
        match (kind, from, until) {
            (Some(kind), Some(valid_from), Some(valid_until)) if errors.is_empty() => {
                Ok(LicenceTerms {
                    kind,
                    number: number.to_owned(),
                    authority: authority.to_owned(),
                    entries,
                    destinations,
                    end_users,
                    quotas,
                    valid_from,
                    valid_until,
                    large_project: self.large_project,
                    conditions: self.conditions.trim().to_owned(),
                    reporting: self.reporting.trim().to_owned(),
                })
            }
            _ => Err(errors),
        }
    }
}

impl LicenceTerms {
    /// The terms back in their typed form (EUR totals in euros).
    #[must_use]
    pub fn to_input(&self) -> LicenceTermsInput {
        LicenceTermsInput {
            kind: self.kind.as_str().to_owned(),
            number: self.number.clone(),
            authority: self.authority.clone(),
            entries: self.entries.iter().map(ToString::to_string).collect(),
            destinations: self.destinations.clone(),
            end_users: self.end_users.clone(),
            quotas: self
                .quotas
                .iter()
                .map(|q| QuotaInput {
                    unit: q.unit.as_str().to_owned(),
                    #[allow(clippy::cast_precision_loss, reason = "display of a bounded total")]
                    total: if q.unit == QuotaUnit::Eur {
                        q.total as f64 / 100.0
                    } else {
                        q.total as f64
                    },
                })
                .collect(),
            valid_from: self.valid_from.to_string(),
            valid_until: self.valid_until.to_string(),
            large_project: self.large_project,
            conditions: self.conditions.clone(),
            reporting: self.reporting.clone(),
        }
    }

    /// The quota of a unit.
    #[must_use]
    pub fn quota(&self, unit: QuotaUnit) -> Option<Quota> {
        self.quotas.iter().copied().find(|q| q.unit == unit)
    }

    /// True when the licence covers the Annex I entry: one of its entries is the entry or an
    /// ancestor of it in the Annex I code hierarchy (`5A002` covers `5A002.a.1`).
    #[must_use]
    pub fn covers_entry(&self, code: &ControlCode) -> bool {
        self.entries.iter().any(|e| e.covers(code))
    }

    /// True when `date` is within the validity (both days included).
    #[must_use]
    pub fn valid_on(&self, date: Date) -> bool {
        self.valid_from <= date && date <= self.valid_until
    }
}

/// End-user names match case-insensitively, whitespace folded.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(a) == norm(b)
}

/// One item line of an operation, as the draw-down sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    /// The item's id in the operation.
    pub item_id: String,
    /// Its Annex I entries.
    pub entries: Vec<ControlCode>,
    /// Quantities per unit (EUR in cents).
    pub quantities: Vec<(QuotaUnit, i64)>,
}

/// What an operation would draw on a licence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawRequest {
    /// Date of the operation.
    pub date: Date,
    /// Country of destination.
    pub destination: String,
    /// End users named by the operation.
    pub end_users: Vec<String>,
    /// Items.
    pub lines: Vec<RequestLine>,
}

impl DrawRequest {
    /// The request of a checked operation: its date, destination, end users (parties with the
    /// role `end_user`), and per item its entries, `quantity` and `value_eur`.
    #[must_use]
    pub fn from_operation(op: &Operation) -> DrawRequest {
        DrawRequest {
            date: op.date,
            destination: op.destination.clone(),
            end_users: op
                .parties
                .iter()
                .filter(|p| p.role == PartyRole::EndUser)
                .map(|p| p.name.clone())
                .collect(),
            lines: op
                .items
                .iter()
                .map(|it| {
                    let mut quantities = Vec::new();
                    if let Some(q) = it.quantity {
                        quantities.push((q.unit, q.amount));
                    }
                    if let Some(v) = it.value_eur_cents {
                        quantities.push((QuotaUnit::Eur, v));
                    }
                    RequestLine {
                        item_id: it.id.clone(),
                        entries: it.entries.clone(),
                        quantities,
                    }
                })
                .collect(),
        }
    }

    /// The total requested per unit.
    #[must_use]
    pub fn totals(&self) -> BTreeMap<QuotaUnit, i64> {
        let mut out: BTreeMap<QuotaUnit, i64> = BTreeMap::new();
        for l in &self.lines {
            for (u, a) in &l.quantities {
                let e = out.entry(*u).or_insert(0);
                *e = e.saturating_add(*a);
            }
        }
        out
    }
}

/// Why a draw-down is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RefusalKind {
    /// The operation is dated before the first day of validity.
    BeforeValidity,
    /// The operation is dated after the last day of validity.
    Expired,
    /// An item's Annex I entry is not among the licence's entries.
    EntryNotCovered,
    /// An item has no Annex I entry: the licence cannot cover it.
    ItemNotListed,
    /// The destination is not among the licence's.
    DestinationNotCovered,
    /// An end user is not among the licence's.
    EndUserNotCovered,
    /// The operation names no end user but the licence is limited to named end users.
    EndUserMissing,
    /// A quantity is in a unit the licence has no quota for.
    UnitWithoutQuota,
    /// The remaining balance of a quota is too small.
    ExceedsBalance,
    /// The licence has quotas but the operation states no quantity in their units.
    NoQuantity,
}

/// One reason a draw-down is refused, with its source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    /// Kind.
    pub kind: RefusalKind,
    /// What is wrong, in words.
    pub message: String,
    /// Where the rule is written (the licence term, and the article).
    pub source: String,
}

/// A warning on an accepted draw-down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Warning {
    /// `quota` (≥ [`QUOTA_WARNING_PERCENT`] % used) or `expiry` (≤ [`EXPIRY_WARNING_DAYS`] days
    /// left).
    pub kind: String,
    /// The warning in words.
    pub message: String,
    /// The licence term it is about.
    pub source: String,
}

/// The draw-down of one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitDraw {
    /// Unit.
    pub unit: QuotaUnit,
    /// Drawn by this operation (EUR: cents).
    pub amount: i64,
    /// Drawn before.
    pub drawn_before: i64,
    /// Drawn after this operation.
    pub drawn_after: i64,
    /// The quota's total.
    pub total: i64,
    /// Left after this operation.
    pub remaining: i64,
}

/// An accepted draw-down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DrawDown {
    /// Per unit drawn.
    pub units: Vec<UnitDraw>,
    /// Warnings (quota nearly used, expiry near).
    pub warnings: Vec<Warning>,
}

fn refuse(out: &mut Vec<Refusal>, kind: RefusalKind, message: String, term: &str) {
    out.push(Refusal {
        kind,
        message,
        source: format!(
            "licence term: {term}; Art. 12 of Regulation (EU) 2021/821 and the licence conditions"
        ),
    });
}

/// Checks an operation against a licence's terms and what was already drawn per unit (EUR in
/// cents). Returns the draw-down per unit with its warnings, or every reason it is refused.
///
/// Rules (each a term of the licence, Art. 12 of Regulation (EU) 2021/821):
/// - the operation's date is within the validity, both days included;
/// - every item has an Annex I entry covered by one of the licence's entries or an ancestor of
///   it in the code hierarchy;
/// - the destination is one of the licence's; every end user named by the operation is one of
///   the licence's (unless it names none: any end user, global licences only);
/// - when the licence has quotas: every quantity is in a unit it has a quota for, at least one
///   is stated, and none exceeds the remaining balance.
///
/// # Errors
/// Every [`Refusal`], each with its source.
pub fn check_draw_down(
    terms: &LicenceTerms,
    drawn: &BTreeMap<QuotaUnit, i64>,
    req: &DrawRequest,
) -> Result<DrawDown, Vec<Refusal>> {
    let mut out = Vec::new();
    let n = &terms.number;
    if req.date < terms.valid_from {
        refuse(
            &mut out,
            RefusalKind::BeforeValidity,
            format!(
                "the operation is dated {}, before licence {n} is valid (from {})",
                req.date, terms.valid_from
            ),
            "validity",
        );
    }
    if req.date > terms.valid_until {
        refuse(
            &mut out,
            RefusalKind::Expired,
            format!(
                "licence {n} expired on {}; the operation is dated {}",
                terms.valid_until, req.date
            ),
            "validity",
        );
    }
    for line in &req.lines {
        if line.entries.is_empty() {
            refuse(
                &mut out,
                RefusalKind::ItemNotListed,
                format!(
                    "item {} has no Annex I entry; licence {n} covers only {}",
                    line.item_id,
                    list(&terms.entries)
                ),
                "Annex I entries",
            );
        }
        for code in &line.entries {
            if !terms.covers_entry(code) {
                refuse(
                    &mut out,
                    RefusalKind::EntryNotCovered,
                    format!(
                        "item {} is {code}, which licence {n} does not cover (it covers {})",
                        line.item_id,
                        list(&terms.entries)
                    ),
                    "Annex I entries",
                );
            }
        }
    }
    if !terms.destinations.contains(&req.destination) {
        refuse(
            &mut out,
            RefusalKind::DestinationNotCovered,
            format!(
                "destination {} is not one of licence {n}'s ({})",
                req.destination,
                terms.destinations.join(", ")
            ),
            "destinations",
        );
    }
    if !terms.end_users.is_empty() {
        if req.end_users.is_empty() {
            refuse(
                &mut out,
                RefusalKind::EndUserMissing,
                format!(
                    "the operation names no end user; licence {n} is limited to {}",
                    terms.end_users.join(", ")
                ),
                "end users",
            );
        }
        for u in &req.end_users {
            if !terms.end_users.iter().any(|x| same_name(x, u)) {
                refuse(
                    &mut out,
                    RefusalKind::EndUserNotCovered,
                    format!(
                        "end user {u} is not named by licence {n} ({})",
                        terms.end_users.join(", ")
                    ),
                    "end users",
                );
            }
        }
    }
    let totals = req.totals();
    let mut units = Vec::new();
    if !terms.quotas.is_empty() {
        for (unit, amount) in &totals {
            if terms.quota(*unit).is_none() {
                refuse(
                    &mut out,
                    RefusalKind::UnitWithoutQuota,
                    format!(
                        "the operation draws {} but licence {n} has no quota in {} (its quotas: {})",
                        unit.show(*amount),
                        unit.as_str(),
                        terms
                            .quotas
                            .iter()
                            .map(|q| q.unit.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "quotas",
                );
            }
        }
        if !terms.quotas.iter().any(|q| totals.contains_key(&q.unit)) {
            refuse(
                &mut out,
                RefusalKind::NoQuantity,
                format!(
                    "licence {n} limits the quantity ({}) but the operation states no quantity or value in those units",
                    terms
                        .quotas
                        .iter()
                        .map(|q| q.unit.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "quotas",
            );
        }
        for q in &terms.quotas {
            let Some(amount) = totals.get(&q.unit).copied() else {
                continue;
            };
            let before = drawn.get(&q.unit).copied().unwrap_or(0);
            let remaining_before = q.total.saturating_sub(before).max(0);
            if amount > remaining_before {
                refuse(
                    &mut out,
                    RefusalKind::ExceedsBalance,
                    format!(
                        "the operation draws {} but only {} of the {} quota of licence {n} remain",
                        q.unit.show(amount),
                        q.unit.show(remaining_before),
                        q.unit.show(q.total)
                    ),
                    "quotas",
                );
            }
            let after = before.saturating_add(amount);
            units.push(UnitDraw {
                unit: q.unit,
                amount,
                drawn_before: before,
                drawn_after: after,
                total: q.total,
                remaining: q.total.saturating_sub(after),
            });
        }
    }
    if !out.is_empty() {
        return Err(out);
    }
    let mut warnings = Vec::new();
    for u in &units {
        if u.drawn_after.saturating_mul(100) >= u.total.saturating_mul(QUOTA_WARNING_PERCENT) {
            let pct = u.drawn_after.saturating_mul(100) / u.total.max(1);
            warnings.push(Warning {
                kind: "quota".to_owned(),
                message: format!(
                    "{pct} % of the {} quota of licence {n} will be used ({} left); apply for a new licence in time",
                    u.unit.as_str(),
                    u.unit.show(u.remaining)
                ),
                source: format!("licence term: quotas ({})", u.unit.as_str()),
            });
        }
    }
    let days_left = (terms.valid_until - req.date).whole_days();
    if days_left <= EXPIRY_WARNING_DAYS {
        warnings.push(Warning {
            kind: "expiry".to_owned(),
            message: format!(
                "licence {n} expires on {} ({days_left} days after the operation); apply for its renewal in time ({ART_12_3})",
                terms.valid_until
            ),
            source: "licence term: validity".to_owned(),
        });
    }
    Ok(DrawDown { units, warnings })
}

fn list(codes: &[ControlCode]) -> String {
    codes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use time::macros::date;

    fn law() -> Law {
        Law::embedded().unwrap()
    }

    fn input() -> LicenceTermsInput {
        LicenceTermsInput {
            kind: "global".into(),
            number: "FR-2026-001".into(),
            authority: "SBDU".into(),
            entries: vec!["5A002".into()],
            destinations: vec!["us".into()],
            end_users: vec![],
            quotas: vec![QuotaInput {
                unit: "seats".into(),
                total: 100.0,
            }],
            valid_from: "2026-01-01".into(),
            valid_until: "2027-12-31".into(),
            ..LicenceTermsInput::default()
        }
    }

    #[test]
    fn amounts_in_cents_and_whole_units() {
        assert_eq!(amount_of(QuotaUnit::Eur, 12.34), Ok(1234));
        assert!(amount_of(QuotaUnit::Eur, 12.345).is_err());
        assert!(amount_of(QuotaUnit::Seats, 1.5).is_err());
        assert!(amount_of(QuotaUnit::Seats, -1.0).is_err());
        assert!(amount_of(QuotaUnit::Seats, f64::NAN).is_err());
        assert_eq!(QuotaUnit::Eur.show(123_456), "1234.56 EUR");
    }

    #[test]
    fn add_years_handles_leap_days() {
        assert_eq!(add_years(date!(2028 - 02 - 29), 2), date!(2030 - 02 - 28));
    }

    #[test]
    fn terms_round_trip_through_input() {
        let t = input().check(&law()).unwrap();
        assert_eq!(t.destinations, vec!["US"]);
        assert_eq!(t.to_input().check(&law()).unwrap(), t);
    }

    #[test]
    fn sub_items_are_covered_by_ancestors() {
        let t = input().check(&law()).unwrap();
        assert!(t.covers_entry(&ControlCode::parse("5A002.a").unwrap()));
        assert!(!t.covers_entry(&ControlCode::parse("5A001").unwrap()));
    }
}
