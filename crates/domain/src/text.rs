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

/// `s` with its first character upper-cased (`capitalise`) or lower-cased, for splicing a
/// sentence of the law files into another sentence.
#[must_use]
pub fn with_first(s: &str, upper: bool) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if upper => f.to_uppercase().collect::<String>() + c.as_str(),
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// True when the folded `phrase` occurs as whole words in the folded `haystack` (both from
/// [`fold`], neither folded again), or with a plural `s` on its last word ("protest" finds
/// "protests").
#[must_use]
pub fn contains_phrase(folded_haystack: &str, folded_phrase: &str) -> bool {
    let p = folded_phrase.trim();
    if p.is_empty() {
        return false;
    }
    // Every occurrence, overlapping ones included (" xa a a " holds "a a" at its second try).
    let step = p.chars().next().map_or(1, char::len_utf8);
    let mut from = 0;
    while let Some(k) = folded_haystack[from..].find(p) {
        let i = from + k;
        let rest = &folded_haystack[i + p.len()..];
        if folded_haystack[..i].ends_with(' ') && (rest.starts_with(' ') || rest.starts_with("s "))
        {
            return true;
        }
        from = i + step;
    }
    false
}

/// The phrases of `phrases` found in `text` (original spelling kept). A phrase also matches with
/// a plural `s` on its last word ("protest" finds "protests").
#[cfg(test)]
fn phrases_in<'a>(text_folded: &str, phrases: &'a [String]) -> Vec<&'a str> {
    phrases
        .iter()
        .filter(|p| contains_phrase(text_folded, &fold(p)))
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
    fn overlapping_occurrences_are_all_tried() {
        assert!(contains_phrase(&fold("xa a a"), &fold("a a")));
        assert!(contains_phrase(
            &fold("rooting tools"),
            &fold("rooting tool")
        ));
        assert!(!contains_phrase(
            &fold("rooting toolset"),
            &fold("rooting tool")
        ));
    }

    #[test]
    fn phrases_in_accepts_a_plural_last_word() {
        let h = fold("Identification of participants in public protests");
        let list = vec!["protest".to_owned(), "riot".to_owned()];
        assert_eq!(phrases_in(&h, &list), vec!["protest"]);
    }
}
