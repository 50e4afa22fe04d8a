//! The screening of an organisation's parties against the served lists: the latest result per
//! party, hit clearances per (party, list entry, entry content hash), and rescreening after an
//! import.
//!
//! Rules:
//! - a party's latest screening replaces the one before: its hits (one per listed entry, at or
//!   above [`REVIEW_FLOOR`], at most [`HITS_PER_PARTY`]), the lists and versions it was screened
//!   against, when; every hit keeps the SHA-256 of its entry's canonical serialisation
//!   ([`entry_hash`]) and the entry itself, for the side-by-side review;
//! - a **clearance** (`false_match`) or a **confirmation** (`confirmed_match`) is recorded per
//!   (party, list source, entry id, entry content hash), with a mandatory reason, an optional
//!   expiry date, who and when; it is never deleted. The newest one of a hit applies while the
//!   entry keeps that content hash, it has not expired (the expiry date is the last day it
//!   applies) and it has not lapsed. When the entry's content changes, its clearances lapse
//!   (`hit.clearance_lapsed`) and the hit alerts again; a confirmed match keeps alerting (an
//!   exporter may not deal with a listed party);
//! - a new open hit at or above the alert threshold holds the open operations of the party
//!   (cause `screening`);
//! - after an import, every party of every organisation is rescreened **by delta**
//!   ([`Store::rescreen_after_import`]): only the entries added or changed since the previous
//!   import of that source are searched (a small index built from them), hits on removed entries
//!   are dropped, hits on unchanged entries are kept (their list version follows);
//! - every write takes an [`OrgScope`] (or is Vigil's own, after an import: actor
//!   [`SYSTEM_ACTOR`]) and appends its audit rows in the same transaction (`party.screened`,
//!   `party.hit`, `hit.cleared`, `hit.confirmed`, `hit.clearance_lapsed`, `party.updated`).
//!
//! The small index only finds candidates (at a lower floor, since it weighs name tokens by their
//! rarity among the changed entries only): each party with one is searched again in the whole
//! index, so that its hits on the added or changed entries score as in a full screening. Hits on
//! unchanged entries keep the score they had; in the whole index that score can drift a little as
//! new entries change token rarities (the next full screening of the party — creation, edit —
//! gives the full index's).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use vigil_domain::access::Action;
use vigil_domain::audit::AuditEvent;
use vigil_screening::score::ALERT_THRESHOLD;
use vigil_screening::{Index, ListEntry, ListMeta, LoadedList, NameQuery};

use crate::accounts::{OrgScope, now_micros};
use crate::audit::append_in;
use crate::lifecycle::{HoldCause, SYSTEM_ACTOR, insert_hold_in, open_operations_of_party_in};
use crate::lists::ImportRecord;
use crate::records::{NewParty, PARTY_ROLES, Party, RecordError, new_id};
use crate::schema::{list_entries, list_imports, operation_holds, parties};
use crate::{DbConnection, Store, StoreError};

diesel::table! {
    /// The latest screening of each party.
    party_screenings (party_id) {
        /// The party.
        party_id -> Text,
        /// The organisation.
        org_id -> Text,
        /// When (µs).
        screened_at -> BigInt,
        /// Who (user id, or `system` after an import).
        screened_by -> Text,
        /// The lists screened against (JSON array of [`ListRef`]).
        lists -> Text,
        /// Hits at or above the review floor.
        hit_count -> BigInt,
        /// Of them, open alerts.
        open_count -> BigInt,
        /// Of them, confirmed matches.
        confirmed_count -> BigInt,
        /// When an import last gave the party a new open hit (µs).
        new_hits_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// The hits of a party's latest screening.
    party_hits (id) {
        /// Random id (hex).
        id -> Text,
        /// The organisation.
        org_id -> Text,
        /// The party.
        party_id -> Text,
        /// The list source (`un`, `eu` …).
        list_source -> Text,
        /// The list version screened against.
        list_version -> Text,
        /// The import the entry came from.
        import_id -> BigInt,
        /// The list's own identifier of the entry.
        entry_id -> Text,
        /// SHA-256 (hex) of the entry's canonical serialisation.
        entry_hash -> Text,
        /// The entry's primary name.
        entry_name -> Text,
        /// The name (primary or alias) that matched best.
        matched_alias -> Text,
        /// Score, 0–1.
        score -> Double,
        /// The explanation on one line.
        why -> Text,
        /// The explanation (JSON).
        explanation -> Text,
        /// The entry (ListEntry JSON).
        entry -> Text,
        /// When this entry first hit the party (µs).
        first_seen -> BigInt,
    }
}

diesel::table! {
    /// Clearances and confirmations of hits.
    hit_clearances (id) {
        /// Random id (hex).
        id -> Text,
        /// The organisation.
        org_id -> Text,
        /// The party.
        party_id -> Text,
        /// The list source.
        list_source -> Text,
        /// The list's identifier of the entry.
        entry_id -> Text,
        /// The entry content hash the decision was taken on.
        entry_hash -> Text,
        /// `false_match` or `confirmed_match`.
        decision -> Text,
        /// Why (mandatory).
        reason -> Text,
        /// Last day it applies (`YYYY-MM-DD`), if any.
        expires_on -> Nullable<Text>,
        /// Who (user id).
        decided_by -> Text,
        /// When (µs).
        decided_at -> BigInt,
        /// When it lapsed because the entry changed (µs).
        lapsed_at -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(party_screenings, party_hits, hit_clearances);

/// Hits below this score are not kept (the review floor of the screening pages and the CLI).
pub const REVIEW_FLOOR: f64 = 0.70;

/// Most hits kept per party and screening.
pub const HITS_PER_PARTY: usize = 10;

/// Largest number of values bound in one `IN (…)` list.
const IN_CHUNK: usize = 500;

/// The SHA-256 (lower-case hex) of an entry's canonical serialisation: its JSON with object keys
/// sorted and no white space. The same content gives the same hash in every import.
#[must_use]
pub fn entry_hash(e: &ListEntry) -> String {
    let canonical = serde_json::to_value(e)
        .map(|v| canonical_json(&v))
        .unwrap_or_default();
    hex(&Sha256::digest(canonical.as_bytes()))
}

fn canonical_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => {
            let sorted: BTreeMap<&String, &serde_json::Value> = m.iter().collect();
            let parts: Vec<String> = sorted
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        serde_json::Value::String(k.clone()),
                        canonical_json(v)
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        serde_json::Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(canonical_json).collect();
            format!("[{}]", parts.join(","))
        }
        other => other.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A list screened against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRef {
    /// The source (`un`, `eu` …).
    pub source: String,
    /// Its version as shown ([`ImportRecord::version_label`]).
    pub version: String,
    /// The import.
    pub import: i64,
}

impl ListRef {
    /// The reference of a served import.
    #[must_use]
    pub fn of(r: &ImportRecord) -> ListRef {
        ListRef {
            source: r.source.as_str().to_owned(),
            version: r.version_label(),
            import: r.id,
        }
    }

    /// As JSON: `{"source", "version", "import"}`.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        json!({"source": self.source, "version": self.version, "import": self.import})
    }

    fn from_json(v: &serde_json::Value) -> Option<ListRef> {
        Some(ListRef {
            source: v.get("source")?.as_str()?.to_owned(),
            version: v.get("version")?.as_str()?.to_owned(),
            import: v.get("import")?.as_i64()?,
        })
    }
}

fn lists_json(lists: &[ListRef]) -> serde_json::Value {
    serde_json::Value::Array(lists.iter().map(ListRef::to_json).collect())
}

/// A hit found by a search, ready to be stored.
#[derive(Debug, Clone)]
pub struct FoundHit {
    /// The listed entry.
    pub entry: ListEntry,
    /// Its content hash ([`entry_hash`]).
    pub entry_hash: String,
    /// Score, 0–1.
    pub score: f64,
    /// The name that matched best.
    pub matched_alias: String,
    /// The explanation on one line.
    pub why: String,
    /// The explanation (JSON).
    pub explanation: serde_json::Value,
}

/// The floor of the delta search: a party with a candidate at or above it among the added or
/// changed entries is searched again in the whole index, so that its hits on those entries score
/// as in a full screening (the small index weighs tokens by their rarity among the changed
/// entries only).
const DELTA_FLOOR: f64 = 0.5;

/// Searches one party's name (and country) in `index`: the hits to keep, best first.
#[must_use]
pub fn search_party(index: &Index, name: &str, country: &str) -> Vec<FoundHit> {
    search_floor(index, name, country, REVIEW_FLOOR)
}

fn search_floor(index: &Index, name: &str, country: &str, floor: f64) -> Vec<FoundHit> {
    let query = NameQuery {
        name: name.to_owned(),
        country: Some(country.to_owned()).filter(|c| !c.trim().is_empty()),
        ..NameQuery::default()
    };
    index
        .search(&query, HITS_PER_PARTY, floor)
        .into_iter()
        .filter_map(|h| {
            let entry = index.entries().get(h.entry_index)?.clone();
            Some(FoundHit {
                entry_hash: entry_hash(&entry),
                entry,
                score: (h.score * 10_000.0).round() / 10_000.0,
                matched_alias: h.explanation.matched_alias.clone(),
                why: h.explanation.to_string(),
                explanation: serde_json::to_value(&h.explanation).unwrap_or_default(),
            })
        })
        .collect()
}

/// The latest screening of a party.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = party_screenings)]
pub struct PartyScreening {
    /// The party.
    pub party_id: String,
    /// The organisation.
    pub org_id: String,
    /// When (µs).
    pub screened_at: i64,
    /// Who (user id or `system`).
    pub screened_by: String,
    /// The lists (JSON).
    pub lists: String,
    /// Hits kept.
    pub hit_count: i64,
    /// Open alerts when screened.
    pub open_count: i64,
    /// Confirmed matches when screened.
    pub confirmed_count: i64,
    /// When an import last gave it a new open hit (µs).
    pub new_hits_at: Option<i64>,
}

impl PartyScreening {
    /// The lists screened against.
    #[must_use]
    pub fn list_refs(&self) -> Vec<ListRef> {
        serde_json::from_str::<Vec<serde_json::Value>>(&self.lists)
            .unwrap_or_default()
            .iter()
            .filter_map(ListRef::from_json)
            .collect()
    }
}

/// One stored hit.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = party_hits)]
pub struct PartyHit {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Party.
    pub party_id: String,
    /// List source.
    pub list_source: String,
    /// List version.
    pub list_version: String,
    /// Import.
    pub import_id: i64,
    /// The list's entry id.
    pub entry_id: String,
    /// Entry content hash.
    pub entry_hash: String,
    /// Entry primary name.
    pub entry_name: String,
    /// The name that matched.
    pub matched_alias: String,
    /// Score.
    pub score: f64,
    /// Why, on one line.
    pub why: String,
    /// Explanation (JSON).
    pub explanation: String,
    /// The entry (JSON).
    pub entry: String,
    /// First seen (µs).
    pub first_seen: i64,
}

impl PartyHit {
    /// The listed entry, when readable.
    #[must_use]
    pub fn list_entry(&self) -> Option<ListEntry> {
        serde_json::from_str(&self.entry).ok()
    }

    /// The first 12 hex digits of the entry content hash.
    #[must_use]
    pub fn short_hash(&self) -> &str {
        self.entry_hash.get(..12).unwrap_or(&self.entry_hash)
    }
}

/// A clearance or confirmation of a hit.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = hit_clearances)]
pub struct Clearance {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Party.
    pub party_id: String,
    /// List source.
    pub list_source: String,
    /// Entry id.
    pub entry_id: String,
    /// The entry content hash decided on.
    pub entry_hash: String,
    /// `false_match` or `confirmed_match`.
    pub decision: String,
    /// Why.
    pub reason: String,
    /// Last day it applies (`YYYY-MM-DD`).
    pub expires_on: Option<String>,
    /// Who (user id).
    pub decided_by: String,
    /// When (µs).
    pub decided_at: i64,
    /// When it lapsed (µs).
    pub lapsed_at: Option<i64>,
}

impl Clearance {
    /// Expired on `today` (its last day is before today).
    #[must_use]
    pub fn expired(&self, today: time::Date) -> bool {
        self.expires_on
            .as_deref()
            .and_then(parse_date)
            .is_some_and(|d| d < today)
    }
}

/// How a hit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitStatus {
    /// Nobody has decided (or the decision lapsed or expired).
    Open,
    /// Cleared as a false match.
    Cleared,
    /// Confirmed as a match.
    Confirmed,
}

impl HitStatus {
    /// `open`, `cleared` or `confirmed`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            HitStatus::Open => "open",
            HitStatus::Cleared => "cleared",
            HitStatus::Confirmed => "confirmed",
        }
    }
}

/// A hit with its decisions.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewedHit {
    /// The hit.
    pub hit: PartyHit,
    /// How it stands today.
    pub status: HitStatus,
    /// The decision that applies, if any.
    pub applies: Option<Clearance>,
    /// Every decision on this entry for this party, newest first.
    pub history: Vec<Clearance>,
}

impl ReviewedHit {
    /// An open hit at or above the alert threshold, or a confirmed match: it stops operations.
    #[must_use]
    pub fn alerts(&self) -> bool {
        match self.status {
            HitStatus::Open => self.hit.score >= ALERT_THRESHOLD,
            HitStatus::Confirmed => true,
            HitStatus::Cleared => false,
        }
    }
}

/// A party's latest screening with its reviewed hits.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreeningView {
    /// The screening (none if the party was never screened).
    pub screening: Option<PartyScreening>,
    /// The hits, best first.
    pub hits: Vec<ReviewedHit>,
}

impl ScreeningView {
    /// Open alerts (open hits at or above the alert threshold).
    #[must_use]
    pub fn open_alerts(&self) -> usize {
        self.hits
            .iter()
            .filter(|h| h.status == HitStatus::Open && h.hit.score >= ALERT_THRESHOLD)
            .count()
    }

    /// Confirmed matches.
    #[must_use]
    pub fn confirmed(&self) -> usize {
        self.hits
            .iter()
            .filter(|h| h.status == HitStatus::Confirmed)
            .count()
    }
}

/// A decision on a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitDecision {
    /// Not the listed party.
    FalseMatch,
    /// The listed party.
    ConfirmedMatch,
}

impl HitDecision {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            HitDecision::FalseMatch => "false_match",
            HitDecision::ConfirmedMatch => "confirmed_match",
        }
    }

    /// The decision of a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<HitDecision> {
        match s {
            "false_match" => Some(HitDecision::FalseMatch),
            "confirmed_match" => Some(HitDecision::ConfirmedMatch),
            _ => None,
        }
    }
}

/// A new decision on a hit.
#[derive(Debug, Clone)]
pub struct NewClearance<'a> {
    /// Clear or confirm.
    pub decision: HitDecision,
    /// Why (mandatory, at most 10000 characters).
    pub reason: &'a str,
    /// Last day it applies (`YYYY-MM-DD`, not before today; clearances only), or empty.
    pub expires_on: &'a str,
}

/// What a rescreen after an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RescreenReport {
    /// The import.
    pub import_id: i64,
    /// The previous import of the source (none: every entry is new).
    pub previous_import: Option<i64>,
    /// Entries added, changed and removed since the previous import.
    pub added: usize,
    /// Changed.
    pub changed: usize,
    /// Removed.
    pub removed: usize,
    /// Parties rescreened (every party of every organisation).
    pub parties: usize,
    /// Parties screened in full because they had never been screened.
    pub first_screenings: usize,
    /// Hits found on added or changed entries that the party did not have.
    pub new_hits: usize,
    /// Hits dropped (entry removed, or changed and no longer matching).
    pub dropped_hits: usize,
    /// Clearances that lapsed because their entry changed.
    pub lapsed: usize,
    /// Operations put on hold.
    pub held_operations: usize,
    /// Time searching (ms).
    pub search_ms: u128,
}

fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

fn may(scope: &OrgScope, action: Action) -> Result<(), RecordError> {
    if scope.role().allows(action) {
        Ok(())
    } else {
        Err(RecordError::Forbidden)
    }
}

fn audit(
    conn: &mut DbConnection,
    org_id: &str,
    actor: &str,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> Result<(), RecordError> {
    append_in(
        conn,
        org_id,
        AuditEvent {
            at: crate::audit::now(),
            org_id: org_id.to_owned(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject,
            detail,
        },
    )?;
    Ok(())
}

/// The status of a hit given the decisions on its entry (newest first).
fn review(hit: PartyHit, history: Vec<Clearance>, today: time::Date) -> ReviewedHit {
    let applies = history
        .iter()
        .find(|c| c.lapsed_at.is_none() && c.entry_hash == hit.entry_hash)
        .filter(|c| !c.expired(today))
        .cloned();
    let status = match applies.as_ref().map(|c| c.decision.as_str()) {
        Some("false_match") => HitStatus::Cleared,
        Some(_) => HitStatus::Confirmed,
        None => HitStatus::Open,
    };
    ReviewedHit {
        hit,
        status,
        applies,
        history,
    }
}

/// The hits of one party with their decisions.
fn reviewed_hits_in(
    conn: &mut DbConnection,
    org_id: &str,
    party_id: &str,
    today: time::Date,
) -> Result<Vec<ReviewedHit>, StoreError> {
    let hits: Vec<PartyHit> = party_hits::table
        .filter(party_hits::org_id.eq(org_id))
        .filter(party_hits::party_id.eq(party_id))
        .select(PartyHit::as_select())
        .load(conn)?;
    let decisions: Vec<Clearance> = hit_clearances::table
        .filter(hit_clearances::org_id.eq(org_id))
        .filter(hit_clearances::party_id.eq(party_id))
        .order((hit_clearances::decided_at.desc(), hit_clearances::id.desc()))
        .select(Clearance::as_select())
        .load(conn)?;
    Ok(assemble(hits, decisions, today))
}

fn assemble(hits: Vec<PartyHit>, decisions: Vec<Clearance>, today: time::Date) -> Vec<ReviewedHit> {
    let mut by_key: HashMap<(String, String, String), Vec<Clearance>> = HashMap::new();
    for c in decisions {
        by_key
            .entry((
                c.party_id.clone(),
                c.list_source.clone(),
                c.entry_id.clone(),
            ))
            .or_default()
            .push(c);
    }
    let mut out: Vec<ReviewedHit> = hits
        .into_iter()
        .map(|h| {
            let history = by_key
                .get(&(
                    h.party_id.clone(),
                    h.list_source.clone(),
                    h.entry_id.clone(),
                ))
                .cloned()
                .unwrap_or_default();
            review(h, history, today)
        })
        .collect();
    out.sort_by(|a, b| {
        b.hit
            .score
            .total_cmp(&a.hit.score)
            .then_with(|| a.hit.id.cmp(&b.hit.id))
    });
    out
}

/// Lapses the live decisions on an entry of a party taken on another content hash, with their
/// `hit.clearance_lapsed` audit rows. Returns how many lapsed.
#[allow(clippy::too_many_arguments, reason = "the key of a hit and who acts")]
fn lapse_in(
    conn: &mut DbConnection,
    org_id: &str,
    actor: &str,
    party_id: &str,
    source: &str,
    entry_id: &str,
    new_hash: &str,
    now: i64,
) -> Result<usize, RecordError> {
    let stale: Vec<Clearance> = hit_clearances::table
        .filter(hit_clearances::org_id.eq(org_id))
        .filter(hit_clearances::party_id.eq(party_id))
        .filter(hit_clearances::list_source.eq(source))
        .filter(hit_clearances::entry_id.eq(entry_id))
        .filter(hit_clearances::entry_hash.ne(new_hash))
        .filter(hit_clearances::lapsed_at.is_null())
        .select(Clearance::as_select())
        .load(conn)?;
    for c in &stale {
        diesel::update(hit_clearances::table.filter(hit_clearances::id.eq(&c.id)))
            .set(hit_clearances::lapsed_at.eq(now))
            .execute(conn)?;
        audit(
            conn,
            org_id,
            actor,
            "hit.clearance_lapsed",
            format!("party:{party_id}"),
            json!({
                "clearance": c.id,
                "decision": c.decision,
                "list": source,
                "entry_id": entry_id,
                "old_hash": c.entry_hash,
                "new_hash": new_hash,
            }),
        )?;
    }
    Ok(stale.len())
}

/// What replacing a party's hits did.
#[derive(Debug, Default)]
struct Replaced {
    new_hits: usize,
    dropped: usize,
    lapsed: usize,
    held: usize,
}

/// Replaces the hits of a party by `found` (its new full set), lapses decisions on changed
/// entries, rewrites its screening row, audits, and holds its open operations when a hit that is
/// new (or whose entry changed) alerts. Runs inside the caller's transaction.
#[allow(
    clippy::too_many_arguments,
    reason = "the screening of one party and who acts"
)]
fn replace_hits_in(
    conn: &mut DbConnection,
    org_id: &str,
    actor: &str,
    party_id: &str,
    lists: &[ListRef],
    found: &[FoundHit],
    today: time::Date,
    from_import: bool,
) -> Result<Replaced, RecordError> {
    let now = now_micros();
    let mut out = Replaced::default();
    let old: Vec<PartyHit> = party_hits::table
        .filter(party_hits::org_id.eq(org_id))
        .filter(party_hits::party_id.eq(party_id))
        .select(PartyHit::as_select())
        .load(conn)?;
    let mut old_by_key: HashMap<(String, String), PartyHit> = old
        .into_iter()
        .map(|h| ((h.list_source.clone(), h.entry_id.clone()), h))
        .collect();
    let version_of = |source: &str| {
        lists
            .iter()
            .find(|l| l.source == source)
            .map(|l| (l.version.clone(), l.import))
            .unwrap_or_default()
    };
    // Entries whose hit is new or whose content changed: their alert is new.
    let mut fresh: Vec<(String, String)> = Vec::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for f in found {
        let source = f.entry.list.as_str().to_owned();
        let key = (source.clone(), f.entry.entry_id.clone());
        if !seen.insert(key.clone()) {
            continue;
        }
        let (version, import) = version_of(&source);
        let explanation = f.explanation.to_string();
        let entry_json = serde_json::to_string(&f.entry).map_err(|e| RecordError::Invalid {
            field: "entry",
            reason: e.to_string(),
        })?;
        out.lapsed += lapse_in(
            conn,
            org_id,
            actor,
            party_id,
            &source,
            &f.entry.entry_id,
            &f.entry_hash,
            now,
        )?;
        match old_by_key.remove(&key) {
            Some(h) => {
                if h.entry_hash != f.entry_hash {
                    fresh.push(key.clone());
                }
                diesel::update(party_hits::table.filter(party_hits::id.eq(&h.id)))
                    .set((
                        party_hits::list_version.eq(&version),
                        party_hits::import_id.eq(import),
                        party_hits::entry_hash.eq(&f.entry_hash),
                        party_hits::entry_name.eq(f.entry.primary_name()),
                        party_hits::matched_alias.eq(&f.matched_alias),
                        party_hits::score.eq(f.score),
                        party_hits::why.eq(&f.why),
                        party_hits::explanation.eq(&explanation),
                        party_hits::entry.eq(&entry_json),
                    ))
                    .execute(conn)?;
            }
            None => {
                let id = new_id()?;
                diesel::insert_into(party_hits::table)
                    .values((
                        party_hits::id.eq(&id),
                        party_hits::org_id.eq(org_id),
                        party_hits::party_id.eq(party_id),
                        party_hits::list_source.eq(&source),
                        party_hits::list_version.eq(&version),
                        party_hits::import_id.eq(import),
                        party_hits::entry_id.eq(&f.entry.entry_id),
                        party_hits::entry_hash.eq(&f.entry_hash),
                        party_hits::entry_name.eq(f.entry.primary_name()),
                        party_hits::matched_alias.eq(&f.matched_alias),
                        party_hits::score.eq(f.score),
                        party_hits::why.eq(&f.why),
                        party_hits::explanation.eq(&explanation),
                        party_hits::entry.eq(&entry_json),
                        party_hits::first_seen.eq(now),
                    ))
                    .execute(conn)?;
                out.new_hits += 1;
                fresh.push(key.clone());
                audit(
                    conn,
                    org_id,
                    actor,
                    "party.hit",
                    format!("party:{party_id}"),
                    json!({
                        "hit": id,
                        "list": source,
                        "version": version,
                        "entry_id": f.entry.entry_id,
                        "entry_hash": f.entry_hash,
                        "name": f.entry.primary_name(),
                        "matched_alias": f.matched_alias,
                        "score": f.score,
                    }),
                )?;
            }
        }
    }
    let gone: Vec<String> = old_by_key.into_values().map(|h| h.id).collect();
    if !gone.is_empty() {
        out.dropped = gone.len();
        diesel::delete(party_hits::table.filter(party_hits::id.eq_any(&gone))).execute(conn)?;
    }
    let reviewed = reviewed_hits_in(conn, org_id, party_id, today)?;
    let view = ScreeningView {
        screening: None,
        hits: reviewed,
    };
    let (open, confirmed) = (view.open_alerts(), view.confirmed());
    let new_alert = view.hits.iter().any(|h| {
        h.status == HitStatus::Open
            && h.hit.score >= ALERT_THRESHOLD
            && fresh
                .iter()
                .any(|(s, e)| *s == h.hit.list_source && *e == h.hit.entry_id)
    });
    let lists_text = lists_json(lists).to_string();
    let hit_count = i64::try_from(view.hits.len()).unwrap_or(i64::MAX);
    let (open_i, confirmed_i) = (
        i64::try_from(open).unwrap_or(i64::MAX),
        i64::try_from(confirmed).unwrap_or(i64::MAX),
    );
    let previous_new: Option<Option<i64>> = party_screenings::table
        .filter(party_screenings::party_id.eq(party_id))
        .select(party_screenings::new_hits_at)
        .first(conn)
        .optional()?;
    let new_hits_at = if open == 0 {
        None
    } else if new_alert && from_import {
        Some(now)
    } else {
        previous_new.flatten()
    };
    if previous_new.is_some() {
        diesel::update(party_screenings::table.filter(party_screenings::party_id.eq(party_id)))
            .set((
                party_screenings::screened_at.eq(now),
                party_screenings::screened_by.eq(actor),
                party_screenings::lists.eq(&lists_text),
                party_screenings::hit_count.eq(hit_count),
                party_screenings::open_count.eq(open_i),
                party_screenings::confirmed_count.eq(confirmed_i),
                party_screenings::new_hits_at.eq(new_hits_at),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(party_screenings::table)
            .values((
                party_screenings::party_id.eq(party_id),
                party_screenings::org_id.eq(org_id),
                party_screenings::screened_at.eq(now),
                party_screenings::screened_by.eq(actor),
                party_screenings::lists.eq(&lists_text),
                party_screenings::hit_count.eq(hit_count),
                party_screenings::open_count.eq(open_i),
                party_screenings::confirmed_count.eq(confirmed_i),
                party_screenings::new_hits_at.eq(new_hits_at),
            ))
            .execute(conn)?;
    }
    audit(
        conn,
        org_id,
        actor,
        "party.screened",
        format!("party:{party_id}"),
        json!({
            "lists": lists_json(lists),
            "hits": view.hits.len(),
            "open": open,
            "confirmed": confirmed,
            "new_hits": out.new_hits,
            "dropped": out.dropped,
            "lapsed": out.lapsed,
        }),
    )?;
    if new_alert {
        let alerting: Vec<serde_json::Value> = view
            .hits
            .iter()
            .filter(|h| h.status == HitStatus::Open && h.hit.score >= ALERT_THRESHOLD)
            .map(|h| {
                json!({
                    "hit": h.hit.id,
                    "list": h.hit.list_source,
                    "version": h.hit.list_version,
                    "entry_id": h.hit.entry_id,
                    "name": h.hit.entry_name,
                    "score": h.hit.score,
                })
            })
            .collect();
        out.held = hold_operations_in(conn, org_id, actor, party_id, &alerting)?;
    }
    Ok(out)
}

/// Holds every open operation of the party that has no open screening hold yet.
fn hold_operations_in(
    conn: &mut DbConnection,
    org_id: &str,
    actor: &str,
    party_id: &str,
    hits: &[serde_json::Value],
) -> Result<usize, RecordError> {
    let mut held = 0;
    for op in open_operations_of_party_in(conn, org_id, party_id)? {
        let already: i64 = operation_holds::table
            .filter(operation_holds::org_id.eq(org_id))
            .filter(operation_holds::operation_id.eq(&op))
            .filter(operation_holds::cause.eq(HoldCause::Screening.as_str()))
            .filter(operation_holds::released_at.is_null())
            .count()
            .get_result(conn)?;
        if already > 0 {
            continue;
        }
        insert_hold_in(
            conn,
            org_id,
            actor,
            &op,
            HoldCause::Screening,
            &json!({"party": party_id, "hits": hits}),
        )?;
        held += 1;
    }
    Ok(held)
}

/// A stored entry row: its id, content hash and the entry.
fn load_entries(
    conn: &mut DbConnection,
    import_id: i64,
) -> Result<Vec<(String, ListEntry)>, StoreError> {
    let rows: Vec<(i64, String)> = list_entries::table
        .filter(list_entries::import_id.eq(import_id))
        .order(list_entries::seq.asc())
        .select((list_entries::seq, list_entries::data))
        .load(conn)?;
    rows.into_iter()
        .map(|(seq, data)| {
            let e: ListEntry =
                serde_json::from_str(&data).map_err(|source| StoreError::Corrupt {
                    import: import_id,
                    seq,
                    source,
                })?;
            Ok((entry_hash(&e), e))
        })
        .collect()
}

/// Searches every party in `index`, on all cores.
fn search_all(
    index: &Index,
    parties: &[(String, String, String, String)],
    floor: f64,
) -> Vec<Vec<FoundHit>> {
    let threads = std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, 16);
    let chunk = parties.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = parties
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(_, _, name, country)| search_floor(index, name, country, floor))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

impl Store {
    /// Records the screening of a party of the scope's organisation (`found`: its hits against
    /// the served `lists`, from [`search_party`]), replacing the one before: decisions on
    /// entries whose content changed lapse; a new alerting hit holds the party's open
    /// operations. Audited (`party.screened`, `party.hit`, `hit.clearance_lapsed`).
    ///
    /// # Errors
    /// [`RecordError::Forbidden`] for a role that may not enter records,
    /// [`RecordError::NotFound`], a database failure.
    pub fn screen_party(
        &self,
        scope: &OrgScope,
        party_id: &str,
        lists: &[ListRef],
        found: &[FoundHit],
        today: time::Date,
    ) -> Result<ScreeningView, RecordError> {
        may(scope, Action::Enter)?;
        self.write_tx(|c| {
            let n: i64 = parties::table
                .filter(parties::org_id.eq(scope.org_id()))
                .filter(parties::id.eq(party_id))
                .count()
                .get_result(c)?;
            if n == 0 {
                return Err(RecordError::NotFound);
            }
            replace_hits_in(
                c,
                scope.org_id(),
                scope.user_id(),
                party_id,
                lists,
                found,
                today,
                false,
            )?;
            Ok(ScreeningView {
                screening: party_screenings::table
                    .filter(party_screenings::party_id.eq(party_id))
                    .select(PartyScreening::as_select())
                    .first(c)
                    .optional()?,
                hits: reviewed_hits_in(c, scope.org_id(), party_id, today)?,
            })
        })
    }

    /// Changes a party of the scope's organisation (audited: `party.updated`); the caller
    /// screens it again ([`Store::screen_party`]).
    ///
    /// # Errors
    /// [`RecordError::Forbidden`], [`RecordError::NotFound`], a bad field, a database failure.
    pub fn update_party(
        &self,
        scope: &OrgScope,
        party_id: &str,
        new: &NewParty<'_>,
    ) -> Result<Party, RecordError> {
        may(scope, Action::Enter)?;
        let invalid = |field: &'static str, reason: &str| RecordError::Invalid {
            field,
            reason: reason.to_owned(),
        };
        if !PARTY_ROLES.contains(&new.role) {
            return Err(invalid("role", "a party role of the contract"));
        }
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(invalid("name", "1 to 200 characters"));
        }
        let country = new.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid("country", "an ISO 3166-1 alpha-2 code, e.g. FR"));
        }
        let notes = new.notes.trim();
        if notes.chars().count() > 10_000 {
            return Err(invalid("notes", "at most 10000 characters"));
        }
        self.write_tx(|c| {
            let before: Party = parties::table
                .filter(parties::org_id.eq(scope.org_id()))
                .filter(parties::id.eq(party_id))
                .select(Party::as_select())
                .first(c)
                .optional()?
                .ok_or(RecordError::NotFound)?;
            diesel::update(parties::table.filter(parties::id.eq(party_id)))
                .set((
                    parties::role.eq(new.role),
                    parties::name.eq(name),
                    parties::country.eq(&country),
                    parties::notes.eq(notes),
                ))
                .execute(c)?;
            audit(
                c,
                scope.org_id(),
                scope.user_id(),
                "party.updated",
                format!("party:{party_id}"),
                json!({
                    "before": {"role": before.role, "name": before.name, "country": before.country},
                    "after": {"role": new.role, "name": name, "country": country},
                }),
            )?;
            Ok(Party {
                role: new.role.to_owned(),
                name: name.to_owned(),
                country,
                notes: notes.to_owned(),
                ..before
            })
        })
    }

    /// The latest screening of a party of the scope's organisation, with its reviewed hits
    /// (`None`: no such party in the organisation).
    ///
    /// # Errors
    /// A database failure.
    pub fn party_screening(
        &self,
        scope: &OrgScope,
        party_id: &str,
        today: time::Date,
    ) -> Result<Option<(Party, ScreeningView)>, StoreError> {
        let mut conn = self.conn()?;
        let c: &mut DbConnection = &mut conn;
        let Some(party) = parties::table
            .filter(parties::org_id.eq(scope.org_id()))
            .filter(parties::id.eq(party_id))
            .select(Party::as_select())
            .first(c)
            .optional()?
        else {
            return Ok(None);
        };
        let screening = party_screenings::table
            .filter(party_screenings::org_id.eq(scope.org_id()))
            .filter(party_screenings::party_id.eq(party_id))
            .select(PartyScreening::as_select())
            .first(c)
            .optional()?;
        let hits = reviewed_hits_in(c, scope.org_id(), party_id, today)?;
        Ok(Some((party, ScreeningView { screening, hits })))
    }

    /// The screening of every party of the scope's organisation, by party id.
    ///
    /// # Errors
    /// A database failure.
    pub fn party_screenings(
        &self,
        scope: &OrgScope,
        today: time::Date,
    ) -> Result<BTreeMap<String, ScreeningView>, StoreError> {
        let mut conn = self.conn()?;
        let c: &mut DbConnection = &mut conn;
        let rows: Vec<PartyScreening> = party_screenings::table
            .filter(party_screenings::org_id.eq(scope.org_id()))
            .select(PartyScreening::as_select())
            .load(c)?;
        let hits: Vec<PartyHit> = party_hits::table
            .filter(party_hits::org_id.eq(scope.org_id()))
            .select(PartyHit::as_select())
            .load(c)?;
        let decisions: Vec<Clearance> = hit_clearances::table
            .filter(hit_clearances::org_id.eq(scope.org_id()))
            .order((hit_clearances::decided_at.desc(), hit_clearances::id.desc()))
            .select(Clearance::as_select())
            .load(c)?;
        let mut out: BTreeMap<String, ScreeningView> = rows
            .into_iter()
            .map(|r| {
                (
                    r.party_id.clone(),
                    ScreeningView {
                        screening: Some(r),
                        hits: Vec::new(),
                    },
                )
            })
            .collect();
        for h in assemble(hits, decisions, today) {
            if let Some(v) = out.get_mut(&h.hit.party_id) {
                v.hits.push(h);
            }
        }
        Ok(out)
    }

    /// The parties of the scope's organisation that a list import gave new open hits, newest
    /// first, with their number of open alerts.
    ///
    /// # Errors
    /// A database failure.
    pub fn parties_with_new_hits(
        &self,
        scope: &OrgScope,
        today: time::Date,
    ) -> Result<Vec<(Party, PartyScreening, usize)>, StoreError> {
        let mut conn = self.conn()?;
        let c: &mut DbConnection = &mut conn;
        let rows: Vec<PartyScreening> = party_screenings::table
            .filter(party_screenings::org_id.eq(scope.org_id()))
            .filter(party_screenings::new_hits_at.is_not_null())
            .order(party_screenings::new_hits_at.desc())
            .select(PartyScreening::as_select())
            .load(c)?;
        let mut out = Vec::new();
        for r in rows {
            let open = ScreeningView {
                screening: None,
                hits: reviewed_hits_in(c, scope.org_id(), &r.party_id, today)?,
            }
            .open_alerts();
            if open == 0 {
                continue;
            }
            if let Some(p) = parties::table
                .filter(parties::org_id.eq(scope.org_id()))
                .filter(parties::id.eq(&r.party_id))
                .select(Party::as_select())
                .first(c)
                .optional()?
            {
                out.push((p, r, open));
            }
        }
        Ok(out)
    }

    /// Clears a hit as a false match, or confirms it, for the entry's present content (audited:
    /// `hit.cleared`, `hit.confirmed`). Needs a role that may decide.
    ///
    /// # Errors
    /// [`RecordError::Forbidden`], [`RecordError::NotFound`] (no such hit of that party in the
    /// organisation), [`RecordError::Invalid`] (`reason`: empty or too long; `expires_on`: not
    /// a date, before `today`, or given for a confirmation), a database failure.
    pub fn decide_hit(
        &self,
        scope: &OrgScope,
        party_id: &str,
        hit_id: &str,
        new: &NewClearance<'_>,
        today: time::Date,
    ) -> Result<Clearance, RecordError> {
        may(scope, Action::Decide)?;
        let reason = new.reason.trim();
        if reason.is_empty() || reason.chars().count() > 10_000 {
            return Err(RecordError::Invalid {
                field: "reason",
                reason: "a reason is required (at most 10000 characters)".to_owned(),
            });
        }
        let expires = new.expires_on.trim();
        let expires_on = if expires.is_empty() {
            None
        } else {
            match parse_date(expires) {
                Some(d) if d >= today && new.decision == HitDecision::FalseMatch => {
                    Some(expires.to_owned())
                }
                _ => {
                    return Err(RecordError::Invalid {
                        field: "expires_on",
                        reason: "a date YYYY-MM-DD, today or later (clearances only)".to_owned(),
                    });
                }
            }
        };
        self.write_tx(|c| {
            let hit: PartyHit = party_hits::table
                .filter(party_hits::org_id.eq(scope.org_id()))
                .filter(party_hits::party_id.eq(party_id))
                .filter(party_hits::id.eq(hit_id))
                .select(PartyHit::as_select())
                .first(c)
                .optional()?
                .ok_or(RecordError::NotFound)?;
            let clearance = Clearance {
                id: new_id()?,
                org_id: scope.org_id().to_owned(),
                party_id: party_id.to_owned(),
                list_source: hit.list_source.clone(),
                entry_id: hit.entry_id.clone(),
                entry_hash: hit.entry_hash.clone(),
                decision: new.decision.as_str().to_owned(),
                reason: reason.to_owned(),
                expires_on,
                decided_by: scope.user_id().to_owned(),
                decided_at: now_micros(),
                lapsed_at: None,
            };
            diesel::insert_into(hit_clearances::table)
                .values((
                    hit_clearances::id.eq(&clearance.id),
                    hit_clearances::org_id.eq(&clearance.org_id),
                    hit_clearances::party_id.eq(&clearance.party_id),
                    hit_clearances::list_source.eq(&clearance.list_source),
                    hit_clearances::entry_id.eq(&clearance.entry_id),
                    hit_clearances::entry_hash.eq(&clearance.entry_hash),
                    hit_clearances::decision.eq(&clearance.decision),
                    hit_clearances::reason.eq(&clearance.reason),
                    hit_clearances::expires_on.eq(&clearance.expires_on),
                    hit_clearances::decided_by.eq(&clearance.decided_by),
                    hit_clearances::decided_at.eq(clearance.decided_at),
                ))
                .execute(c)?;
            let action = match new.decision {
                HitDecision::FalseMatch => "hit.cleared",
                HitDecision::ConfirmedMatch => "hit.confirmed",
            };
            audit(
                c,
                scope.org_id(),
                scope.user_id(),
                action,
                format!("party:{party_id}"),
                json!({
                    "hit": hit.id,
                    "clearance": clearance.id,
                    "list": hit.list_source,
                    "version": hit.list_version,
                    "entry_id": hit.entry_id,
                    "entry_hash": hit.entry_hash,
                    "name": hit.entry_name,
                    "score": hit.score,
                    "reason": clearance.reason,
                    "expires_on": clearance.expires_on,
                }),
            )?;
            let view = ScreeningView {
                screening: None,
                hits: reviewed_hits_in(c, scope.org_id(), party_id, today)?,
            };
            let open = i64::try_from(view.open_alerts()).unwrap_or(i64::MAX);
            let confirmed = i64::try_from(view.confirmed()).unwrap_or(i64::MAX);
            let target = party_screenings::table
                .filter(party_screenings::org_id.eq(scope.org_id()))
                .filter(party_screenings::party_id.eq(party_id));
            diesel::update(target)
                .set((
                    party_screenings::open_count.eq(open),
                    party_screenings::confirmed_count.eq(confirmed),
                ))
                .execute(c)?;
            if open == 0 {
                diesel::update(target)
                    .set(party_screenings::new_hits_at.eq(None::<i64>))
                    .execute(c)?;
            }
            Ok(clearance)
        })
    }

    /// Rescreens every party of every organisation after `import_id` (a good import) by delta:
    /// the entries added or changed since the previous good import of the same source (compared
    /// by content hash) are indexed and searched against every party's name; hits on removed
    /// entries are dropped, decisions on changed entries lapse, and a new alerting hit holds the
    /// party's open operations (actor [`SYSTEM_ACTOR`]). Parties never screened are screened in
    /// full against every served list. One transaction; one `party.screened` summary per
    /// organisation, plus the rows of each party whose hits changed.
    ///
    /// # Errors
    /// [`RecordError::NotFound`] for an unknown or failed import; a database failure.
    pub fn rescreen_after_import(
        &self,
        import_id: i64,
        today: time::Date,
    ) -> Result<RescreenReport, RecordError> {
        let mut report = RescreenReport {
            import_id,
            ..RescreenReport::default()
        };
        let (record, new_entries, previous, served) = {
            let mut conn = self.conn()?;
            let c: &mut DbConnection = &mut conn;
            let row: Option<(String, String)> = list_imports::table
                .filter(list_imports::id.eq(import_id))
                .select((list_imports::source, list_imports::status))
                .first(c)
                .optional()?;
            let Some((source, status)) = row else {
                return Err(RecordError::NotFound);
            };
            if status != "ok" {
                return Err(RecordError::NotFound);
            }
            let previous: Option<i64> = list_imports::table
                .filter(list_imports::source.eq(&source))
                .filter(list_imports::status.eq("ok"))
                .filter(list_imports::id.lt(import_id))
                .select(diesel::dsl::max(list_imports::id))
                .first(c)?;
            let new_entries = load_entries(c, import_id)?;
            let prev_entries = match previous {
                Some(p) => load_entries(c, p)?,
                None => Vec::new(),
            };
            report.previous_import = previous;
            let served = self.served_lists()?;
            let record = served
                .iter()
                .find(|r| r.id == import_id)
                .cloned()
                .or_else(|| {
                    self.import_history()
                        .ok()
                        .and_then(|h| h.into_iter().find(|r| r.id == import_id))
                })
                .ok_or(RecordError::NotFound)?;
            (record, new_entries, prev_entries, served)
        };
        let source = record.source.as_str().to_owned();
        let prev_hash: HashMap<&str, &str> = previous
            .iter()
            .map(|(h, e)| (e.entry_id.as_str(), h.as_str()))
            .collect();
        let new_ids: BTreeSet<&str> = new_entries
            .iter()
            .map(|(_, e)| e.entry_id.as_str())
            .collect();
        let mut delta: Vec<ListEntry> = Vec::new();
        let mut changed: BTreeSet<String> = BTreeSet::new();
        for (h, e) in &new_entries {
            match prev_hash.get(e.entry_id.as_str()) {
                None => {
                    report.added += 1;
                    delta.push(e.clone());
                }
                Some(old) if *old != h.as_str() => {
                    report.changed += 1;
                    changed.insert(e.entry_id.clone());
                    delta.push(e.clone());
                }
                Some(_) => {}
            }
        }
        let delta_ids: BTreeSet<String> = delta.iter().map(|e| e.entry_id.clone()).collect();
        let removed: BTreeSet<String> = prev_hash
            .keys()
            .filter(|id| !new_ids.contains(**id))
            .map(|id| (*id).to_owned())
            .collect();
        report.removed = removed.len();
        let delta_index = Index::build([LoadedList {
            meta: ListMeta {
                source: record.source,
                published: record.published.clone(),
                version: record.version.clone(),
                content_sha256: record.content_sha256.clone().unwrap_or_default(),
                entry_count: delta.len(),
                alias_count: delta.iter().map(ListEntry::alias_count).sum(),
            },
            entries: delta,
        }]);
        let lists: Vec<ListRef> = served.iter().map(ListRef::of).collect();

        let mut conn = self.conn()?;
        let c: &mut DbConnection = &mut conn;
        // Every party, with whether it was screened before.
        let all: Vec<(String, String, String, String)> = parties::table
            .select((
                parties::id,
                parties::org_id,
                parties::name,
                parties::country,
            ))
            .order(parties::id.asc())
            .load(c)?;
        let screened: BTreeSet<String> = party_screenings::table
            .select(party_screenings::party_id)
            .load::<String>(c)?
            .into_iter()
            .collect();
        // Existing hits on changed or removed entries of this source.
        let mut touched_hits: Vec<PartyHit> = Vec::new();
        let stale_ids: Vec<&String> = changed.iter().chain(removed.iter()).collect();
        for chunk in stale_ids.chunks(IN_CHUNK) {
            touched_hits.extend(
                party_hits::table
                    .filter(party_hits::list_source.eq(&source))
                    .filter(party_hits::entry_id.eq_any(chunk))
                    .select(PartyHit::as_select())
                    .load(c)?,
            );
        }
        drop(conn);
        let started = std::time::Instant::now();
        let (known, unknown): (Vec<_>, Vec<_>) =
            all.iter().cloned().partition(|p| screened.contains(&p.0));
        // The small index finds the parties with a candidate among the added or changed
        // entries; those (and the parties never screened) are searched in the whole index.
        let candidates = search_all(&delta_index, &known, DELTA_FLOOR);
        let to_search: Vec<(String, String, String, String)> = known
            .iter()
            .zip(candidates.iter())
            .filter(|(_, c)| !c.is_empty())
            .map(|(p, _)| p.clone())
            .collect();
        let (mut rescored, full_found) = if to_search.is_empty() && unknown.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let full = Index::build(self.load_served()?.into_iter().map(|s| s.list));
            (
                search_all(&full, &to_search, REVIEW_FLOOR),
                search_all(&full, &unknown, REVIEW_FLOOR),
            )
        };
        rescored.reverse();
        let delta_found: Vec<Vec<FoundHit>> = candidates
            .iter()
            .map(|c| {
                if c.is_empty() {
                    return Vec::new();
                }
                rescored
                    .pop()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|f| {
                        f.entry.list.as_str() == source && delta_ids.contains(&f.entry.entry_id)
                    })
                    .collect()
            })
            .collect();
        report.search_ms = started.elapsed().as_millis();
        report.parties = all.len();
        report.first_screenings = unknown.len();

        let import_version = record.version_label();
        self.write_tx(|c| {
            // Hits on unchanged entries: the new version.
            diesel::update(party_hits::table.filter(party_hits::list_source.eq(&source)))
                .set((
                    party_hits::import_id.eq(import_id),
                    party_hits::list_version.eq(&import_version),
                ))
                .execute(c)?;
            let lists_text = lists_json(&lists).to_string();
            diesel::update(party_screenings::table)
                .set((
                    party_screenings::lists.eq(&lists_text),
                    party_screenings::screened_at.eq(now_micros()),
                ))
                .execute(c)?;
            let mut per_org: BTreeMap<String, (usize, Replaced)> = BTreeMap::new();
            let mut touched: BTreeMap<String, Vec<&PartyHit>> = BTreeMap::new();
            for h in &touched_hits {
                touched.entry(h.party_id.clone()).or_default().push(h);
            }
            let known_found = known.iter().zip(delta_found.iter());
            for ((party_id, org_id, _, _), found) in known_found {
                let stats = per_org.entry(org_id.clone()).or_default();
                stats.0 += 1;
                let stale = touched.get(party_id);
                if found.is_empty() && stale.is_none() {
                    continue;
                }
                // The party's full set: its hits on untouched entries, and the delta's.
                let kept: Vec<PartyHit> = party_hits::table
                    .filter(party_hits::org_id.eq(org_id))
                    .filter(party_hits::party_id.eq(party_id))
                    .select(PartyHit::as_select())
                    .load(c)?;
                let mut set: Vec<FoundHit> = kept
                    .iter()
                    .filter(|h| {
                        !(h.list_source == source
                            && (changed.contains(&h.entry_id) || removed.contains(&h.entry_id)))
                    })
                    .filter_map(stored_as_found)
                    .collect();
                set.extend(found.iter().cloned());
                let r =
                    replace_hits_in(c, org_id, SYSTEM_ACTOR, party_id, &lists, &set, today, true)?;
                add(&mut stats.1, &r);
            }
            for ((party_id, org_id, _, _), found) in unknown.iter().zip(full_found.iter()) {
                let stats = per_org.entry(org_id.clone()).or_default();
                stats.0 += 1;
                let r = replace_hits_in(
                    c,
                    org_id,
                    SYSTEM_ACTOR,
                    party_id,
                    &lists,
                    found,
                    today,
                    true,
                )?;
                add(&mut stats.1, &r);
            }
            for (org_id, (parties, r)) in &per_org {
                report.new_hits += r.new_hits;
                report.dropped_hits += r.dropped;
                report.lapsed += r.lapsed;
                report.held_operations += r.held;
                audit(
                    c,
                    org_id,
                    SYSTEM_ACTOR,
                    "party.screened",
                    format!("list_import:{import_id}"),
                    json!({
                        "list": source,
                        "version": import_version,
                        "import": import_id,
                        "previous_import": report.previous_import,
                        "parties": parties,
                        "added": report.added,
                        "changed": report.changed,
                        "removed": report.removed,
                        "new_hits": r.new_hits,
                        "dropped_hits": r.dropped,
                        "lapsed": r.lapsed,
                        "held_operations": r.held,
                    }),
                )?;
            }
            Ok::<_, RecordError>(())
        })?;
        Ok(report)
    }
}

fn add(total: &mut Replaced, r: &Replaced) {
    total.new_hits += r.new_hits;
    total.dropped += r.dropped;
    total.lapsed += r.lapsed;
    total.held += r.held;
}

/// A stored hit as a found one (to keep it in a party's new set unchanged).
fn stored_as_found(h: &PartyHit) -> Option<FoundHit> {
    Some(FoundHit {
        entry: serde_json::from_str(&h.entry).ok()?,
        entry_hash: h.entry_hash.clone(),
        score: h.score,
        matched_alias: h.matched_alias.clone(),
        why: h.why.clone(),
        explanation: serde_json::from_str(&h.explanation).unwrap_or_default(),
    })
}
