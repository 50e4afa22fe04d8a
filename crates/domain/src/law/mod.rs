//! The law as data: the checked contents of the `law/` folder.
//!
//! [`Law::embedded`] loads the copy compiled into the binary; [`Law::from_files`] loads any set of
//! files (the `vigil law check DIR` command uses it on a working copy). Loading checks the schema
//! and every cross-reference (acts, facts, Annex I entries, countries, groups), so the decision
//! logic can rely on them.

pub mod code;
mod load;
pub mod model;
mod raw;

use std::collections::BTreeMap;
use std::fmt;

use time::Date;

pub use code::{ControlCode, Group, ParseCodeError};
pub use model::*;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_law.rs"));
}

/// One problem found while loading the law files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// File, relative to `law/`.
    pub file: String,
    /// Record or line.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            write!(f, "law/{}: {}", self.file, self.message)
        } else {
            write!(f, "law/{} ({}): {}", self.file, self.at, self.message)
        }
    }
}

/// The law files do not load; every problem found is listed.
#[derive(Debug, Clone, thiserror::Error)]
pub struct LawError {
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

impl fmt::Display for LawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the law data has {} problem(s):", self.problems.len())?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

/// How a code given by a user resolves against Annex I.
#[derive(Debug, Clone)]
pub enum Resolution<'a> {
    /// Defined exactly.
    Exact(&'a Entry),
    /// A sub-item of an entry whose category is encoded as headings only.
    Within(&'a Entry),
    /// Not defined; the nearest codes.
    Unknown(Vec<String>),
}

pub(crate) struct Parts {
    pub version: String,
    pub annex_i_from: Date,
    pub acts: BTreeMap<String, Act>,
    pub facts: BTreeMap<String, FactDef>,
    pub entries: BTreeMap<ControlCode, Entry>,
    pub notes: Vec<Note>,
    pub terms: Vec<Term>,
    pub section_i: SectionI,
    pub ugeas: Vec<Ugea>,
    pub annex_iv: Vec<AnnexIvItem>,
    pub countries: BTreeMap<String, Country>,
    pub groups: BTreeMap<String, CountryGroup>,
    pub embargoes: Vec<ArmsEmbargo>,
    pub regimes: Vec<Regime>,
    pub rules: BTreeMap<String, Rule>,
    pub art_2_20: Vec<Art220Criterion>,
    pub authorities: BTreeMap<String, Authority>,
    pub red_flags: BTreeMap<String, RedFlagDef>,
    pub fdi: Option<crate::fdi::FdiRules>,
    pub due_diligence: Option<crate::due_diligence::Catalogue>,
}

/// The checked law set.
pub struct Law {
    p: Parts,
    pub(crate) index: crate::classify::index::EntryIndex,
    /// Codes that are the parent of a defined entry (headings), computed once at load.
    headings: std::collections::BTreeSet<ControlCode>,
}

impl fmt::Debug for Law {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Law")
            .field("version", &self.p.version)
            .field("entries", &self.p.entries.len())
            .finish_non_exhaustive()
    }
}

impl Law {
    /// Loads the law compiled into this binary.
    ///
    /// # Errors
    /// [`LawError`] if the embedded files do not load (a test guards against this).
    pub fn embedded() -> Result<Law, LawError> {
        load::load(embedded::FILES)
    }

    /// The embedded files, as (path relative to `law/`, contents).
    #[must_use]
    pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
        embedded::FILES
    }

    /// Loads a law set from `(path relative to law/, contents)` pairs.
    ///
    /// # Errors
    /// [`LawError`] listing every problem found.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Law, LawError> {
        load::load(files)
    }

    pub(crate) fn assemble(p: Parts) -> Law {
        let index = crate::classify::index::EntryIndex::build(&p.entries);
        let headings = p.entries.keys().filter_map(ControlCode::parent).collect();
        Law { p, index, headings }
    }

    /// The version of the law set: the Annex I version and a hash of the data files.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.p.version
    }

    /// The earliest date the loaded law applies to.
    #[must_use]
    pub fn earliest_date(&self) -> Date {
        self.p.annex_i_from
    }

    /// An act by id.
    #[must_use]
    pub fn act(&self, id: &str) -> Option<&Act> {
        self.p.acts.get(id)
    }

    /// Every act.
    pub fn acts(&self) -> impl Iterator<Item = &Act> {
        self.p.acts.values()
    }

    /// A fact definition.
    #[must_use]
    pub fn fact(&self, id: &str) -> Option<&FactDef> {
        self.p.facts.get(id)
    }

    /// Every fact definition.
    pub fn facts(&self) -> impl Iterator<Item = &FactDef> {
        self.p.facts.values()
    }

    /// An entry by exact code.
    #[must_use]
    pub fn entry(&self, code: &ControlCode) -> Option<&Entry> {
        self.p.entries.get(code)
    }

    /// Every Annex I entry, in code order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.p.entries.values()
    }

    /// Resolves a code against Annex I.
    #[must_use]
    pub fn resolve(&self, code: &ControlCode) -> Resolution<'_> {
        if let Some(e) = self.p.entries.get(code) {
            return Resolution::Exact(e);
        }
        for a in code.ancestors() {
            if let Some(e) = self.p.entries.get(&a) {
                if !e.detailed {
                    return Resolution::Within(e);
                }
                break;
            }
        }
        Resolution::Unknown(self.nearest_codes(code.as_str(), 3))
    }

    /// The defined codes nearest to `text` (edit distance), for "did you mean" messages.
    #[must_use]
    pub fn nearest_codes(&self, text: &str, n: usize) -> Vec<String> {
        let mut scored: Vec<(usize, &str)> = self
            .p
            .entries
            .keys()
            .map(|c| {
                let common = text
                    .chars()
                    .zip(c.as_str().chars())
                    .take_while(|(a, b)| a == b)
                    .count();
                (
                    strsim::levenshtein(text, c.as_str()) * 100 - common.min(99),
                    c.as_str(),
                )
            })
            .collect();
        scored.sort();
        scored
            .into_iter()
            .take(n)
            .map(|(_, c)| c.to_owned())
            .collect()
    }

    /// True when `code` is the parent of a defined entry (a heading with sub-items).
    #[must_use]
    pub fn is_heading(&self, code: &ControlCode) -> bool {
        self.headings.contains(code)
    }

    /// The ancestors of an entry that are defined, nearest first.
    #[must_use]
    pub fn ancestors_of(&self, code: &ControlCode) -> Vec<&Entry> {
        code.ancestors()
            .iter()
            .filter_map(|a| self.p.entries.get(a))
            .collect()
    }

    /// Part I notes.
    #[must_use]
    pub fn notes(&self) -> &[Note] {
        &self.p.notes
    }

    /// Defined terms.
    #[must_use]
    pub fn terms(&self) -> &[Term] {
        &self.p.terms
    }

    /// Annex II Section I.
    #[must_use]
    pub fn section_i(&self) -> &SectionI {
        &self.p.section_i
    }

    /// True when the code is in Annex II Section I (directly or as an Annex IV item).
    #[must_use]
    pub fn in_section_i(&self, code: &ControlCode) -> bool {
        self.in_section_i_for(code, &[])
    }

    /// [`Law::in_section_i`] for an item whose software or technology relates to `relates_to`
    /// (see [`Law::annex_iv_for`]).
    #[must_use]
    pub fn in_section_i_for(&self, code: &ControlCode, relates_to: &[ControlCode]) -> bool {
        let s = &self.p.section_i;
        s.entries.iter().any(|c| c.covers(code) || code.covers(c))
            || (s.includes_annex_iv && self.annex_iv_for(code, relates_to).is_some())
    }

    /// The Annex IV item that applies to an item classified `code` whose software or technology
    /// relates to the equipment `relates_to`.
    ///
    /// Annex IV lists some software and technology entries only in so far as they are for other
    /// Annex IV items (e.g. 5E002.a only for the cryptanalytic items). Such a restricted entry
    /// applies when the item relates to an Annex IV item, and also when the item does not say
    /// what it relates to (the careful reading); it does not apply when the item says it relates
    /// only to equipment outside Annex IV. The flag is true when the match rests on that
    /// assumption.
    #[must_use]
    pub fn annex_iv_for(
        &self,
        code: &ControlCode,
        relates_to: &[ControlCode],
    ) -> Option<(&AnnexIvItem, bool)> {
        let item = self.annex_iv_item(code)?;
        let restricted =
            item.scope.is_some() && matches!(code.group(), Group::Software | Group::Technology);
        if !restricted {
            return Some((item, false));
        }
        if relates_to.is_empty() {
            return Some((item, true));
        }
        let related_in_annex_iv = relates_to.iter().any(|r| self.annex_iv_item(r).is_some());
        related_in_annex_iv.then_some((item, false))
    }

    /// The Union general export authorisations, EU001 first.
    #[must_use]
    pub fn ugeas(&self) -> &[Ugea] {
        &self.p.ugeas
    }

    /// The Annex IV item that covers `code`, if any.
    #[must_use]
    ///
    /// Where a code is listed in both parts (e.g. 1E201), Part II, the stricter, is returned.
    pub fn annex_iv_item(&self, code: &ControlCode) -> Option<&AnnexIvItem> {
        let mut found = self.p.annex_iv.iter().filter(|i| i.code.covers(code));
        let first = found.next()?;
        if first.part == "II" {
            return Some(first);
        }
        Some(found.find(|i| i.part == "II").unwrap_or(first))
    }

    /// Every Annex IV item.
    #[must_use]
    pub fn annex_iv(&self) -> &[AnnexIvItem] {
        &self.p.annex_iv
    }

    /// The Art. 5 due-diligence catalogue (`due-diligence.toml`), when the set has it.
    #[must_use]
    pub fn due_diligence(&self) -> Option<&crate::due_diligence::Catalogue> {
        self.p.due_diligence.as_ref()
    }

    /// The French foreign-investment screening rules (`fr-fdi.toml`), when the set has them.
    #[must_use]
    pub fn fr_fdi(&self) -> Option<&crate::fdi::FdiRules> {
        self.p.fdi.as_ref()
    }

    /// A country by ISO code.
    #[must_use]
    pub fn country(&self, code: &str) -> Option<&Country> {
        self.p.countries.get(code)
    }

    /// Every country.
    pub fn countries(&self) -> impl Iterator<Item = &Country> {
        self.p.countries.values()
    }

    /// A country group by id.
    #[must_use]
    pub fn group(&self, id: &str) -> Option<&CountryGroup> {
        self.p.groups.get(id)
    }

    /// True when `country` is in group `id`.
    #[must_use]
    pub fn in_group(&self, id: &str, country: &str) -> bool {
        self.p
            .groups
            .get(id)
            .is_some_and(|g| g.members.contains(country))
    }

    /// The arms embargo on a destination, if any.
    #[must_use]
    pub fn arms_embargo(&self, country: &str) -> Option<&ArmsEmbargo> {
        self.p.embargoes.iter().find(|e| e.country == country)
    }

    /// Sanctions overlays.
    #[must_use]
    pub fn regimes(&self) -> &[Regime] {
        &self.p.regimes
    }

    /// A rule by id (ids are listed in [`crate::rules`]).
    #[must_use]
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.p.rules.get(id)
    }

    /// Every rule.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.p.rules.values()
    }

    /// The Art. 2(20) criteria.
    #[must_use]
    pub fn art_2_20(&self) -> &[Art220Criterion] {
        &self.p.art_2_20
    }

    /// The competent authority of a Member State.
    #[must_use]
    pub fn authority(&self, country: &str) -> Option<&Authority> {
        self.p.authorities.get(country)
    }

    /// A red flag's wording.
    #[must_use]
    pub fn red_flag(&self, code: &str) -> Option<&RedFlagDef> {
        self.p.red_flags.get(code)
    }

    /// Every red flag.
    pub fn red_flags(&self) -> impl Iterator<Item = &RedFlagDef> {
        self.p.red_flags.values()
    }

    /// The short name of an act (`Regulation (EU) 2021/821`), or the id if unknown.
    #[must_use]
    pub fn act_name(&self, id: &str) -> String {
        self.p
            .acts
            .get(id)
            .map_or_else(|| id.to_owned(), |a| a.short.clone())
    }
}
