//! Text folding and phrase matching shared by classification and red-flag detection.

/// Lower-cases and transliterates to ASCII (`Données` → `donnees`), and turns every character
/// that is not a letter or digit into a single space, so phrases match on word boundaries.
#[must_use]
pub fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len() + 2);
    out.push(' ');
    let mut last_space = true;
    for ch in ascii.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    if !last_space {
        out.push(' ');
    }
    out
}

/// True when the folded `phrase` occurs as whole words in the folded `haystack`
/// (both from [`fold`]).
#[must_use]
pub fn contains_phrase(folded_haystack: &str, folded_phrase: &str) -> bool {
    let p = folded_phrase.trim();
    if p.is_empty() {
        return false;
    }
    let needle = format!(" {p} ");
    folded_haystack.contains(&needle)
}

/// The phrases of `phrases` found in `text` (original spelling kept). A phrase also matches with
/// a plural `s` on its last word ("protest" finds "protests").
#[must_use]
pub fn phrases_in<'a>(text_folded: &str, phrases: &'a [String]) -> Vec<&'a str> {
    phrases
        .iter()
        .filter(|p| {
            let f = fold(p);
            contains_phrase(text_folded, &f)
                || contains_phrase(text_folded, &format!("{}s", f.trim_end()))
        })
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_strips_accents_case_and_punctuation() {
        assert_eq!(fold("Données, À l'insu!"), " donnees a l insu ");
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let h = fold("An IMSI-catcher for covert use");
        assert!(contains_phrase(&h, &fold("IMSI catcher")));
        assert!(contains_phrase(&h, &fold("covert")));
        assert!(!contains_phrase(&h, &fold("over")));
        assert!(!contains_phrase(&h, &fold("")));
    }

    #[test]
    fn phrases_in_accepts_a_plural_last_word() {
        let h = fold("Identification of participants in public protests");
        let list = vec!["protest".to_owned(), "riot".to_owned()];
        assert_eq!(phrases_in(&h, &list), vec!["protest"]);
    }
}
