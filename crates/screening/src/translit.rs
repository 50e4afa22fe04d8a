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
    /// Arabic, Hebrew, Syriac, Thaana: vowels usually not written.
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
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF => Script::Syllabic,
        0x20000..=0x2FA1F => Script::Syllabic,
        _ => Script::Other,
    }
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
    fn cyrillic_and_greek_transliterate_to_latin() {
        assert_eq!(translit("Путин"), "Putin");
        assert_eq!(translit("Αλέξης").to_lowercase(), "alexis");
    }
}
