//! Country names and ISO 3166-1 alpha-2 codes.
//!
//! Lists write countries as names ("Democratic Republic of the Congo"), codes ("IQ") or both; a
//! query usually gives a code. The table in `data/countries.tsv` maps every form to the code.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::normalise::fold;

static COUNTRIES: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for line in include_str!("../data/countries.tsv").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut cols = line.split('\t');
        let Some(code) = cols.next() else { continue };
        let code = code.trim().to_ascii_uppercase();
        map.insert(fold(&code), code.clone());
        for name in cols {
            map.entry(fold(name)).or_insert_with(|| code.clone());
        }
    }
    map
});

/// The ISO alpha-2 code for a country name or code, if known.
///
/// Two-letter input is taken as a code when it is one; names are matched after folding case,
/// diacritics and punctuation.
pub fn country_code(text: &str) -> Option<&'static str> {
    let key = fold(text);
    if key.is_empty() {
        return None;
    }
    COUNTRIES.get(&key).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_names_and_codes_map_to_iso_codes() {
        assert_eq!(country_code("IQ"), Some("IQ"));
        assert_eq!(country_code("iraq"), Some("IQ"));
        assert_eq!(country_code("Democratic Republic of the Congo"), Some("CD"));
        assert_eq!(country_code("Russian Federation"), Some("RU"));
        assert_eq!(country_code("Côte d'Ivoire"), Some("CI"));
        assert_eq!(country_code("Iran (Islamic Republic of)"), Some("IR"));
        assert_eq!(country_code("Atlantis"), None);
    }
}
