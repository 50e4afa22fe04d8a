//! `classify`: from a product sheet in the vendor's words, rank the Annex I entries that may apply,
//! say why, ask the questions that would settle it, and read the product against the Art. 2(20)
//! definition of cyber-surveillance items.
//!
//! Ranking is text retrieval ([`index`]), then the answers given in `facts` narrow it: a note or
//! decontrol note whose fact is true rules an entry out, a criterion answered "no" rules it out,
//! all criteria answered "yes" confirm it.

pub mod index;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::assess::input::ItemKind;
use crate::assess::{FieldError, InputError};
use crate::law::{ControlCode, Entry, FactType, Group, Law, Test};
use crate::text::fold;

/// A fact's value in a product sheet.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FactValue {
    /// Yes / no.
    Bool(bool),
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

/// The ITEM input of the classification contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemSheet {
    /// The product in the vendor's words.
    pub description: String,
    /// Hardware, software or technology.
    #[serde(default)]
    pub kind: Option<ItemKind>,
    /// Answers to questions, by fact id.
    #[serde(default)]
    pub facts: BTreeMap<String, FactValue>,
}

/// Met / not met / unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Tri {
    /// Met.
    Met,
    /// Not met.
    NotMet,
    /// Unknown.
    Unknown,
}

/// The Art. 2(20) reading, criterion by criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Art220 {
    /// Specially designed (for surveillance).
    pub specially_designed: Tri,
    /// Covert surveillance of natural persons.
    pub covert_surveillance_of_natural_persons: Tri,
    /// Data from information and telecommunication systems.
    pub ict_data: Tri,
}

/// A candidate entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Candidate {
    /// Annex I code.
    pub entry: String,
    /// Heading.
    pub title: String,
    /// Relevance, 0–1.
    pub score: f64,
    /// Why it was found and what the facts say.
    pub why: Vec<String>,
    /// A listed cyber-surveillance item.
    pub cyber_surveillance: bool,
}

/// An entry ruled out by the facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuledOut {
    /// Annex I code.
    pub entry: String,
    /// Why.
    pub why: String,
}

/// A question whose answer would settle the classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    /// The fact id to answer in `facts`.
    pub fact: String,
    /// The question.
    pub text: String,
}

/// The classification (the contract's output, plus `ruled_out` and `art_2_20_reasons`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Classification {
    /// Candidates, best first.
    pub candidates: Vec<Candidate>,
    /// `yes`, `no` or `possible`.
    pub cyber_surveillance: String,
    /// Art. 2(20), criterion by criterion.
    pub art_2_20: Art220,
    /// Why the Art. 2(20) reading is what it is.
    pub art_2_20_reasons: Vec<String>,
    /// The best candidate is in Annex IV (intra-EU transfers need a licence).
    pub annex_iv: bool,
    /// Questions, most useful first.
    pub questions: Vec<Question>,
    /// Entries the facts ruled out.
    pub ruled_out: Vec<RuledOut>,
    /// Law version.
    pub law_version: String,
}

/// Candidates scoring below this share of the best are not shown.
pub const MIN_SCORE: f64 = 0.15;
/// Candidates scoring below this are not shown, however good they are relative to the others:
/// with no trade term found, it takes a BM25 score of about 12.5 (half of [`BM25_FULL`]'s share)
/// to pass. Measured on the examples: unrelated products top out at 8–12, real matches at 14–40.
pub const MIN_ABSOLUTE: f64 = 0.25;
/// Share of an entry's score carried to the related entries of the product's kind (a software
/// product matching 5A001.j text points at 5D001 software for it); below 1 so direct evidence wins.
const CROSS_KIND_CARRY: f64 = 0.6;
/// Score from which the best candidate, if a listed cyber-surveillance entry, is taken to answer
/// the Art. 2(20) elements the description leaves open.
const STRONG_CYBER_SCORE: f64 = 0.7;
/// A heading (an entry with sub-items) ranks below its sub-items at equal evidence: its text
/// gathers their words, and the sub-item is the answer a lawyer needs.
const HEADING_FACTOR: f64 = 0.85;
/// A heading ranks below its best sub-item when that sub-item has at least this share of its score.
const SPECIFIC_SHARE: f64 = 0.75;
/// "Software (technology) for the development, production or use of …" entries rank below the
/// entry for the product itself at equal evidence.
const FOR_ENTRY_FACTOR: f64 = 0.95;
/// An entry whose note the description suggests applies (e.g. QoS for 5A001.j) is demoted by
/// this factor until the fact is answered.
const SUGGESTED_RELEASE_FACTOR: f64 = 0.35;
/// The BM25 score that counts as full text similarity (examples' true matches score 15–40).
const BM25_FULL: f64 = 30.0;
/// At most this many candidates are shown.
pub const MAX_CANDIDATES: usize = 8;

fn check_facts(law: &Law, sheet: &ItemSheet) -> Result<(), InputError> {
    let mut errors = Vec::new();
    if sheet.description.trim().is_empty() {
        errors.push(FieldError {
            path: "description".into(),
            message: "empty (expected the product described in the vendor's words)".into(),
        });
    }
    for (k, v) in &sheet.facts {
        let path = format!("facts.{k}");
        let Some(def) = law.fact(k) else {
            let mut near: Vec<(usize, &str)> = law
                .facts()
                .map(|f| (strsim::levenshtein(k, &f.id), f.id.as_str()))
                .collect();
            near.sort_unstable();
            let near: Vec<&str> = near.into_iter().take(3).map(|(_, id)| id).collect();
            errors.push(FieldError {
                path,
                message: format!("unknown fact `{k}`; nearest: {}", near.join(", ")),
            });
            continue;
        };
        let ok = matches!(
            (def.kind, v),
            (FactType::Bool, FactValue::Bool(_))
                | (FactType::Number, FactValue::Number(_))
                | (FactType::Text, FactValue::Text(_))
        );
        if !ok {
            let want = match def.kind {
                FactType::Bool => "true or false",
                FactType::Number => "a number",
                FactType::Text => "a string",
            };
            errors.push(FieldError {
                path,
                message: format!("expected {want}"),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(InputError { errors })
    }
}

fn fact_bool(sheet: &ItemSheet, id: &str) -> Option<bool> {
    match sheet.facts.get(id) {
        Some(FactValue::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// Evaluates one criterion: Some(true/false) when the fact is answered.
fn criterion(sheet: &ItemSheet, fact: &str, test: &Test) -> Option<bool> {
    match (test, sheet.facts.get(fact)?) {
        (Test::IsTrue, FactValue::Bool(b)) => Some(*b),
        (Test::Compare { op, value, .. }, FactValue::Number(n)) => Some(op.holds(*n, *value)),
        _ => None,
    }
}

/// True when the description contains a word the fact lists as suggesting it is true.
fn suggests(law: &Law, folded: &str, fact: &str) -> bool {
    law.fact(fact)
        .is_some_and(|f| !f.indicators.is_empty() && !f.indicators.found_in(folded).is_empty())
}

fn wanted_groups(kind: Option<ItemKind>) -> &'static [Group] {
    match kind {
        Some(ItemKind::Hardware) => &[Group::Equipment, Group::TestEquipment, Group::Materials],
        Some(ItemKind::Software) => &[Group::Software],
        Some(ItemKind::Technology) => &[Group::Technology],
        None => &[],
    }
}

fn looks_french(folded: &str) -> bool {
    let count = |words: &[&str]| {
        words
            .iter()
            .map(|w| folded.matches(&format!(" {w} ")).count())
            .sum::<usize>()
    };
    count(&[
        "le", "la", "les", "des", "du", "pour", "est", "une", "et", "dans", "avec",
    ]) > count(&["the", "and", "for", "is", "with", "of", "to", "a", "in"])
}

/// What the facts say about one entry's own criteria.
struct Evaluation<'a> {
    /// Ruled out, and why.
    excluded: Option<String>,
    /// Criteria answered "met".
    met: Vec<&'a str>,
    /// Every criterion needed is met (vacuously true without criteria).
    satisfied: bool,
    /// The entry has criteria of its own.
    has_criteria: bool,
}

fn evaluate<'a>(sheet: &ItemSheet, e: &'a Entry) -> Evaluation<'a> {
    let results: Vec<(Option<bool>, &str)> = e
        .criteria
        .iter()
        .map(|c| (criterion(sheet, &c.fact, &c.test), c.text.as_str()))
        .collect();
    let met: Vec<&str> = results
        .iter()
        .filter(|(r, _)| *r == Some(true))
        .map(|(_, t)| *t)
        .collect();
    let has_criteria = !results.is_empty();
    if e.match_all {
        if let Some((_, text)) = results.iter().find(|(r, _)| *r == Some(false)) {
            return Evaluation {
                excluded: Some(format!("criterion not met: {text}")),
                met,
                satisfied: false,
                has_criteria,
            };
        }
        let satisfied = met.len() == results.len();
        Evaluation {
            excluded: None,
            met,
            satisfied,
            has_criteria,
        }
    } else {
        if has_criteria && results.iter().all(|(r, _)| *r == Some(false)) {
            return Evaluation {
                excluded: Some("none of its alternative criteria is met".to_owned()),
                met,
                satisfied: false,
                has_criteria,
            };
        }
        let satisfied = !has_criteria || !met.is_empty();
        Evaluation {
            excluded: None,
            met,
            satisfied,
            has_criteria,
        }
    }
}

struct Scored<'a> {
    entry: &'a Entry,
    score: f64,
    why: Vec<String>,
}

/// Classifies a product sheet.
///
/// # Errors
/// [`InputError`] when a fact is unknown or of the wrong type, or the description is empty.
pub fn classify(law: &Law, sheet: &ItemSheet) -> Result<Classification, InputError> {
    check_facts(law, sheet)?;
    let folded = fold(&sheet.description);
    let french = looks_french(&folded);
    let wanted = wanted_groups(sheet.kind);

    // 1. Retrieval.
    let hits = law.index.search(&sheet.description, 60);
    let mut scored: BTreeMap<ControlCode, Scored<'_>> = BTreeMap::new();
    for h in hits {
        let Some(entry) = law.entry(&h.code) else {
            continue;
        };
        let mut why = Vec::new();
        let mut s = (f64::from(h.bm25) / BM25_FULL).min(1.0) * 0.6;
        if !h.phrases.is_empty() {
            s += 0.4 + 0.1 * (h.phrases.len() as f64 - 1.0).min(3.0);
            why.push(format!(
                "mentions {}",
                h.phrases
                    .iter()
                    .map(|p| format!("\"{p}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if h.bm25 > 0.0 {
            why.push(format!(
                "words shared with the entry's text (BM25 {:.1})",
                h.bm25
            ));
        }
        scored.insert(
            h.code.clone(),
            Scored {
                entry,
                score: s,
                why,
            },
        );
    }

    // 2. Kind: software for listed equipment sits in the D entries the equipment points to.
    if !wanted.is_empty() {
        let mismatched: Vec<(ControlCode, f64)> = scored
            .iter()
            .filter(|(c, _)| !wanted.contains(&c.group()))
            .map(|(c, s)| (c.clone(), s.score))
            .collect();
        for (code, score) in mismatched {
            let related: Vec<ControlCode> = law
                .entry(&code)
                .map(|e| {
                    e.see_also
                        .iter()
                        .filter(|r| wanted.contains(&r.group()))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            for r in related {
                if let Some(e) = law.entry(&r) {
                    let entry = scored.entry(r.clone()).or_insert_with(|| Scored {
                        entry: e,
                        score: 0.0,
                        why: Vec::new(),
                    });
                    let carried = score * CROSS_KIND_CARRY;
                    if carried > entry.score {
                        entry.score = carried;
                    }
                    entry.why.push(format!(
                        "the product is {} related to {code}, which the description matches",
                        kind_words(sheet.kind)
                    ));
                }
            }
            if let Some(s) = scored.get_mut(&code) {
                s.score *= 0.5;
                s.why.push(format!(
                    "{code} is a {} entry but the product is {}",
                    group_words(code.group()),
                    kind_words(sheet.kind)
                ));
            }
        }
    }

    // 3. Facts narrow.
    let mut ruled_out = Vec::new();
    let mut kept = Vec::new();
    for (code, mut s) in scored {
        let mut chain: Vec<&Entry> = vec![s.entry];
        chain.extend(law.ancestors_of(&code));
        let release = chain
            .iter()
            .flat_map(|e| e.releases.iter())
            .find(|r| fact_bool(sheet, &r.fact) == Some(true));
        if let Some(r) = release {
            ruled_out.push(RuledOut {
                entry: code.to_string(),
                why: format!("{} ({})", r.text, r.provision),
            });
            continue;
        }
        let mut excluded = None;
        let mut met: Vec<&str> = Vec::new();
        let mut all_met = true;
        let mut any_criteria = false;
        for e in &chain {
            let ev = evaluate(sheet, e);
            if let Some(why) = ev.excluded {
                excluded = Some(if e.code == code {
                    why
                } else {
                    format!("{why} (criterion of {})", e.code)
                });
                break;
            }
            met.extend(ev.met);
            any_criteria |= ev.has_criteria;
            all_met &= ev.satisfied;
        }
        if let Some(why) = excluded {
            ruled_out.push(RuledOut {
                entry: code.to_string(),
                why,
            });
            continue;
        }
        for t in &met {
            s.why.push(format!("criterion met: {t}"));
        }
        if let Some(r) = chain
            .iter()
            .flat_map(|e| e.releases.iter())
            .find(|r| !sheet.facts.contains_key(&r.fact) && suggests(law, &folded, &r.fact))
        {
            s.score *= SUGGESTED_RELEASE_FACTOR;
            s.why.push(format!(
                "the description suggests a note that takes it out: {} ({}); answer facts.{}",
                r.text, r.provision, r.fact
            ));
        }
        for cr in chain.iter().flat_map(|e| e.criteria.iter()) {
            if !sheet.facts.contains_key(&cr.fact) && suggests(law, &folded, &cr.fact) {
                s.score += 0.05;
                s.why.push(format!("the description suggests: {}", cr.text));
            }
        }
        if law.is_heading(&code) {
            s.score *= HEADING_FACTOR;
        }
        if matches!(code.group(), Group::Software | Group::Technology)
            && (s.entry.title.starts_with("Software for")
                || s.entry.title.starts_with("Technology for"))
        {
            s.score *= FOR_ENTRY_FACTOR;
        }
        if any_criteria && all_met {
            s.score = s.score * 1.5 + 0.3;
            s.why
                .push("every criterion needed is met on the facts given".to_owned());
        } else if !met.is_empty() {
            s.score += 0.1 * met.len() as f64;
        }
        kept.push(s);
    }
    let best = kept
        .iter()
        .map(|s| s.score)
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    let mut candidates: Vec<Scored<'_>> = kept
        .into_iter()
        .filter(|s| s.score / best >= MIN_SCORE && s.score >= MIN_ABSOLUTE)
        .collect();
    // The most specific answer first: a heading whose sub-item is nearly as well supported
    // (at least SPECIFIC_SHARE of its score) ranks just below that sub-item.
    let scores: Vec<(ControlCode, f64)> = candidates
        .iter()
        .map(|c| (c.entry.code.clone(), c.score))
        .collect();
    for c in &mut candidates {
        let best_child = scores
            .iter()
            .filter(|(code, _)| *code != c.entry.code && c.entry.code.covers(code))
            .map(|(_, s)| *s)
            .fold(0.0_f64, f64::max);
        if best_child >= c.score * SPECIFIC_SHARE && best_child < c.score {
            c.score = best_child * 0.99;
        }
    }
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.entry.code.cmp(&b.entry.code))
    });
    candidates.truncate(MAX_CANDIDATES);

    // 4. Questions for the best candidates.
    let mut questions: Vec<Question> = Vec::new();
    let ask = |questions: &mut Vec<Question>, fact: &str| {
        if sheet.facts.contains_key(fact) || questions.iter().any(|q| q.fact == fact) {
            return;
        }
        if let Some(def) = law.fact(fact) {
            let text = if french {
                def.question_fr
                    .clone()
                    .unwrap_or_else(|| def.question.clone())
            } else {
                def.question.clone()
            };
            questions.push(Question {
                fact: fact.to_owned(),
                text,
            });
        }
    };
    for c in candidates.iter().take(3) {
        let mut chain = vec![c.entry];
        chain.extend(law.ancestors_of(&c.entry.code));
        for cr in chain.iter().flat_map(|e| e.criteria.iter()) {
            ask(&mut questions, &cr.fact);
        }
        for r in chain.iter().flat_map(|e| e.releases.iter()) {
            ask(&mut questions, &r.fact);
        }
    }

    // 5. Art. 2(20).
    let top_cyber = candidates.first().is_some_and(|c| is_cyber(law, c.entry));
    // A strong match on a listed cyber-surveillance entry (IMSI catchers, intrusion software,
    // IP surveillance …) answers the definition by the entry's own terms, unless the
    // description or the facts say otherwise.
    let strong_cyber = candidates
        .first()
        .filter(|c| c.score >= STRONG_CYBER_SCORE && is_cyber(law, c.entry))
        .map(|c| c.entry.code.to_string());
    let mut reasons = Vec::new();
    let mut reading = |id: &str| -> Tri {
        let Some(c) = law.art_2_20().iter().find(|c| c.id == id) else {
            return Tri::Unknown;
        };
        match fact_bool(sheet, &c.fact) {
            Some(true) => {
                reasons.push(format!("{}: met (facts.{} = true)", c.text, c.fact));
                Tri::Met
            }
            Some(false) => {
                reasons.push(format!("{}: not met (facts.{} = false)", c.text, c.fact));
                Tri::NotMet
            }
            None => {
                let counter = c.counter_indicators.found_in(&folded);
                let pro = c.indicators.found_in(&folded);
                if !counter.is_empty() {
                    reasons.push(format!(
                        "{}: not met, inferred from the description ({}); confirm with facts.{}",
                        c.text,
                        counter.join(", "),
                        c.fact
                    ));
                    Tri::NotMet
                } else if !pro.is_empty() {
                    reasons.push(format!(
                        "{}: met, inferred from the description ({}); confirm with facts.{}",
                        c.text,
                        pro.join(", "),
                        c.fact
                    ));
                    Tri::Met
                } else if let Some(code) = &strong_cyber {
                    reasons.push(format!(
                        "{}: met, inferred from the classification as {code}, a listed cyber-surveillance entry; confirm with facts.{}",
                        c.text, c.fact
                    ));
                    Tri::Met
                } else {
                    Tri::Unknown
                }
            }
        }
    };
    let art = Art220 {
        specially_designed: reading("specially_designed"),
        covert_surveillance_of_natural_persons: reading("covert_surveillance_of_natural_persons"),
        ict_data: reading("ict_data"),
    };
    let all = [
        art.specially_designed,
        art.covert_surveillance_of_natural_persons,
        art.ict_data,
    ];
    let verdict = if all.contains(&Tri::NotMet) {
        "no"
    } else if all.iter().all(|t| *t == Tri::Met) {
        "yes"
    } else if art.specially_designed == Tri::Met
        || art.covert_surveillance_of_natural_persons == Tri::Met
        || top_cyber
    {
        // Data from ICT systems alone is true of almost any software: it does not make a
        // product a possible cyber-surveillance item.
        "possible"
    } else {
        "no"
    };
    if verdict == "no" && !all.contains(&Tri::NotMet) {
        reasons.push(
            "Nothing in the description or the facts suggests surveillance of persons.".to_owned(),
        );
    }
    if top_cyber && verdict != "yes" {
        reasons.push(
            "The best candidate entry is one of the listed cyber-surveillance items.".to_owned(),
        );
    }
    if verdict != "no" || top_cyber {
        for c in law.art_2_20() {
            let state = match c.id.as_str() {
                "specially_designed" => art.specially_designed,
                "covert_surveillance_of_natural_persons" => {
                    art.covert_surveillance_of_natural_persons
                }
                _ => art.ict_data,
            };
            if state == Tri::Unknown || !sheet.facts.contains_key(&c.fact) {
                ask(&mut questions, &c.fact);
            }
        }
    }
    reasons.push(
        "Art. 2(20) of Regulation (EU) 2021/821: the three elements are cumulative.".to_owned(),
    );

    let annex_iv = candidates
        .first()
        .is_some_and(|c| matches!(law.annex_iv_for(&c.entry.code, &[]), Some((_, false))));
    let candidates = candidates
        .into_iter()
        .map(|s| Candidate {
            entry: s.entry.code.to_string(),
            title: s.entry.title.clone(),
            score: (s.score.clamp(0.0, 1.0) * 1000.0).round() / 1000.0,
            why: s.why,
            cyber_surveillance: is_cyber(law, s.entry),
        })
        .collect();
    Ok(Classification {
        candidates,
        cyber_surveillance: verdict.to_owned(),
        art_2_20: art,
        art_2_20_reasons: reasons,
        annex_iv,
        questions,
        ruled_out,
        law_version: law.version().to_owned(),
    })
}

fn is_cyber(law: &Law, e: &Entry) -> bool {
    e.cyber_surveillance
        || law
            .ancestors_of(&e.code)
            .iter()
            .any(|a| a.cyber_surveillance)
}

fn kind_words(kind: Option<ItemKind>) -> &'static str {
    match kind {
        Some(ItemKind::Hardware) => "hardware",
        Some(ItemKind::Software) => "software",
        Some(ItemKind::Technology) => "technology",
        None => "an item",
    }
}

fn group_words(g: Group) -> &'static str {
    match g {
        Group::Equipment => "equipment",
        Group::TestEquipment => "test-equipment",
        Group::Materials => "materials",
        Group::Software => "software",
        Group::Technology => "technology",
    }
}

/// Parses JSON text into a product sheet, reporting the JSON path of a bad field.
///
/// # Errors
/// [`InputError`] naming the path and what was expected.
pub fn parse_item_json(text: &str) -> Result<ItemSheet, InputError> {
    crate::assess::input::parse_json(text)
}
