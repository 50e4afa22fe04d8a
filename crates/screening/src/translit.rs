//! Transliteration of non-Latin scripts to Latin letters.
//!
//! The heavy lifting is `any_ascii` (one table for every script). This module adds what a name
//! matcher needs on top: which script a character came from, because
//! - Arabic, Hebrew and Syriac are *abjads*: short vowels are not written, so "محمد" becomes
//!   "mhmd" and can only be compared with "Muhammad" on its consonant skeleton;
//! - Chinese characters and Korean syllables each stand for one syllable, which Latin spellings
//!   write as separate words ("Kim Jong Un"), so each becomes its own token.

/// The script family of a character, as far as name matching cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    /// ASCII and Latin letters with diacritics.
    Latin,
    /// Arabic, Hebrew, Syriac, Thaana: vowels usually not written; also the Brahmic abugidas
    /// (Devanagari, Thai...), whose vowel signs are dropped with the other combining marks.
    Abjad,
    /// Han ideographs and Hangul syllables: one character, one syllable.
    Syllabic,
    /// Cyrillic, Greek, Georgian, Armenian, Devanagari, kana...: transliterated letter by letter.
    Other,
}

/// The script family of `c`.
pub fn script_of(c: char) -> Script {
    let u = u32::from(c);
    match u {
        0..=0x024F | 0x1E00..=0x1EFF => Script::Latin,
        0x0590..=0x05FF
        | 0x0600..=0x06FF
        | 0x0700..=0x074F
        | 0x0750..=0x077F
        | 0x0780..=0x07BF
        | 0x08A0..=0x08FF
        | 0xFB1D..=0xFB4F
        | 0xFB50..=0xFDFF
        | 0xFE70..=0xFEFF => Script::Abjad,
        // Brahmic abugidas (Devanagari to Sinhala, Thai, Lao, Myanmar, Khmer): vowel signs are
        // combining marks that folding drops, so what remains is compared on consonants too.
        0x0900..=0x0DFF | 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF => Script::Abjad,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF => Script::Syllabic,
        0x20000..=0x2FA1F => Script::Syllabic,
        _ => Script::Other,
    }
}

/// Look-alike letters of other scripts and the Latin letter each imitates (`data/confusables.txt`).
static CONFUSABLES: std::sync::LazyLock<std::collections::HashMap<char, char>> =
    std::sync::LazyLock::new(|| {
        let mut map = std::collections::HashMap::new();
        for line in include_str!("../data/confusables.txt").lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let Some((latin, alikes)) = line.split_once('=') else {
                continue;
            };
            let Some(latin) = latin.trim().chars().next() else {
                continue;
            };
            for a in alikes.split(',').filter_map(|a| a.trim().chars().next()) {
                map.insert(a, latin);
            }
        }
        map
    });

/// The Latin letter `c` imitates, if it is a look-alike from another script (Cyrillic "а" → "a").
pub fn latin_look_alike(c: char) -> Option<char> {
    if c.is_ascii() {
        return None;
    }
    let lower = c.to_lowercase().next().unwrap_or(c);
    CONFUSABLES
        .get(&c)
        .or_else(|| CONFUSABLES.get(&lower))
        .copied()
}

/// Rewrites look-alike letters to Latin in every word of `s` that is written in Latin letters
/// mixed with look-alikes, or made only of look-alikes when other words of `s` are Latin.
/// Words genuinely written in another script are left for transliteration.
pub fn undo_look_alikes(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        return std::borrow::Cow::Borrowed(s);
    }
    let words: Vec<&str> = s
        .split(|c: char| !c.is_alphanumeric() && !is_invisible(c))
        .filter(|w| !w.is_empty())
        .collect();
    let latin = |c: char| c.is_alphabetic() && script_of(c) == Script::Latin;
    let name_has_latin = words.iter().any(|w| w.chars().any(latin));
    let rewrite = |w: &str| {
        let other = w.chars().filter(|&c| c.is_alphabetic() && !latin(c));
        let mut any_other = false;
        for c in other {
            any_other = true;
            if latin_look_alike(c).is_none() {
                return false;
            }
        }
        any_other && (w.chars().any(latin) || name_has_latin)
    };
    if !words.iter().any(|w| rewrite(w)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if rewrite(word) {
            out.extend(word.chars().map(|c| {
                if latin(c) {
                    c
                } else {
                    let l = latin_look_alike(c).unwrap_or(c);
                    if c.is_uppercase() {
                        l.to_ascii_uppercase()
                    } else {
                        l
                    }
                }
            }));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in s.chars() {
        if c.is_alphanumeric() || is_invisible(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    std::borrow::Cow::Owned(out)
}

/// Zero-width and other invisible format characters, which are dropped ("C\u{200C}ANO" is "CANO").
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// Appends the Latin transliteration of one character to `out`.
pub fn transliterate_char(c: char, out: &mut String) {
    out.push_str(any_ascii::any_ascii_char(c));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translit(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            transliterate_char(c, &mut out);
        }
        out
    }

    #[test]
    fn scripts_are_classified_by_family() {
        assert_eq!(script_of('a'), Script::Latin);
        assert_eq!(script_of('é'), Script::Latin);
        assert_eq!(script_of('م'), Script::Abjad);
        assert_eq!(script_of('ש'), Script::Abjad);
        assert_eq!(script_of('习'), Script::Syllabic);
        assert_eq!(script_of('김'), Script::Syllabic);
        assert_eq!(script_of('П'), Script::Other);
    }

    #[test]
    fn look_alikes_inside_latin_names_are_read_as_latin() {
        assert_eq!(
            undo_look_alikes("\u{0421}\u{0410}N\u{041E} CORREA"),
            "CANO CORREA"
        );
        assert_eq!(
            undo_look_alikes("\u{041E}\u{0421}\u{041D}\u{041E}\u{0410} VASCO"),
            "OCHOA VASCO"
        );
        assert_eq!(undo_look_alikes("Путин"), "Путин");
        assert_eq!(undo_look_alikes("Vladimir Путин"), "Vladimir Путин");
        assert_eq!(undo_look_alikes("ТОМАС"), "ТОМАС");
    }

    #[test]
    fn cyrillic_and_greek_transliterate_to_latin() {
        assert_eq!(translit("Путин"), "Putin");
        assert_eq!(translit("Αλέξης").to_lowercase(), "alexis");
    }
}
