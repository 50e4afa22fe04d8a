//! Explanations: why a listed entity was returned and what moved its score.

use serde::Serialize;

use crate::entry::NameQuality;

/// How a query token was matched to a list token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchKind {
    /// Same spelling after folding case and diacritics.
    Exact,
    /// Alternate romanisation of the same name (Mohammed / Muhammad), from `data/romanisations.txt`,
    /// or a spelling that sounds the same (Erik / Eric, Poetin / Putin).
    Variant,
    /// Same letters after transliteration from another script (Путин / Putin) or the same
    /// consonant skeleton for Arabic and Hebrew (محمد / Muhammad).
    Transliteration,
    /// A spelling difference (Jaro-Winkler similarity below 1).
    Typo,
    /// A single letter matching the first letter of a name (J. / John).
    Initial,
    /// One token matching two joined tokens (Abdulrahman / Abdul Rahman).
    Compound,
}

impl MatchKind {
    /// Lower-case label used in the "why" text.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "exact",
            MatchKind::Variant => "variant",
            MatchKind::Transliteration => "transliteration",
            MatchKind::Typo => "typo",
            MatchKind::Initial => "initial",
            MatchKind::Compound => "compound",
        }
    }
}

/// One matched pair of tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenMatch {
    /// Query token(s), folded, as written.
    pub query: String,
    /// List token(s), folded, as written.
    pub list: String,
    /// How they matched.
    pub kind: MatchKind,
    /// Token similarity in 0..=1.
    pub similarity: f64,
}

/// Something that raised or lowered the score after the name comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adjustment {
    /// What happened, e.g. "date of birth 1970 conflicts with listed 1937".
    pub reason: String,
    /// Added to the score (negative lowers it).
    pub delta: f64,
}

/// Why an entity was returned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The listed name (primary or alias) that matched best.
    pub matched_alias: String,
    /// The list's grading of that name.
    pub alias_quality: NameQuality,
    /// Score of the name comparison alone (before adjustments).
    pub name_score: f64,
    /// Matched token pairs.
    pub tokens: Vec<TokenMatch>,
    /// Query tokens without a counterpart (they lower the score by their weight).
    pub unmatched_query: Vec<String>,
    /// List tokens without a counterpart (they lower the score by half their weight).
    pub unmatched_list: Vec<String>,
    /// Penalty for a different token order (at most [`crate::score::MAX_ORDER_PENALTY`]).
    pub order_penalty: f64,
    /// Subtracted because both names have name tokens the other lacks.
    pub conflict_penalty: f64,
    /// Date of birth, country, alias quality, kind and identifier effects.
    pub adjustments: Vec<Adjustment>,
}

impl std::fmt::Display for Explanation {
    /// One line for people: `matched "X" (strong): a=b exact, c~d typo 0.93; missing: e; dob +0.05`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "matched {:?} ({:?}, name score {:.3})",
            self.matched_alias, self.alias_quality, self.name_score
        )?;
        if !self.tokens.is_empty() {
            f.write_str(": ")?;
            for (i, t) in self.tokens.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}={} {}", t.query, t.list, t.kind.as_str())?;
                if t.similarity < 1.0 {
                    write!(f, " {:.2}", t.similarity)?;
                }
            }
        }
        if !self.unmatched_query.is_empty() {
            write!(f, "; query only: {}", self.unmatched_query.join(" "))?;
        }
        if !self.unmatched_list.is_empty() {
            write!(f, "; list only: {}", self.unmatched_list.join(" "))?;
        }
        if self.order_penalty > 0.0 {
            write!(f, "; order -{:.3}", self.order_penalty)?;
        }
        if self.conflict_penalty > 0.0 {
            write!(f, "; unmatched on both sides -{:.3}", self.conflict_penalty)?;
        }
        for a in &self.adjustments {
            write!(f, "; {} {:+.2}", a.reason, a.delta)?;
        }
        Ok(())
    }
}
