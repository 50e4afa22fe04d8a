//! Name normalisation: from any Unicode spelling to comparable tokens.
//!
//! Pipeline, per name:
//! 1. Unicode NFKC (full-width letters, ligatures and compatibility forms become plain letters);
//! 2. each character is decomposed and its combining marks dropped (é → e), then anything still
//!    outside ASCII is transliterated ([`crate::translit`]); Han and Hangul characters become one
//!    token each;
//! 3. case is folded, apostrophes are removed (O'Brien → obrien), all other punctuation separates
//!    tokens (Al-Tikriti → al tikriti);
//! 4. phrases are mapped to canonical forms with the embedded vocabularies: alternate romanisations
//!    (Mohammed → muhammad, Abd al → abdul) and legal forms (OOO → llc);
//! 5. every token gets a [`TokenClass`] (name, particle, honorific, legal form, stop word, initial)
//!    which the scorer turns into a weight. Nothing is dropped: "Abu Ali" stays two tokens.
//!
//! [`fold`] (steps 1-3) is idempotent; this is checked by a property test.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use crate::translit::{Script, is_invisible, script_of, transliterate_char, undo_look_alikes};
use crate::vocab::VOCAB;

/// The role a token plays in a name; decides its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenClass {
    /// An ordinary name element: full weight.
    Name,
    /// A name particle (al, bin, abu, van, de...): low weight.
    Particle,
    /// A title or honorific (sheikh, dr, general...): very low weight.
    Honorific,
    /// An organisation legal form or generic company word (llc, gmbh, company...): low weight.
    LegalForm,
    /// A stop word (the, of, and...): very low weight.
    Stop,
    /// A single letter, usually an initial.
    Initial,
}

/// One normalised token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Canonical form used for comparison (romanisation variants share one).
    pub text: String,
    /// The folded form as written in the input (before canonicalisation).
    pub written: String,
    /// Its role.
    pub class: TokenClass,
    /// Whether it was transliterated from an abjad (Arabic, Hebrew...): compared on consonants.
    pub abjad: bool,
    /// Whether it was transliterated from any non-Latin script.
    pub transliterated: bool,
    /// Whether it is a syllable of a Han or Hangul name (one character, one syllable): such
    /// syllables match exactly or as known romanisation variants, never as typos.
    pub syllabic: bool,
}

/// A name ready for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NormalisedName {
    /// Tokens in written order.
    pub tokens: Vec<Token>,
}

/// A folded token before vocabulary mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawToken {
    text: String,
    abjad: bool,
    transliterated: bool,
    syllabic: bool,
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{02BC}'
            | '\u{02BB}'
            | '\u{02BE}'
            | '\u{02BF}'
            | '\u{00B4}'
            | '\u{02B9}'
            | '\u{055A}'
    )
}

struct Folder {
    tokens: Vec<RawToken>,
    current: RawToken,
}

impl Folder {
    fn new() -> Self {
        Folder {
            tokens: Vec::new(),
            current: RawToken {
                text: String::new(),
                abjad: false,
                transliterated: false,
                syllabic: false,
            },
        }
    }

    fn split(&mut self) {
        if !self.current.text.is_empty() {
            let t = std::mem::replace(
                &mut self.current,
                RawToken {
                    text: String::new(),
                    abjad: false,
                    transliterated: false,
                    syllabic: false,
                },
            );
            self.tokens.push(t);
        } else {
            self.current.abjad = false;
            self.current.transliterated = false;
            self.current.syllabic = false;
        }
    }

    fn push_ascii(&mut self, c: char, script: Script) {
        if c.is_ascii_alphanumeric() {
            self.current.text.push(c.to_ascii_lowercase());
            if script != Script::Latin {
                self.current.transliterated = true;
            }
            if script == Script::Abjad {
                self.current.abjad = true;
            }
            if script == Script::Syllabic {
                self.current.syllabic = true;
            }
        } else if !is_apostrophe(c) {
            self.split();
        }
    }

    fn push_char(&mut self, c: char) {
        if c.is_ascii() {
            self.push_ascii(c, Script::Latin);
            return;
        }
        if is_apostrophe(c) {
            return;
        }
        if script_of(c) == Script::Syllabic {
            // Not decomposed: Hangul syllables would fall apart into jamo.
            self.split();
            let mut latin = String::new();
            transliterate_char(c, &mut latin);
            for l in latin.chars() {
                self.push_ascii(l, Script::Syllabic);
            }
            self.split();
            return;
        }
        if matches!(u32::from(c), 0x3040..=0x30FF | 0x31F0..=0x31FF) {
            // Kana: not decomposed either, or the voicing marks would be dropped as combining
            // marks ("ジ" would read "shi" instead of "ji"). The prolonged sound mark "ー" only
            // lengthens the vowel before it.
            if c != '\u{30FC}' {
                let mut latin = String::new();
                transliterate_char(c, &mut latin);
                for l in latin.chars() {
                    self.push_ascii(l, Script::Other);
                }
            }
            return;
        }
        let mut decomposed = [None::<char>; 4];
        let mut n = 0;
        let mut overflow = false;
        decompose_canonical(c, |d| {
            if n < decomposed.len() {
                decomposed[n] = Some(d);
                n += 1;
            } else {
                overflow = true;
            }
        });
        if overflow {
            decomposed = [Some(c), None, None, None];
        }
        for d in decomposed.into_iter().flatten() {
            if is_combining_mark(d) {
                continue;
            }
            if d.is_ascii() {
                self.push_ascii(d, Script::Latin);
                continue;
            }
            let script = script_of(d);
            let mut latin = String::new();
            transliterate_char(d, &mut latin);
            if script == Script::Syllabic {
                self.split();
            }
            for l in latin.chars() {
                self.push_ascii(l, script);
            }
            if script == Script::Syllabic {
                self.split();
            }
        }
    }
}

fn fold_tokens(s: &str) -> Vec<RawToken> {
    let mut folder = Folder::new();
    let s: String = s.nfkc().filter(|&c| !is_invisible(c)).collect();
    for c in undo_look_alikes(&s).chars() {
        folder.push_char(c);
    }
    folder.split();
    for t in &mut folder.tokens {
        undo_leet(&mut t.text);
    }
    folder.tokens
}

/// Digits between two letters are look-alike substitutions ("Ig0r Sech1n"): read them as the
/// letters they imitate. A single digit at the edge of a word of at least three letters is an
/// OCR or look-alike error too ("CAN0", "8ARAKAT", "Ismai1"). Numbers and ordinals ("14th",
/// "2nd", "44") are left alone.
fn undo_leet(token: &mut String) {
    let b = token.as_bytes();
    if !b.iter().any(u8::is_ascii_digit) || b.len() < 3 {
        return;
    }
    let mut out: Vec<u8> = b
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let between_letters = i > 0
                && i + 1 < b.len()
                && b[i - 1].is_ascii_alphabetic()
                && b[i + 1].is_ascii_alphabetic();
            match (between_letters, c) {
                (true, b'0') => b'o',
                (true, b'1') => b'i',
                (true, b'3') => b'e',
                (true, b'4') => b'a',
                (true, b'5') => b's',
                (true, b'7') => b't',
                (true, b'9') => b'g',
                _ => c,
            }
        })
        .collect();
    // Then a single digit left at an edge (counted after the step above, so that folding twice
    // gives the same result).
    let digits = out.iter().filter(|c| c.is_ascii_digit()).count();
    let last = out.len() - 1;
    if digits == 1 && out.len() - digits >= 3 {
        for i in [0, last] {
            out[i] = match out[i] {
                b'0' => b'o',
                b'1' => b'l',
                b'2' => b'z',
                b'5' => b's',
                b'8' => b'b',
                c => c,
            };
        }
    }
    if let Ok(s) = String::from_utf8(out) {
        *token = s;
    }
}

/// Folds a string to lower-case ASCII words separated by single spaces (steps 1-3 above).
///
/// ```
/// assert_eq!(vigil_screening::normalise::fold("Saddam Hussein Al-Tikriti"), "saddam hussein al tikriti");
/// assert_eq!(vigil_screening::normalise::fold("Путин"), "putin");
/// assert_eq!(vigil_screening::normalise::fold("Müller-Lüdenscheidt"), "muller ludenscheidt");
/// ```
pub fn fold(s: &str) -> String {
    let tokens = fold_tokens(s);
    let mut out = String::with_capacity(s.len());
    for t in tokens {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

/// Normalises a name into classified, canonical tokens (all five steps).
pub fn normalise_name(s: &str) -> NormalisedName {
    let vocab = &*VOCAB;
    let raw = numbers_as_digits(fold_tokens(s), &vocab.numbers);
    let mut tokens = Vec::with_capacity(raw.len());
    let mut i = 0;
    let mut key = String::new();
    while i < raw.len() {
        let mut consumed = 0;
        // Longest phrase first; single tokens too (they may map to a canonical spelling).
        for len in (1..=vocab.max_phrase.min(raw.len() - i)).rev() {
            key.clear();
            for (k, t) in raw[i..i + len].iter().enumerate() {
                if k > 0 {
                    key.push(' ');
                }
                key.push_str(&t.text);
            }
            if key.len() == 1 && !raw[i].syllabic {
                // A lone Latin letter is an initial; only a Hangul or Han syllable spelt with
                // one letter ("이" → "i", the surname Lee) may be a romanisation variant.
                continue;
            }
            let legal = vocab.legal_forms.get(&key);
            let roman = vocab.romanisations.get(&key);
            if let Some(canonical) = roman.or(legal) {
                let part = &raw[i..i + len];
                let class = if roman.is_some() {
                    classify(canonical, part.iter().any(|t| t.abjad || t.syllabic))
                } else {
                    TokenClass::LegalForm
                };
                tokens.push(Token {
                    text: canonical.clone(),
                    written: key.clone(),
                    class,
                    abjad: part.iter().any(|t| t.abjad),
                    transliterated: part.iter().any(|t| t.transliterated),
                    syllabic: part.iter().any(|t| t.syllabic),
                });
                consumed = len;
                break;
            }
        }
        if consumed == 0 {
            let t = &raw[i];
            tokens.push(Token {
                text: t.text.clone(),
                written: t.text.clone(),
                class: classify(&t.text, t.abjad || t.syllabic),
                abjad: t.abjad,
                transliterated: t.transliterated,
                syllabic: t.syllabic,
            });
            consumed = 1;
        }
        i += consumed;
    }
    NormalisedName { tokens }
}

/// The class of a canonical token. `consonantal`: transliterated from an abjad or a syllabic
/// script, where a short consonant string ("sr", "m") is a name, not a title or an initial.
/// Replaces each run of number words by its value in digits ("forty four" → "44").
fn numbers_as_digits(raw: Vec<RawToken>, numbers: &HashMap<String, u64>) -> Vec<RawToken> {
    if !raw.iter().any(|t| numbers.contains_key(&t.text)) {
        return raw;
    }
    let mut out: Vec<RawToken> = Vec::with_capacity(raw.len());
    let (mut total, mut current, mut in_run) = (0u64, 0u64, false);
    let flush = |out: &mut Vec<RawToken>, total: u64, current: u64| {
        out.push(RawToken {
            text: (total.saturating_add(current)).to_string(),
            abjad: false,
            transliterated: false,
            syllabic: false,
        });
    };
    for t in raw {
        match numbers.get(&t.text) {
            Some(&v) => {
                in_run = true;
                match v {
                    100 => current = current.max(1).saturating_mul(100),
                    1000 => {
                        total = total.saturating_add(current.max(1).saturating_mul(1000));
                        current = 0;
                    }
                    _ => current = current.saturating_add(v),
                }
            }
            None => {
                if in_run {
                    flush(&mut out, total, current);
                    (total, current, in_run) = (0, 0, false);
                }
                out.push(t);
            }
        }
    }
    if in_run {
        flush(&mut out, total, current);
    }
    out
}

fn classify(text: &str, consonantal: bool) -> TokenClass {
    let vocab = &*VOCAB;
    if vocab.particles.contains(text) {
        TokenClass::Particle
    } else if consonantal {
        TokenClass::Name
    } else if vocab.honorifics.contains(text) {
        TokenClass::Honorific
    } else if text.len() == 1 && text.bytes().all(|b| b.is_ascii_alphabetic()) {
        // Before stop words: in a name "A." is an initial, not the article.
        TokenClass::Initial
    } else if vocab.stopwords.contains(text) {
        TokenClass::Stop
    } else {
        TokenClass::Name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        normalise_name(s)
            .tokens
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn fold_strips_diacritics_case_and_punctuation() {
        assert_eq!(fold("  Qoussaï  SADDAM-Hussein "), "qoussai saddam hussein");
        assert_eq!(fold("O'Brien, Seán"), "obrien sean");
        assert_eq!(fold("ＡＢＣ　Ｃｏ．"), "abc co");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn fold_transliterates_other_scripts() {
        assert_eq!(fold("Владимир Путин"), "vladimir putin");
        assert_eq!(fold("习近平"), "xi jin ping");
        assert_eq!(fold("김정은"), "gim jeong eun");
        assert!(!fold("صدام حسين").is_empty());
    }

    #[test]
    fn digits_between_letters_are_read_as_letters() {
        assert_eq!(fold("Ig0r Sech1n"), "igor sechin");
        assert_eq!(fold("14th Brigade 44 2nd"), "14th brigade 44 2nd");
        assert_eq!(fold("CAN0 8ARAKAT Ismai1"), "cano barakat ismail");
    }

    #[test]
    fn cyrillic_look_alike_letters_fold_to_latin() {
        // "Vlаdimir" with a Cyrillic "а" (U+0430).
        assert_eq!(fold("Vl\u{0430}dimir"), "vladimir");
    }

    #[test]
    fn romanisation_variants_share_a_canonical_token() {
        assert_eq!(texts("Mohammed"), texts("Muhammad"));
        assert_eq!(
            texts("Mohamed Abd al Rahman"),
            vec!["muhammad", "abdul", "rahman"]
        );
    }

    #[test]
    fn legal_forms_are_kept_as_low_weight_tokens() {
        let n = normalise_name("Romashka Limited Liability Company");
        let last = n.tokens.last().map(|t| (t.text.as_str(), t.class));
        assert_eq!(last, Some(("llc", TokenClass::LegalForm)));
        assert_eq!(texts("OOO Romashka"), vec!["llc", "romashka"]);
    }

    #[test]
    fn particles_honorifics_and_initials_are_classified() {
        let n = normalise_name("Sheikh Abu Ali J. bin Laden");
        let classes: Vec<TokenClass> = n.tokens.iter().map(|t| t.class).collect();
        assert_eq!(
            classes,
            vec![
                TokenClass::Honorific,
                TokenClass::Particle,
                TokenClass::Name,
                TokenClass::Initial,
                TokenClass::Particle,
                TokenClass::Name
            ]
        );
    }

    #[test]
    fn kana_keep_their_voicing_marks() {
        assert_eq!(fold("ウラジーミル・プーチン"), "urajimiru puchin");
    }

    #[test]
    fn number_words_become_digits() {
        assert_eq!(texts("Brigade Forty-Four"), vec!["brigade", "44"]);
        assert_eq!(texts("Three Percenters"), vec!["3", "percenters"]);
        assert_eq!(texts("two hundred five"), vec!["205"]);
    }

    #[test]
    fn arabic_tokens_are_marked_as_abjad() {
        let n = normalise_name("محمد");
        assert!(n.tokens.iter().all(|t| t.abjad && t.transliterated));
    }
}
