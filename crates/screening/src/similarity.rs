//! String similarity on folded (ASCII) tokens, without allocation.

/// Jaro-Winkler similarity of two byte strings (prefix scale 0.1, prefix up to 4, boost only
/// above a Jaro similarity of 0.7, as in Winkler's definition).
///
/// Works on bytes because folded tokens are ASCII. Strings longer than 64 bytes are compared on
/// their first 64 bytes (no real name token is that long).
pub(crate) fn jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    let j = jaro(a, b);
    if j <= 0.7 {
        return j;
    }
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    j + (prefix as f64) * 0.1 * (1.0 - j)
}

fn jaro(a: &[u8], b: &[u8]) -> f64 {
    let a = &a[..a.len().min(64)];
    let b = &b[..b.len().min(64)];
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_used = [false; 64];
    let mut b_used = [false; 64];
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_used[j] && b[j] == ca {
                a_used[i] = true;
                b_used[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut k = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        if !a_used[i] {
            continue;
        }
        while !b_used[k] {
            k += 1;
        }
        if ca != b[k] {
            transpositions += 1;
        }
        k += 1;
    }
    let m = matches as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - (transpositions / 2) as f64) / m) / 3.0
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions) of two byte
/// strings, computed on at most their first 63 bytes.
pub(crate) fn osa_distance(a: &[u8], b: &[u8]) -> usize {
    let a = &a[..a.len().min(63)];
    let b = &b[..b.len().min(63)];
    let mut prev2 = [0usize; 64];
    let mut prev: [usize; 64] = std::array::from_fn(|j| j);
    let mut cur = [0usize; 64];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
        }
        prev2 = prev;
        prev = cur;
    }
    prev[b.len()]
}

/// The consonant skeleton of a folded token: vowels, `y`, `w` and `h` after a consonant dropped,
/// doubled letters collapsed. "muhammad" → "mhmd", "hussein" → "hsn", and the transliterated
/// Arabic "mhmd" stays "mhmd". Used to compare abjad-derived tokens and as a retrieval key.
pub(crate) fn skeleton(token: &str, out: &mut String) {
    out.clear();
    let mut last = 0u8;
    for &b in token.as_bytes() {
        if matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'w') {
            continue;
        }
        let b = match b {
            b'q' | b'c' => b'k',
            b'z' => b's',
            b'p' => b'b',
            b'v' => b'f',
            other => other,
        };
        if b != last {
            out.push(char::from(b));
        }
        last = b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn jaro_winkler_matches_known_values() {
        assert!((jaro_winkler(b"martha", b"marhta") - 0.9611).abs() < 1e-3);
        assert!((jaro_winkler(b"dixon", b"dicksonx") - 0.8133).abs() < 1e-3);
        assert_eq!(jaro_winkler(b"abc", b"abc"), 1.0);
        assert_eq!(jaro_winkler(b"abc", b"xyz"), 0.0);
    }

    #[test]
    fn skeleton_drops_vowels_and_collapses_doubles() {
        let mut s = String::new();
        skeleton("muhammad", &mut s);
        assert_eq!(s, "mhmd");
        skeleton("hussein", &mut s);
        assert_eq!(s, "hsn");
        skeleton("qasim", &mut s);
        assert_eq!(s, "ksm");
    }

    #[test]
    fn osa_distance_counts_transpositions_as_one_edit() {
        assert_eq!(osa_distance(b"hussien", b"hussein"), 1);
        assert_eq!(osa_distance(b"castillo", b"castro"), 3);
        assert_eq!(osa_distance(b"", b"abc"), 3);
        assert_eq!(osa_distance(b"abc", b"abc"), 0);
    }

    proptest! {
        #[test]
        fn osa_distance_is_at_most_levenshtein(a in "[a-d]{0,8}", b in "[a-d]{0,8}") {
            let ours = osa_distance(a.as_bytes(), b.as_bytes());
            prop_assert!(ours <= strsim::levenshtein(&a, &b));
            prop_assert_eq!(ours, strsim::osa_distance(&a, &b));
        }
    }

    proptest! {
        #[test]
        fn jaro_winkler_agrees_with_strsim(a in "[a-z]{0,12}", b in "[a-z]{0,12}") {
            let ours = jaro_winkler(a.as_bytes(), b.as_bytes());
            let theirs = strsim::jaro_winkler(&a, &b);
            prop_assert!((ours - theirs).abs() < 1e-9, "{a} {b}: {ours} vs {theirs}");
        }
    }
}
