//! Candidate index and entity-level search.
//!
//! No query scans the lists. Every distinct list token is a vocabulary entry with a posting list
//! of the names that contain it. A query token finds vocabulary entries through three keys:
//! - the token itself (exact and romanisation variants, which share a canonical form);
//! - its one-letter deletions (SymSpell-style: finds every token within one insertion, deletion,
//!   substitution or transposition);
//! - its consonant skeleton (finds vowel-spelling variants and Arabic/Hebrew transliterations).
//!
//! Adjacent list tokens are also indexed joined ("abdul rahman" under "abdulrahman"). Candidate
//! names are ranked by the summed rarity of their matching tokens; the best
//! [`CANDIDATES`] are scored with [`crate::score`], grouped per listed entity (best alias wins),
//! adjusted for date of birth, country, alias quality, kind and identifiers, and returned as
//! [`Hit`]s with an [`Explanation`].

use std::collections::HashMap;

use serde::Serialize;

use crate::country::country_code;
use crate::date::{BirthDate, DateAgreement};
use crate::entry::{EntityKind, ListEntry, ListMeta, ListSource, LoadedList, NameQuality};
use crate::explain::{Adjustment, Explanation};
use crate::normalise::{Token, TokenClass, normalise_name};
use crate::score::{NameComparison, PreparedName, compare, token_similarity_with};
use crate::similarity::skeleton;

/// How many candidate names are fully scored per query.
pub const CANDIDATES: usize = 128;

/// Score effects of the entity-level evidence (see [`Explanation::adjustments`]).
pub mod adjust {
    /// Same full date of birth.
    pub const DOB_EXACT: f64 = 0.05;
    /// Same year of birth (month/day unknown on one side).
    pub const DOB_YEAR: f64 = 0.03;
    /// Dates of birth more than a year apart (or same year, different day).
    pub const DOB_CONFLICT: f64 = -0.12;
    /// Country given and among the entry's countries.
    pub const COUNTRY_MATCH: f64 = 0.02;
    /// Country given, entry has countries, none matches.
    pub const COUNTRY_CONFLICT: f64 = -0.04;
    /// The matched name is a weak / low-quality alias.
    pub const WEAK_ALIAS: f64 = -0.05;
    /// The query is a person and the entry an organisation, or the reverse.
    pub const KIND_CONFLICT: f64 = -0.10;
    /// An identifier of the query equals one of the entry's.
    pub const IDENTIFIER_MATCH: f64 = 0.15;
}

/// What to screen.
#[derive(Debug, Clone, Default)]
pub struct NameQuery {
    /// The party's name, in any script.
    pub name: String,
    /// Date of birth, if known.
    pub dob: Option<BirthDate>,
    /// Country (ISO code or name), if known.
    pub country: Option<String>,
    /// Person or organisation, if known.
    pub kind: Option<EntityKind>,
    /// Passport, registration or other numbers.
    pub identifiers: Vec<String>,
}

impl NameQuery {
    /// A query with a name only.
    pub fn name(name: impl Into<String>) -> Self {
        NameQuery {
            name: name.into(),
            ..NameQuery::default()
        }
    }
}

/// One listed entity returned by a search.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// The list.
    pub list: ListSource,
    /// The list's own identifier for the entry.
    pub entry_id: String,
    /// Position of the entry in [`Index::entries`].
    pub entry_index: usize,
    /// The entry's primary name.
    pub name: String,
    /// Final score in 0..=1.
    pub score: f64,
    /// Whether `score >= ALERT_THRESHOLD`.
    pub alert: bool,
    /// Why.
    pub explanation: Explanation,
}

/// Best scored alias of one entry so far: (final score, name id, comparison, adjustments).
type Scored = (f64, u32, NameComparison, Vec<Adjustment>);

struct IndexedName {
    entry: u32,
    name: u16,
    prepared: PreparedName,
}

struct VocabEntry {
    token: Token,
    skeleton: String,
    rarity: f64,
    postings: Vec<u32>,
}

/// The in-memory screening index over one or more lists.
pub struct Index {
    lists: Vec<ListMeta>,
    entries: Vec<ListEntry>,
    entry_countries: Vec<Vec<&'static str>>,
    names: Vec<IndexedName>,
    vocab: Vec<VocabEntry>,
    vocab_ids: HashMap<String, u32>,
    keys: HashMap<u64, Vec<u32>>,
    compounds: HashMap<String, Vec<u32>>,
}

const KEY_DELETE: u8 = b'D';
const KEY_SKELETON: u8 = b'S';

fn key_hash(tag: u8, s: &[u8]) -> u64 {
    // FNV-1a: small, fast, deterministic; collisions only cost a verification.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in std::iter::once(&tag).chain(s) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn for_each_delete(token: &str, mut f: impl FnMut(&[u8])) {
    let b = token.as_bytes();
    f(b);
    if b.len() < 4 || b.len() > 40 {
        return;
    }
    let mut buf = [0u8; 40];
    for skip in 0..b.len() {
        buf[..skip].copy_from_slice(&b[..skip]);
        buf[skip..b.len() - 1].copy_from_slice(&b[skip + 1..]);
        f(&buf[..b.len() - 1]);
    }
}

fn rarity(df: usize, n: usize) -> f64 {
    if df == 0 || n < 2 {
        return 1.0;
    }
    let r = ((n as f64) / (df as f64)).ln() / (n as f64).ln();
    0.25 + 0.75 * r.clamp(0.0, 1.0)
}

impl Index {
    /// Builds the index over the given lists.
    pub fn build(lists: impl IntoIterator<Item = LoadedList>) -> Index {
        let mut metas = Vec::new();
        let mut entries = Vec::new();
        for list in lists {
            metas.push(list.meta);
            entries.extend(list.entries);
        }
        // Normalise every name once; count document frequencies.
        let mut normalised = Vec::new();
        let mut vocab: Vec<VocabEntry> = Vec::new();
        let mut vocab_ids: HashMap<String, u32> = HashMap::new();
        for (e, entry) in entries.iter().enumerate() {
            for (k, name) in entry.names.iter().enumerate().take(usize::from(u16::MAX)) {
                let norm = normalise_name(&name.full);
                if norm.tokens.is_empty() {
                    continue;
                }
                let name_id = normalised.len() as u32;
                let mut seen: Vec<u32> = Vec::new();
                for t in &norm.tokens {
                    let id = *vocab_ids.entry(t.text.clone()).or_insert_with(|| {
                        let mut s = String::new();
                        skeleton(&t.text, &mut s);
                        vocab.push(VocabEntry {
                            token: t.clone(),
                            skeleton: s,
                            rarity: 1.0,
                            postings: Vec::new(),
                        });
                        (vocab.len() - 1) as u32
                    });
                    let v = &mut vocab[id as usize];
                    v.token.abjad |= t.abjad;
                    if !seen.contains(&id) {
                        seen.push(id);
                        v.postings.push(name_id);
                    }
                }
                normalised.push((e as u32, k as u16, norm));
            }
        }
        let n = normalised.len();
        for v in &mut vocab {
            v.rarity = rarity(v.postings.len(), n);
        }
        let mut keys: HashMap<u64, Vec<u32>> = HashMap::new();
        for (id, v) in vocab.iter().enumerate() {
            let id = id as u32;
            for_each_delete(&v.token.text, |d| {
                let list = keys.entry(key_hash(KEY_DELETE, d)).or_default();
                if list.last() != Some(&id) {
                    list.push(id);
                }
            });
            if v.skeleton.len() >= 2 {
                keys.entry(key_hash(KEY_SKELETON, v.skeleton.as_bytes()))
                    .or_default()
                    .push(id);
            }
        }
        let mut compounds: HashMap<String, Vec<u32>> = HashMap::new();
        let mut names = Vec::with_capacity(n);
        for (name_id, (entry, name, norm)) in normalised.into_iter().enumerate() {
            for w in norm.tokens.windows(2) {
                if w.iter().all(|t| t.class != TokenClass::Initial) {
                    let joined = format!("{}{}", w[0].text, w[1].text);
                    compounds.entry(joined).or_default().push(name_id as u32);
                }
            }
            let prepared = PreparedName::with_rarity(norm, |t| {
                vocab_ids
                    .get(t)
                    .map_or(1.0, |&id| vocab[id as usize].rarity)
            });
            names.push(IndexedName {
                entry,
                name,
                prepared,
            });
        }
        let entry_countries = entries
            .iter()
            .map(|e| {
                let mut codes: Vec<&'static str> =
                    e.countries.iter().filter_map(|c| country_code(c)).collect();
                codes.sort_unstable();
                codes.dedup();
                codes
            })
            .collect();
        Index {
            lists: metas,
            entries,
            entry_countries,
            names,
            vocab,
            vocab_ids,
            keys,
            compounds,
        }
    }

    /// Metadata of the indexed lists.
    pub fn lists(&self) -> &[ListMeta] {
        &self.lists
    }

    /// All indexed entries.
    pub fn entries(&self) -> &[ListEntry] {
        &self.entries
    }

    /// Number of indexed names (primary names and aliases).
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// Normalises a query name with this index's token rarities.
    pub fn prepare(&self, name: &str) -> PreparedName {
        PreparedName::with_rarity(normalise_name(name), |t| {
            self.vocab_ids
                .get(t)
                .map_or(1.0, |&id| self.vocab[id as usize].rarity)
        })
    }

    /// Candidate names for a prepared query, best first, with their retrieval scores.
    fn candidates(&self, q: &PreparedName) -> Vec<(u32, f64)> {
        let mut acc: HashMap<u32, f64> = HashMap::new();
        let strong = q.tokens.iter().any(|t| matches!(t.class, TokenClass::Name));
        // A name made only of initials ("A", "J. K.") must still find itself.
        let only_initials = q.tokens.iter().all(|t| t.class == TokenClass::Initial);
        let mut seen_vocab: Vec<u32> = Vec::new();
        for (i, t) in q.tokens.iter().enumerate() {
            if (t.class == TokenClass::Initial && !only_initials)
                || (strong && t.class != TokenClass::Name)
            {
                continue;
            }
            seen_vocab.clear();
            let consider = |id: u32, seen: &mut Vec<u32>| {
                if !seen.contains(&id) {
                    seen.push(id);
                }
            };
            if let Some(&id) = self.vocab_ids.get(&t.text) {
                consider(id, &mut seen_vocab);
            }
            for_each_delete(&t.text, |d| {
                if let Some(ids) = self.keys.get(&key_hash(KEY_DELETE, d)) {
                    for &id in ids {
                        consider(id, &mut seen_vocab);
                    }
                }
            });
            if q.skeletons[i].len() >= 2
                && let Some(ids) = self
                    .keys
                    .get(&key_hash(KEY_SKELETON, q.skeletons[i].as_bytes()))
            {
                for &id in ids {
                    consider(id, &mut seen_vocab);
                }
            }
            for &id in &seen_vocab {
                let v = &self.vocab[id as usize];
                let Some((sim, _)) =
                    token_similarity_with(t, &q.skeletons[i], &v.token, &v.skeleton, false)
                else {
                    continue;
                };
                let gain = sim * v.rarity * crate::score::class_factor(v.token.class);
                for &name in &v.postings {
                    *acc.entry(name).or_insert(0.0) += gain;
                }
            }
            if let Some(names) = self.compounds.get(&t.text) {
                for &name in names {
                    *acc.entry(name).or_insert(0.0) += 1.0;
                }
            }
        }
        for w in q.tokens.windows(2) {
            let joined = format!("{}{}", w[0].text, w[1].text);
            if let Some(&id) = self.vocab_ids.get(&joined) {
                let v = &self.vocab[id as usize];
                for &name in &v.postings {
                    *acc.entry(name).or_insert(0.0) += v.rarity;
                }
            }
        }
        let mut ranked: Vec<(u32, f64)> = acc.into_iter().collect();
        let k = CANDIDATES.min(ranked.len());
        if k < ranked.len() {
            ranked.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            ranked.truncate(k);
        }
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    }

    /// Screens one party. Returns at most `limit` entities, best first, each with its best alias.
    /// Hits below `min_score` are dropped (use 0.0 to see everything the index retrieved).
    pub fn search(&self, query: &NameQuery, limit: usize, min_score: f64) -> Vec<Hit> {
        let q = self.prepare(&query.name);
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        let query_country = query.country.as_deref().and_then(country_code);
        let mut best: HashMap<u32, Scored> = HashMap::new();
        for (name_id, _) in self.candidates(&q) {
            let Some(indexed) = self.names.get(name_id as usize) else {
                continue;
            };
            let cmp = compare(&q, &indexed.prepared);
            if cmp.score <= 0.0 {
                continue;
            }
            let adjustments = self.adjustments(query, query_country, indexed);
            let score =
                (cmp.score + adjustments.iter().map(|a| a.delta).sum::<f64>()).clamp(0.0, 1.0);
            let better = best.get(&indexed.entry).is_none_or(|(s, ..)| score > *s);
            if better {
                best.insert(indexed.entry, (score, name_id, cmp, adjustments));
            }
        }
        let mut hits: Vec<(u32, Scored)> = best
            .into_iter()
            .filter(|(_, (s, ..))| *s >= min_score)
            .collect();
        hits.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then(a.0.cmp(&b.0)));
        hits.truncate(limit);
        hits.into_iter()
            .filter_map(|(entry_idx, (score, name_id, cmp, adjustments))| {
                let entry = self.entries.get(entry_idx as usize)?;
                let indexed = self.names.get(name_id as usize)?;
                let name = entry.names.get(usize::from(indexed.name))?;
                Some(Hit {
                    list: entry.list,
                    entry_id: entry.entry_id.clone(),
                    entry_index: entry_idx as usize,
                    name: entry.primary_name().to_owned(),
                    score,
                    alert: score >= crate::score::ALERT_THRESHOLD,
                    explanation: Explanation {
                        matched_alias: name.full.clone(),
                        alias_quality: name.quality,
                        name_score: cmp.score,
                        tokens: cmp.token_matches(&q, &indexed.prepared),
                        unmatched_query: cmp.unmatched(&q, true),
                        unmatched_list: cmp.unmatched(&indexed.prepared, false),
                        order_penalty: cmp.order_penalty,
                        conflict_penalty: cmp.conflict_penalty,
                        adjustments,
                    },
                })
            })
            .collect()
    }

    fn adjustments(
        &self,
        query: &NameQuery,
        query_country: Option<&str>,
        indexed: &IndexedName,
    ) -> Vec<Adjustment> {
        let mut out = Vec::new();
        let Some(entry) = self.entries.get(indexed.entry as usize) else {
            return out;
        };
        if let Some(name) = entry.names.get(usize::from(indexed.name))
            && name.quality == NameQuality::Weak
        {
            out.push(Adjustment {
                reason: "weak alias".into(),
                delta: adjust::WEAK_ALIAS,
            });
        }
        if let Some(dob) = &query.dob {
            let best = entry
                .dates_of_birth
                .iter()
                .map(|d| (d.agreement(dob), d))
                .max_by_key(|x| x.0);
            if let Some((agreement, listed)) = best {
                let (delta, what) = match agreement {
                    DateAgreement::Exact => (adjust::DOB_EXACT, "matches"),
                    DateAgreement::Year => (adjust::DOB_YEAR, "same year as"),
                    DateAgreement::Near => (0.0, "within a year of"),
                    DateAgreement::Conflict => (adjust::DOB_CONFLICT, "conflicts with"),
                };
                out.push(Adjustment {
                    reason: format!("date of birth {dob} {what} listed {listed}"),
                    delta,
                });
            }
        }
        if let Some(code) = query_country {
            let listed = self
                .entry_countries
                .get(indexed.entry as usize)
                .map_or(&[][..], Vec::as_slice);
            if listed.contains(&code) {
                out.push(Adjustment {
                    reason: format!("country {code} listed"),
                    delta: adjust::COUNTRY_MATCH,
                });
            } else if !listed.is_empty() {
                out.push(Adjustment {
                    reason: format!("country {code} not among listed {}", listed.join("/")),
                    delta: adjust::COUNTRY_CONFLICT,
                });
            }
        }
        if let Some(kind) = query.kind {
            let conflict = matches!(
                (kind, entry.kind),
                (
                    EntityKind::Person,
                    EntityKind::Organisation | EntityKind::Vessel | EntityKind::Aircraft
                ) | (
                    EntityKind::Organisation | EntityKind::Vessel | EntityKind::Aircraft,
                    EntityKind::Person
                )
            );
            if conflict {
                out.push(Adjustment {
                    reason: format!("query is {kind:?}, entry is {:?}", entry.kind),
                    delta: adjust::KIND_CONFLICT,
                });
            }
        }
        let id_key = |s: &str| -> String {
            s.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_uppercase()
        };
        for qid in &query.identifiers {
            let k = id_key(qid);
            if k.len() >= 4 && entry.identifiers.iter().any(|i| id_key(&i.value) == k) {
                out.push(Adjustment {
                    reason: format!("identifier {qid} listed"),
                    delta: adjust::IDENTIFIER_MATCH,
                });
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{ListEntry, LoadedList};

    fn list(names: &[(&str, &[&str])]) -> LoadedList {
        let entries = names
            .iter()
            .enumerate()
            .map(|(i, (primary, aliases))| {
                let mut e = ListEntry::new(ListSource::Csv, format!("E{i}"), EntityKind::Person);
                e.push_name(primary, NameQuality::Primary);
                for a in *aliases {
                    e.push_name(a, NameQuality::Strong);
                }
                e
            })
            .collect();
        LoadedList::new(ListSource::Csv, b"test", None, None, entries)
    }

    fn index() -> Index {
        Index::build([list(&[
            ("Saddam Hussein Al-Tikriti", &["Abu Ali"]),
            ("Vladimir Vladimirovich Putin", &["Владимир Путин"]),
            ("Usama bin Laden", &["Osama bin Ladin"]),
            ("John Smith", &[]),
            ("Romashka LLC", &[]),
        ])])
    }

    #[test]
    fn exact_name_is_the_top_hit_with_score_one() {
        let hits = index().search(&NameQuery::name("John Smith"), 5, 0.0);
        assert_eq!(
            hits.first().map(|h| (h.entry_id.as_str(), h.score)),
            Some(("E3", 1.0))
        );
    }

    #[test]
    fn typo_query_finds_entry_through_deletion_keys() {
        let hits = index().search(&NameQuery::name("Sadam Husein"), 5, 0.0);
        assert_eq!(hits.first().map(|h| h.entry_id.as_str()), Some("E0"));
    }

    #[test]
    fn hits_are_grouped_per_entity_with_the_best_alias() {
        let hits = index().search(&NameQuery::name("Osama bin Ladin"), 5, 0.0);
        assert_eq!(hits.iter().filter(|h| h.entry_id == "E2").count(), 1);
        assert_eq!(hits[0].explanation.matched_alias, "Osama bin Ladin");
    }

    #[test]
    fn cyrillic_query_finds_the_latin_entry() {
        let hits = index().search(&NameQuery::name("Путин Владимир"), 5, 0.0);
        assert_eq!(hits.first().map(|h| h.entry_id.as_str()), Some("E1"));
        assert!(hits[0].alert, "{:?}", hits[0]);
    }

    #[test]
    fn conflicting_date_of_birth_lowers_the_score_and_says_so() {
        let mut e = ListEntry::new(ListSource::Un, "X1", EntityKind::Person);
        e.push_name("Ali Hassan", NameQuality::Primary);
        e.dates_of_birth.push(BirthDate::year(1950));
        let idx = Index::build([LoadedList::new(ListSource::Un, b"x", None, None, vec![e])]);
        let mut q = NameQuery::name("Ali Hassan");
        q.dob = Some(BirthDate::year(1990));
        let hits = idx.search(&q, 1, 0.0);
        assert!((hits[0].score - (1.0 + adjust::DOB_CONFLICT)).abs() < 1e-9);
        assert!(
            hits[0]
                .explanation
                .to_string()
                .contains("conflicts with listed 1950")
        );
    }

    #[test]
    fn legal_form_alone_retrieves_nothing_when_the_query_has_a_name() {
        let hits = index().search(&NameQuery::name("Acme LLC"), 5, 0.0);
        assert!(hits.is_empty(), "{hits:?}");
    }
}
