//! Parsing and checking the law files into a [`Law`].
//!
//! Problems are collected, not returned at the first one, so that a reviewer sees every broken
//! reference of a change at once.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};
use time::{Date, Month};
use toml::value::Datetime;

use super::code::{ControlCode, Group};
use super::model::{
    Act, AnnexIvItem, ArmsEmbargo, Art220Criterion, Authority, Cite, CmpOp, Concern, Country,
    CountryGroup, Criterion, Duty, EndUserType, Entry, FactCondition, FactDef, FactType, InForce,
    Note, OperationType, RedFlagDef, Regime, RegimeException, RegimeKind, RegimeScope, Release,
    Rule, SectionI, Term, Test, Ugea,
};
use super::raw;
use super::{Law, LawError, Problem};

/// The date from which the Annex I version we encode (Delegated Regulation (EU) 2025/2003) is in
/// force; records of Annex I default to it.
pub const ANNEX_I_FROM: (i32, Month, u8) = (2025, Month::November, 15);

struct Loader {
    problems: Vec<Problem>,
    acts: BTreeMap<String, Act>,
    facts: BTreeMap<String, FactDef>,
    entries: BTreeMap<ControlCode, Entry>,
    notes: Vec<Note>,
    terms: Vec<Term>,
    section_i: Option<SectionI>,
    ugeas: Vec<Ugea>,
    annex_iv: Vec<AnnexIvItem>,
    countries: BTreeMap<String, Country>,
    groups: BTreeMap<String, CountryGroup>,
    embargoes: Vec<ArmsEmbargo>,
    regimes: Vec<Regime>,
    rules: BTreeMap<String, Rule>,
    art_2_20: Vec<Art220Criterion>,
    authorities: BTreeMap<String, Authority>,
    red_flags: BTreeMap<String, RedFlagDef>,
    // Raw records kept until every file is read, so cross-references can be checked.
    raw_part_i: Vec<(String, raw::PartIFile)>,
    raw_entries: Vec<(String, raw::RawEntry)>,
    raw_annex_ii: Option<(String, raw::AnnexIiFile)>,
    raw_annex_iv: Option<(String, raw::AnnexIvFile)>,
    raw_countries: Option<(String, raw::CountriesFile)>,
    raw_sanctions: Option<(String, raw::SanctionsFile)>,
    raw_rules: Option<(String, raw::RulesFile)>,
    raw_red_flags: Option<(String, raw::RedFlagsFile)>,
    raw_fdi: Option<(String, crate::fdi::RawFdi)>,
    fdi: Option<crate::fdi::FdiRules>,
    raw_due_diligence: Option<(String, crate::due_diligence::RawCatalogue)>,
    due_diligence: Option<crate::due_diligence::Catalogue>,
}

fn date_of(dt: &Datetime) -> Option<Date> {
    let d = dt.date?;
    if dt.time.is_some() {
        return None;
    }
    Date::from_calendar_date(i32::from(d.year), Month::try_from(d.month).ok()?, d.day).ok()
}

fn annex_i_from() -> Date {
    let (y, m, d) = ANNEX_I_FROM;
    Date::from_calendar_date(y, m, d).unwrap_or(Date::MIN)
}

impl Loader {
    fn problem(&mut self, file: &str, at: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            file: file.to_owned(),
            at: at.to_owned(),
            message: message.into(),
        });
    }

    fn parse<T: serde::de::DeserializeOwned>(&mut self, file: &str, text: &str) -> Option<T> {
        match toml::from_str::<T>(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let at = e
                    .span()
                    .map(|s| {
                        let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                        format!("line {line}")
                    })
                    .unwrap_or_default();
                self.problem(file, &at, e.message().to_owned());
                None
            }
        }
    }

    fn in_force(
        &mut self,
        file: &str,
        at: &str,
        raw: Option<&raw::RawInForce>,
        default: Date,
    ) -> InForce {
        let Some(raw) = raw else {
            return InForce {
                from: default,
                until: None,
            };
        };
        let from = date_of(&raw.from).unwrap_or_else(|| {
            self.problem(file, at, "in_force.from must be a date (YYYY-MM-DD)");
            default
        });
        let until = raw.until.as_ref().and_then(|u| {
            let d = date_of(u);
            if d.is_none() {
                self.problem(file, at, "in_force.until must be a date (YYYY-MM-DD)");
            }
            d
        });
        InForce { from, until }
    }

    fn cite(&mut self, file: &str, at: &str, raw: &raw::RawCite) -> Cite {
        if !self.acts.contains_key(&raw.act) {
            self.problem(
                file,
                at,
                format!("cites act `{}`, which acts.toml does not define", raw.act),
            );
        }
        if raw.provision.trim().is_empty() {
            self.problem(file, at, "empty provision");
        }
        Cite::new(&raw.act, raw.provision.trim())
    }

    fn code(&mut self, file: &str, at: &str, s: &str) -> Option<ControlCode> {
        match ControlCode::parse(s) {
            Ok(c) => Some(c),
            Err(e) => {
                self.problem(file, at, e.to_string());
                None
            }
        }
    }

    /// A code that must resolve to a defined entry (exactly, or through an ancestor when the
    /// category is encoded as headings only).
    fn known_code(&mut self, file: &str, at: &str, s: &str) -> Option<ControlCode> {
        let code = self.code(file, at, s)?;
        if self.entries.contains_key(&code) {
            return Some(code);
        }
        let ancestor = code
            .ancestors()
            .into_iter()
            .find_map(|a| self.entries.get(&a).map(|e| e.detailed));
        match ancestor {
            Some(false) => Some(code),
            Some(true) => {
                self.problem(
                    file,
                    at,
                    format!(
                        "Annex I entry `{code}` is not defined (its category is encoded in full)"
                    ),
                );
                None
            }
            None => {
                self.problem(file, at, format!("Annex I entry `{code}` is not defined"));
                None
            }
        }
    }

    fn fact_ref(&mut self, file: &str, at: &str, fact: &str) {
        if !self.facts.contains_key(fact) {
            self.problem(
                file,
                at,
                format!("fact `{fact}` is not defined in law/facts/*.toml"),
            );
        }
    }

    fn country_ref(&mut self, file: &str, at: &str, code: &str) -> bool {
        if self.countries.contains_key(code) {
            true
        } else {
            self.problem(
                file,
                at,
                format!("country `{code}` is not defined in countries.toml"),
            );
            false
        }
    }

    /// Expands country-group ids and ISO codes into ISO codes.
    fn destinations(&mut self, file: &str, at: &str, list: &[String]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for d in list {
            if let Some(g) = self.groups.get(d) {
                out.extend(g.members.iter().cloned());
            } else if self.countries.contains_key(d) {
                out.insert(d.clone());
            } else {
                self.problem(
                    file,
                    at,
                    format!("`{d}` is neither a country group nor a country"),
                );
            }
        }
        out
    }

    fn read(&mut self, file: &str, text: &str) {
        match file {
            "acts.toml" => {
                if let Some(f) = self.parse::<raw::ActsFile>(file, text) {
                    for a in f.act {
                        let at = format!("act {}", a.id);
                        let in_force = self.in_force(file, &at, Some(&a.in_force), Date::MIN);
                        if self.acts.contains_key(&a.id) {
                            self.problem(file, &at, "defined twice");
                        }
                        self.acts.insert(
                            a.id.clone(),
                            Act {
                                id: a.id,
                                kind: a.kind,
                                short: a.short,
                                title: a.title,
                                url: a.url,
                                in_force,
                                verified: a.verified,
                            },
                        );
                    }
                }
            }
            f if f.starts_with("facts/") => {
                if let Some(parsed) = self.parse::<raw::FactsFile>(file, text) {
                    for fact in parsed.fact {
                        let at = format!("fact {}", fact.id);
                        let kind = match fact.kind.as_str() {
                            "bool" => FactType::Bool,
                            "number" => FactType::Number,
                            "string" | "text" => FactType::Text,
                            other => {
                                self.problem(
                                    file,
                                    &at,
                                    format!("type `{other}` (expected bool, number or string)"),
                                );
                                FactType::Bool
                            }
                        };
                        if !is_snake(&fact.id) {
                            self.problem(file, &at, "fact ids are snake_case");
                        }
                        if self.facts.contains_key(&fact.id) {
                            self.problem(
                                file,
                                &at,
                                "defined twice (fact ids are unique across law/facts/)",
                            );
                        }
                        self.facts.insert(
                            fact.id.clone(),
                            FactDef {
                                id: fact.id,
                                kind,
                                unit: fact.unit,
                                question: fact.question,
                                question_fr: fact.question_fr,
                                indicators: super::model::Phrases::new(fact.indicators),
                            },
                        );
                    }
                }
            }
            "annex-i/part-i.toml" => {
                if let Some(p) = self.parse::<raw::PartIFile>(file, text) {
                    self.raw_part_i.push((file.to_owned(), p));
                }
            }
            f if f.starts_with("annex-i/category-") => {
                if let Some(p) = self.parse::<raw::CategoryFile>(file, text) {
                    for e in p.entry {
                        self.raw_entries.push((file.to_owned(), e));
                    }
                }
            }
            "annex-ii.toml" => {
                self.raw_annex_ii = self.parse(file, text).map(|p| (file.to_owned(), p))
            }
            "annex-iv.toml" => {
                self.raw_annex_iv = self.parse(file, text).map(|p| (file.to_owned(), p))
            }
            "countries.toml" => {
                self.raw_countries = self.parse(file, text).map(|p| (file.to_owned(), p))
            }
            "sanctions.toml" => {
                self.raw_sanctions = self.parse(file, text).map(|p| (file.to_owned(), p))
            }
            "rules.toml" => self.raw_rules = self.parse(file, text).map(|p| (file.to_owned(), p)),
            "red-flags.toml" => {
                self.raw_red_flags = self.parse(file, text).map(|p| (file.to_owned(), p))
            }
            "fr-fdi.toml" => self.raw_fdi = self.parse(file, text).map(|p| (file.to_owned(), p)),
            "due-diligence.toml" => {
                self.raw_due_diligence = self.parse(file, text).map(|p| (file.to_owned(), p))
            }
            other => self.problem(
                other,
                "",
                "unknown law file (see law/README.md for the files Vigil reads)",
            ),
        }
    }

    /// The French FDI rules (optional file): every citation names a defined act.
    fn build_fdi(&mut self) {
        let Some((file, raw)) = self.raw_fdi.take() else {
            return;
        };
        let acts: BTreeSet<String> = self.acts.keys().cloned().collect();
        let countries: BTreeSet<String> = self.countries.keys().cloned().collect();
        let mut cite_problems = Vec::new();
        let built = crate::fdi::build(raw, &|c| countries.contains(c), &mut |at, c| {
            let cite = crate::fdi::cite_of(c);
            if !acts.contains(&cite.act) {
                cite_problems.push((
                    at.to_owned(),
                    format!("cites act `{}`, which acts.toml does not define", cite.act),
                ));
            }
            if cite.provision.trim().is_empty() {
                cite_problems.push((at.to_owned(), "empty provision".to_owned()));
            }
        });
        for (at, message) in cite_problems {
            self.problem(&file, &at, message);
        }
        match built {
            Ok(rules) => self.fdi = Some(rules),
            Err(problems) => {
                for (at, message) in problems {
                    self.problem(&file, &at, message);
                }
            }
        }
    }

    /// The due-diligence catalogue (optional file): citations name defined acts, flags have
    /// wording in red-flags.toml (built before).
    fn build_due_diligence(&mut self) {
        let Some((file, raw)) = self.raw_due_diligence.take() else {
            return;
        };
        let acts: BTreeSet<String> = self.acts.keys().cloned().collect();
        let flags: BTreeSet<String> = self.red_flags.keys().cloned().collect();
        let mut cite_problems = Vec::new();
        let built = crate::due_diligence::build(
            raw,
            &mut |at, cite| {
                if !acts.contains(&cite.act) {
                    cite_problems.push((
                        at.to_owned(),
                        format!("cites act `{}`, which acts.toml does not define", cite.act),
                    ));
                }
                if cite.provision.trim().is_empty() {
                    cite_problems.push((at.to_owned(), "empty provision".to_owned()));
                }
            },
            &|code| flags.contains(code),
        );
        for (at, message) in cite_problems {
            self.problem(&file, &at, message);
        }
        match built {
            Ok(c) => self.due_diligence = Some(c),
            Err(problems) => {
                for (at, message) in problems {
                    self.problem(&file, &at, message);
                }
            }
        }
    }

    fn build_countries(&mut self) {
        let Some((file, c)) = self.raw_countries.take() else {
            self.problem("countries.toml", "", "missing file");
            return;
        };
        for country in c.country {
            let ok =
                country.code.len() == 2 && country.code.bytes().all(|b| b.is_ascii_uppercase());
            if !ok {
                self.problem(
                    &file,
                    &format!("country {}", country.code),
                    "codes are two upper-case letters",
                );
            }
            if self.countries.contains_key(&country.code) {
                self.problem(&file, &format!("country {}", country.code), "defined twice");
            }
            self.countries.insert(
                country.code.clone(),
                Country {
                    code: country.code,
                    name: country.name,
                },
            );
        }
        for g in c.group {
            let at = format!("group {}", g.id);
            let cite = self.cite(&file, &at, &g.cite);
            let mut members = BTreeSet::new();
            for m in &g.members {
                if self.country_ref(&file, &at, m) {
                    members.insert(m.clone());
                }
            }
            self.groups.insert(
                g.id.clone(),
                CountryGroup {
                    id: g.id,
                    title: g.title,
                    members,
                    cite,
                    verified: g.verified,
                },
            );
        }
        for e in c.arms_embargo {
            let at = format!("arms_embargo {}", e.country);
            self.country_ref(&file, &at, &e.country);
            for act in &e.acts {
                if !self.acts.contains_key(act) {
                    self.problem(
                        &file,
                        &at,
                        format!("act `{act}` is not defined in acts.toml"),
                    );
                }
            }
            if !matches!(
                e.scope.as_str(),
                "full" | "partial" | "non_state_actors" | "political_declaration"
            ) {
                self.problem(&file, &at, format!("scope `{}` (expected full, partial, non_state_actors or political_declaration)", e.scope));
            }
            self.embargoes.push(ArmsEmbargo {
                country: e.country,
                basis: e.basis,
                acts: e.acts,
                scope: e.scope,
                verified: e.verified,
            });
        }
        for required in ["eu", "eu001", "arms_embargo", "art_8_3_a"] {
            if !self.groups.contains_key(required) {
                self.problem(
                    &file,
                    "",
                    format!("country group `{required}` is required by the rules"),
                );
            }
        }
    }

    fn build_entries(&mut self) {
        let raw_entries = std::mem::take(&mut self.raw_entries);
        let default_from = annex_i_from();
        // First pass: codes, so parents and see_also can be checked in any order.
        let mut parsed = Vec::new();
        for (file, e) in raw_entries {
            let Some(code) = self.code(&file, &format!("entry {}", e.code), &e.code) else {
                continue;
            };
            let detailed = e.summary.is_some()
                || !e.criteria.is_empty()
                || !e.releases.is_empty()
                || !e.vocabulary.is_empty();
            let expected_file = match code.category() {
                5 if code.is_cat5_part2() => "annex-i/category-5-part-2.toml".to_owned(),
                5 => "annex-i/category-5-part-1.toml".to_owned(),
                n => format!("annex-i/category-{n}.toml"),
            };
            if file != expected_file {
                self.problem(
                    &file,
                    &format!("entry {code}"),
                    format!("belongs in {expected_file}"),
                );
            }
            parsed.push((file, code, e, detailed));
        }
        let codes: BTreeSet<ControlCode> = parsed.iter().map(|(_, c, _, _)| c.clone()).collect();
        for (file, code, e, detailed) in parsed {
            let at = format!("entry {code}");
            if let Some(p) = code.parent()
                && !codes.contains(&p)
            {
                self.problem(&file, &at, format!("parent entry `{p}` is not defined"));
            }
            let in_force = self.in_force(&file, &at, e.in_force.as_ref(), default_from);
            let cite = match &e.cite {
                Some(c) => self.cite(&file, &at, c),
                None => Cite::new("2025/2003", &format!("Annex I {code}")),
            };
            let match_all = match e.match_mode.as_deref() {
                None | Some("all") => true,
                Some("any") => false,
                Some(other) => {
                    self.problem(
                        &file,
                        &at,
                        format!("match = `{other}` (expected all or any)"),
                    );
                    true
                }
            };
            let mut criteria = Vec::new();
            for c in e.criteria {
                self.fact_ref(&file, &at, &c.fact);
                let test = match (&c.op, c.value) {
                    (None, None) => Test::IsTrue,
                    (Some(op), Some(value)) => match CmpOp::parse(op) {
                        Some(op) => Test::Compare {
                            op,
                            value,
                            unit: c.unit.clone(),
                        },
                        None => {
                            self.problem(
                                &file,
                                &at,
                                format!("criterion op `{op}` (expected >, >=, <, <=, =)"),
                            );
                            Test::IsTrue
                        }
                    },
                    _ => {
                        self.problem(&file, &at, "a numeric criterion needs both op and value");
                        Test::IsTrue
                    }
                };
                if let (Test::Compare { .. }, Some(f)) = (&test, self.facts.get(&c.fact))
                    && f.kind != FactType::Number
                {
                    self.problem(
                        &file,
                        &at,
                        format!(
                            "fact `{}` is compared with a number but is not of type number",
                            c.fact
                        ),
                    );
                }
                criteria.push(Criterion {
                    fact: c.fact,
                    text: c.text,
                    test,
                });
            }
            let mut releases = Vec::new();
            for r in e.releases {
                self.fact_ref(&file, &at, &r.fact);
                if !matches!(
                    r.kind.as_str(),
                    "note"
                        | "decontrol"
                        | "definition_exclusion"
                        | "cryptography_note"
                        | "general_software_note"
                        | "general_technology_note"
                ) {
                    self.problem(
                        &file,
                        &at,
                        format!(
                            "release kind `{}` is not one of the kinds in law/README.md",
                            r.kind
                        ),
                    );
                }
                releases.push(Release {
                    fact: r.fact,
                    kind: r.kind,
                    text: r.text,
                    provision: r
                        .provision
                        .unwrap_or_else(|| format!("Annex I {code} Note")),
                });
            }
            let mut see_also = Vec::new();
            for s in &e.see_also {
                if let Some(c) = self.code(&file, &at, s) {
                    if codes.contains(&c) {
                        see_also.push(c);
                    } else {
                        self.problem(&file, &at, format!("see_also `{c}` is not defined"));
                    }
                }
            }
            if self.entries.contains_key(&code) {
                self.problem(&file, &at, "defined twice");
            }
            self.entries.insert(
                code.clone(),
                Entry {
                    code,
                    title: e.title,
                    summary: e.summary.unwrap_or_default(),
                    cyber_surveillance: e.cyber_surveillance,
                    verified: e.verified,
                    in_force,
                    cite,
                    match_all,
                    criteria,
                    releases,
                    vocabulary: e.vocabulary,
                    see_also,
                    detailed,
                },
            );
        }
        // A category is detailed when any of its entries is: sub-items of a detailed category
        // must then be defined exactly.
        let detailed_bases: BTreeSet<String> = self
            .entries
            .values()
            .filter(|e| e.detailed)
            .map(|e| e.code.base().to_owned())
            .collect();
        for e in self.entries.values_mut() {
            if detailed_bases.contains(e.code.base()) {
                e.detailed = true;
            }
        }
    }

    fn build_part_i(&mut self) {
        for (file, p) in std::mem::take(&mut self.raw_part_i) {
            for n in p.note {
                let at = format!("note {}", n.id);
                let cite = self.cite(&file, &at, &n.cite);
                let mut applies_to = Vec::new();
                for c in &n.applies_to {
                    if let Some(code) = self.known_code(&file, &at, c) {
                        applies_to.push(code);
                    }
                }
                self.notes.push(Note {
                    id: n.id,
                    title: n.title,
                    summary: n.summary,
                    cite,
                    applies_to,
                    verified: n.verified,
                });
            }
            for t in p.term {
                let at = format!("term {}", t.id);
                let cite = self.cite(&file, &at, &t.cite);
                self.terms.push(Term {
                    id: t.id,
                    term: t.term,
                    summary: t.summary,
                    categories: t.categories,
                    cite,
                    verified: t.verified,
                });
            }
        }
    }

    fn groups_of(&mut self, file: &str, at: &str, list: &[String]) -> Vec<Group> {
        let mut out = Vec::new();
        for g in list {
            let mut chars = g.chars();
            match (chars.next().and_then(Group::from_letter), chars.next()) {
                (Some(grp), None) => out.push(grp),
                _ => self.problem(
                    file,
                    at,
                    format!("product group `{g}` (expected A, B, C, D or E)"),
                ),
            }
        }
        out
    }

    fn concerns(&mut self, file: &str, at: &str, list: &[String]) -> Vec<Concern> {
        let mut out = Vec::new();
        for c in list {
            match Concern::parse(c) {
                Some(c) => out.push(c),
                None => self.problem(file, at, format!("concern `{c}` (expected wmd, military_embargo, illegal_military_parts or internal_repression)")),
            }
        }
        out
    }

    fn end_user_types(&mut self, file: &str, at: &str, list: &[String]) -> Vec<EndUserType> {
        let mut out = Vec::new();
        for c in list {
            match EndUserType::parse(c) {
                Some(c) => out.push(c),
                None => self.problem(file, at, format!("end-user type `{c}` (expected commercial, government_security, military, research or individual)")),
            }
        }
        out
    }

    fn operation_types(
        &mut self,
        file: &str,
        at: &str,
        list: &[String],
    ) -> BTreeSet<OperationType> {
        let mut out = BTreeSet::new();
        for t in list {
            match OperationType::parse(t) {
                Some(t) => {
                    out.insert(t);
                }
                None => self.problem(
                    file,
                    at,
                    format!("operation type `{t}` is not one of the contract's types"),
                ),
            }
        }
        out
    }

    fn build_annex_ii(&mut self) {
        let Some((file, a)) = self.raw_annex_ii.take() else {
            self.problem("annex-ii.toml", "", "missing file");
            return;
        };
        let s = a.section_i;
        let cite = self.cite(&file, "section_i", &s.cite);
        let mut entries = Vec::new();
        for c in &s.entries {
            if let Some(code) = self.known_code(&file, "section_i", c) {
                entries.push(code);
            }
        }
        self.section_i = Some(SectionI {
            summary: s.summary,
            cite,
            includes_annex_iv: s.includes_annex_iv,
            entries,
            verified: s.verified,
        });
        for u in a.authorisation {
            let at = format!("authorisation {}", u.id);
            let cite = self.cite(&file, &at, &u.cite);
            let in_force = self.in_force(
                &file,
                &at,
                u.in_force.as_ref(),
                Date::from_calendar_date(2021, Month::September, 9).unwrap_or(Date::MIN),
            );
            let export_types = self.operation_types(&file, &at, &u.export_types);
            let items = if u.items.iter().any(|i| i == "*") {
                None
            } else {
                Some(
                    u.items
                        .iter()
                        .filter_map(|c| self.known_code(&file, &at, c))
                        .collect(),
                )
            };
            let exclude_items = u
                .exclude_items
                .iter()
                .filter_map(|c| self.known_code(&file, &at, c))
                .collect();
            let exclude_related_to = u
                .exclude_related_to
                .iter()
                .filter_map(|c| self.known_code(&file, &at, c))
                .collect();
            let related_only_to = u
                .related_only_to
                .iter()
                .filter_map(|c| self.known_code(&file, &at, c))
                .collect();
            let mut item_conditions = Vec::new();
            for ic in &u.item_conditions {
                if !crate::assess::input::OPERATION_FACTS.contains(&ic.fact.as_str()) {
                    self.problem(
                        &file,
                        &at,
                        format!(
                            "operation fact `{}` is not one the assessment reads",
                            ic.fact
                        ),
                    );
                }
                if let Some(code) = self.known_code(&file, &at, &ic.code) {
                    item_conditions.push(super::model::ItemCondition {
                        code,
                        fact: ic.fact.clone(),
                        text: ic.text.clone(),
                    });
                }
            }
            let unverified_groups = u
                .destinations
                .iter()
                .chain(u.destinations_except.iter())
                .filter(|g| self.groups.get(*g).is_some_and(|g| !g.verified))
                .cloned()
                .collect();
            let unverified = |g: &String| self.groups.get(g).is_some_and(|g| !g.verified);
            let inclusion_unverified = u.destinations.iter().any(unverified);
            let (mut by_unverified, mut by_verified) = (BTreeSet::new(), BTreeSet::new());
            for d in &u.destinations_except {
                match self.groups.get(d) {
                    Some(g) if !g.verified => by_unverified.extend(g.members.iter().cloned()),
                    Some(g) => by_verified.extend(g.members.iter().cloned()),
                    None => {
                        by_verified.insert(d.clone());
                    }
                }
            }
            let excluded_only_unverified: BTreeSet<String> =
                by_unverified.difference(&by_verified).cloned().collect();
            let item_groups = self.groups_of(&file, &at, &u.item_groups);
            let exclude_groups = self.groups_of(&file, &at, &u.exclude_groups);
            let destinations = self.destinations(&file, &at, &u.destinations);
            let destinations_except = self.destinations(&file, &at, &u.destinations_except);
            let barred_concerns = self.concerns(&file, &at, &u.barred_concerns);
            let barred_end_user_types = self.end_user_types(&file, &at, &u.barred_end_user_types);
            let conds = |list: Vec<raw::RawFactCondition>, this: &mut Self| -> Vec<FactCondition> {
                list.into_iter()
                    .map(|c| {
                        if !crate::assess::input::OPERATION_FACTS.contains(&c.fact.as_str()) {
                            this.problem(
                                &file,
                                &at,
                                format!(
                                    "operation fact `{}` is not one the assessment reads",
                                    c.fact
                                ),
                            );
                        }
                        FactCondition {
                            fact: c.fact,
                            text: c.text,
                        }
                    })
                    .collect()
            };
            let required_facts = conds(u.required_facts, self);
            let barring_facts = conds(u.barring_facts, self);
            let mut duties = Vec::new();
            for d in u.duties {
                if !matches!(
                    d.kind.as_str(),
                    "declare"
                        | "notify_first_use"
                        | "register"
                        | "report"
                        | "icp"
                        | "technical_data"
                        | "other"
                ) {
                    self.problem(&file, &at, format!("duty kind `{}`", d.kind));
                }
                if let Some(t) = &d.timing
                    && t != "before"
                    && t != "after"
                {
                    self.problem(
                        &file,
                        &at,
                        format!("duty timing `{t}` (expected before or after)"),
                    );
                }
                duties.push(Duty {
                    kind: d.kind,
                    text: d.text,
                    provision: d.provision,
                    days: d.days,
                    timing: d.timing,
                    period: d.period,
                });
            }
            self.ugeas.push(Ugea {
                id: u.id,
                title: u.title,
                summary: u.summary,
                cite,
                verified: u.verified,
                in_force,
                export_types,
                items,
                item_groups,
                exclude_items,
                exclude_groups,
                exclude_section_i: u.exclude_section_i,
                exclude_related_to,
                related_only_to,
                item_conditions,
                unverified_groups,
                excluded_only_unverified,
                inclusion_unverified,
                destinations,
                destinations_except,
                barred_concerns,
                barred_end_user_types,
                required_facts,
                barring_facts,
                max_return_days: u.max_return_days,
                duties,
            });
        }
        self.ugeas.sort_by(|a, b| a.id.cmp(&b.id));
    }

    fn build_annex_iv(&mut self) {
        let Some((file, a)) = self.raw_annex_iv.take() else {
            self.problem("annex-iv.toml", "", "missing file");
            return;
        };
        for i in a.item {
            let at = format!("item {}", i.code);
            let Some(code) = self.known_code(&file, &at, &i.code) else {
                continue;
            };
            if i.part != "I" && i.part != "II" {
                self.problem(&file, &at, format!("part `{}` (expected I or II)", i.part));
            }
            let cite = self.cite(&file, &at, &i.cite);
            self.annex_iv.push(AnnexIvItem {
                code,
                part: i.part,
                block: i.block,
                scope: i.scope,
                cite,
                verified: i.verified,
            });
        }
    }

    fn build_sanctions(&mut self) {
        let Some((file, s)) = self.raw_sanctions.take() else {
            self.problem("sanctions.toml", "", "missing file");
            return;
        };
        for r in s.regime {
            let at = format!("regime {}", r.id);
            let cite = self.cite(&file, &at, &r.cite);
            let mut countries = BTreeSet::new();
            for c in &r.countries {
                if self.country_ref(&file, &at, c) {
                    countries.insert(c.clone());
                }
            }
            let kind = match r.kind.as_str() {
                "ban" => RegimeKind::Ban,
                "authorisation" => RegimeKind::Authorisation,
                "review" => RegimeKind::Review,
                other => {
                    self.problem(
                        &file,
                        &at,
                        format!("kind `{other}` (expected ban, authorisation or review)"),
                    );
                    RegimeKind::Ban
                }
            };
            let scope = match r.scope.as_str() {
                "annex_i" => RegimeScope::AnnexI,
                "monitoring_equipment" => RegimeScope::MonitoringEquipment,
                other => {
                    self.problem(
                        &file,
                        &at,
                        format!("scope `{other}` (expected annex_i or monitoring_equipment)"),
                    );
                    RegimeScope::AnnexI
                }
            };
            let indicative_entries = r
                .indicative_entries
                .iter()
                .filter_map(|c| self.known_code(&file, &at, c))
                .collect();
            let end_user_types = self.end_user_types(&file, &at, &r.end_user_types);
            let refuse_for_end_user_types =
                self.end_user_types(&file, &at, &r.refuse_for_end_user_types);
            let review_end_user_types = self.end_user_types(&file, &at, &r.review_end_user_types);
            let operation_types = self.operation_types(&file, &at, &r.operation_types);
            let act_from = self
                .acts
                .get(&r.cite.act)
                .map_or(Date::MIN, |a| a.in_force.from);
            let in_force = self.in_force(&file, &at, r.in_force.as_ref(), act_from);
            let exceptions = r
                .exceptions
                .into_iter()
                .map(|e| RegimeException {
                    id: e.id,
                    provision: e.provision,
                    text: e.text,
                    non_military_only: e.non_military_only,
                    duty: e.duty,
                })
                .collect();
            self.regimes.push(Regime {
                id: r.id,
                title: r.title,
                countries,
                kind,
                scope,
                indicative_entries,
                end_user_types,
                refuse_for_end_user_types,
                review_end_user_types,
                operation_types,
                cite,
                summary: r.summary,
                refusal: r.refusal,
                verified: r.verified,
                in_force,
                exceptions,
            });
        }
    }

    fn build_rules(&mut self) {
        let Some((file, r)) = self.raw_rules.take() else {
            self.problem("rules.toml", "", "missing file");
            return;
        };
        for rule in r.rule {
            let at = format!("rule {}", rule.id);
            let cite = self.cite(&file, &at, &rule.cite);
            if self.rules.contains_key(&rule.id) {
                self.problem(&file, &at, "defined twice");
            }
            self.rules.insert(
                rule.id.clone(),
                Rule {
                    id: rule.id,
                    title: rule.title,
                    summary: rule.summary,
                    cite,
                    verified: rule.verified,
                },
            );
        }
        for c in r.art_2_20 {
            let at = format!("art_2_20 {}", c.id);
            let cite = self.cite(&file, &at, &c.cite);
            self.fact_ref(&file, &at, &c.fact);
            self.art_2_20.push(Art220Criterion {
                id: c.id,
                fact: c.fact,
                text: c.text,
                indicators: super::model::Phrases::new(c.indicators),
                counter_indicators: super::model::Phrases::new(c.counter_indicators),
                cite,
                verified: c.verified,
            });
        }
        for a in r.authority {
            let at = format!("authority {}", a.country);
            self.country_ref(&file, &at, &a.country);
            self.authorities.insert(
                a.country.clone(),
                Authority {
                    country: a.country,
                    name: a.name,
                    url: a.url,
                    language: a.language.unwrap_or_else(|| "en".to_owned()),
                    verified: a.verified,
                },
            );
        }
        for id in crate::rules::ALL {
            if !self.rules.contains_key(*id) {
                self.problem(
                    &file,
                    "",
                    format!("rule `{id}` is applied by the code but not described"),
                );
            }
        }
        for id in [
            "specially_designed",
            "covert_surveillance_of_natural_persons",
            "ict_data",
        ] {
            if !self.art_2_20.iter().any(|c| c.id == id) {
                self.problem(&file, "", format!("art_2_20 criterion `{id}` is required"));
            }
        }
    }

    fn build_red_flags(&mut self) {
        let Some((file, r)) = self.raw_red_flags.take() else {
            self.problem("red-flags.toml", "", "missing file");
            return;
        };
        for f in r.red_flag {
            let at = format!("red_flag {}", f.code);
            let source = self.cite(&file, &at, &f.source);
            self.red_flags.insert(
                f.code.clone(),
                RedFlagDef {
                    code: f.code,
                    text: f.text,
                    keywords: super::model::Phrases::new(f.keywords),
                    source,
                    verified: f.verified,
                },
            );
        }
        for code in crate::assess::red_flags::CODES {
            if !self.red_flags.contains_key(*code) {
                self.problem(
                    &file,
                    "",
                    format!("red flag `{code}` is raised by the code but has no wording"),
                );
            }
        }
    }
}

fn is_snake(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}

/// Loads and checks a law set from `(path relative to law/, contents)` pairs.
///
/// # Errors
/// [`LawError`] listing every problem found.
pub fn load(files: &[(&str, &str)]) -> Result<Law, LawError> {
    let mut l = Loader {
        problems: Vec::new(),
        acts: BTreeMap::new(),
        facts: BTreeMap::new(),
        entries: BTreeMap::new(),
        notes: Vec::new(),
        terms: Vec::new(),
        section_i: None,
        ugeas: Vec::new(),
        annex_iv: Vec::new(),
        countries: BTreeMap::new(),
        groups: BTreeMap::new(),
        embargoes: Vec::new(),
        regimes: Vec::new(),
        rules: BTreeMap::new(),
        art_2_20: Vec::new(),
        authorities: BTreeMap::new(),
        red_flags: BTreeMap::new(),
        raw_part_i: Vec::new(),
        raw_entries: Vec::new(),
        raw_annex_ii: None,
        raw_annex_iv: None,
        raw_countries: None,
        raw_sanctions: None,
        raw_rules: None,
        raw_red_flags: None,
        raw_fdi: None,
        fdi: None,
        raw_due_diligence: None,
        due_diligence: None,
    };
    let mut hasher = Sha256::new();
    let mut sorted: Vec<&(&str, &str)> = files.iter().collect();
    sorted.sort_by_key(|(p, _)| *p);
    // acts and facts first: everything else refers to them.
    let rank = |p: &str| usize::from(!(p == "acts.toml" || p.starts_with("facts/")));
    sorted.sort_by_key(|(p, _)| rank(p));
    for (path, text) in &sorted {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
        l.read(path, text);
    }
    l.build_countries();
    l.build_entries();
    l.build_part_i();
    l.build_annex_ii();
    l.build_annex_iv();
    l.build_sanctions();
    l.build_rules();
    l.build_red_flags();
    l.build_fdi();
    l.build_due_diligence();
    if l.entries.is_empty() {
        l.problem("annex-i/", "", "no Annex I entry defined");
    }
    if !l.problems.is_empty() {
        return Err(LawError {
            problems: l.problems,
        });
    }
    let digest = hasher.finalize();
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let Some(section_i) = l.section_i else {
        return Err(LawError {
            problems: vec![Problem {
                file: "annex-ii.toml".into(),
                at: "section_i".into(),
                message: "missing".into(),
            }],
        });
    };
    Ok(Law::assemble(super::Parts {
        version: format!("annex-i-2025-2003+{hash}"),
        annex_i_from: annex_i_from(),
        acts: l.acts,
        facts: l.facts,
        entries: l.entries,
        notes: l.notes,
        terms: l.terms,
        section_i,
        ugeas: l.ugeas,
        annex_iv: l.annex_iv,
        countries: l.countries,
        groups: l.groups,
        embargoes: l.embargoes,
        regimes: l.regimes,
        rules: l.rules,
        art_2_20: l.art_2_20,
        authorities: l.authorities,
        red_flags: l.red_flags,
        fdi: l.fdi,
        due_diligence: l.due_diligence,
    }))
}
