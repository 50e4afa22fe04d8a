//! French and English: Fluent message catalogues (`locales/*.ftl`, embedded) and the choice of
//! language for a request: `?lang=` (which also sets a cookie), else the `vigil_lang` cookie, else
//! `Accept-Language`, else English.

use axum::http::HeaderMap;
use fluent_bundle::FluentResource;
use fluent_bundle::concurrent::FluentBundle;
use unic_langid::LanguageIdentifier;

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
}

impl Lang {
    /// The language tag.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// The other language (for the switch link).
    #[must_use]
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Fr,
            Lang::Fr => Lang::En,
        }
    }

    fn parse(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    /// Chooses the language of a request.
    #[must_use]
    pub fn negotiate(query: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(l) = query.and_then(Lang::parse) {
            return l;
        }
        let cookie = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|kv| kv.trim().strip_prefix("vigil_lang=").and_then(Lang::parse));
        if let Some(l) = cookie {
            return l;
        }
        let accept = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // Highest q first; ties keep header order.
        let mut prefs: Vec<(f32, usize, Lang)> = accept
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut it = part.split(';');
                let lang = Lang::parse(it.next()?)?;
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some((q, i, lang))
            })
            .collect();
        prefs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        prefs.first().map_or(Lang::En, |p| p.2)
    }
}

/// The message catalogues.
pub struct Catalog {
    en: FluentBundle<FluentResource>,
    fr: FluentBundle<FluentResource>,
}

/// A catalogue could not be loaded (a bug in the embedded `.ftl` files; a test guards it).
#[derive(Debug, thiserror::Error)]
#[error("message catalogue {lang}: {message}")]
pub struct CatalogError {
    lang: &'static str,
    message: String,
}

/// The catalogue files, one pair per area of the application: (area, English, French). Each
/// area keeps its keys in its own pair of files (`locales/en.ftl` holds the core).
const CATALOGUES: [(&str, &str, &str); 10] = [
    (
        "core",
        include_str!("../locales/en.ftl"),
        include_str!("../locales/fr.ftl"),
    ),
    (
        "icp",
        include_str!("../locales/icp.en.ftl"),
        include_str!("../locales/icp.fr.ftl"),
    ),
    (
        "licences",
        include_str!("../locales/licences.en.ftl"),
        include_str!("../locales/licences.fr.ftl"),
    ),
    (
        "party-screening",
        include_str!("../locales/party-screening.en.ftl"),
        include_str!("../locales/party-screening.fr.ftl"),
    ),
    (
        "review",
        include_str!("../locales/review.en.ftl"),
        include_str!("../locales/review.fr.ftl"),
    ),
    (
        "due-diligence",
        include_str!("../locales/due-diligence.en.ftl"),
        include_str!("../locales/due-diligence.fr.ftl"),
    ),
    (
        "fdi",
        include_str!("../locales/fdi.en.ftl"),
        include_str!("../locales/fdi.fr.ftl"),
    ),
    (
        "operations-csv",
        include_str!("../locales/operations-csv.en.ftl"),
        include_str!("../locales/operations-csv.fr.ftl"),
    ),
    (
        "transmissions",
        include_str!("../locales/transmissions.en.ftl"),
        include_str!("../locales/transmissions.fr.ftl"),
    ),
    (
        "spdx",
        include_str!("../locales/spdx.en.ftl"),
        include_str!("../locales/spdx.fr.ftl"),
    ),
];

fn bundle(
    lang: &'static str,
    sources: impl Iterator<Item = &'static str>,
) -> Result<FluentBundle<FluentResource>, CatalogError> {
    let err = |message: String| CatalogError { lang, message };
    let id: LanguageIdentifier = lang.parse().map_err(|e| err(format!("{e}")))?;
    let mut b = FluentBundle::new_concurrent(vec![id]);
    b.set_use_isolating(false);
    for source in sources {
        let res =
            FluentResource::try_new(source.to_owned()).map_err(|(_, e)| err(format!("{e:?}")))?;
        b.add_resource(res).map_err(|e| err(format!("{e:?}")))?;
    }
    Ok(b)
}

impl Catalog {
    /// Loads the embedded catalogues.
    ///
    /// # Errors
    /// [`CatalogError`] if a catalogue does not parse.
    pub fn load() -> Result<Catalog, CatalogError> {
        Ok(Catalog {
            en: bundle("en", CATALOGUES.iter().map(|c| c.1))?,
            fr: bundle("fr", CATALOGUES.iter().map(|c| c.2))?,
        })
    }

    /// The message `key` in `lang`; the key itself when missing (tests check none is).
    #[must_use]
    pub fn get(&self, lang: Lang, key: &str) -> String {
        let b = match lang {
            Lang::En => &self.en,
            Lang::Fr => &self.fr,
        };
        let Some(pattern) = b.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut errors = Vec::new();
        b.format_pattern(pattern, None, &mut errors).into_owned()
    }

    /// True when `key` exists in both catalogues.
    #[must_use]
    pub fn has(&self, key: &str) -> bool {
        self.en.has_message(key) && self.fr.has_message(key)
    }
}

/// The catalogue bound to a language, for templates: `{{ t.get("nav-home") }}`.
#[derive(Clone, Copy)]
pub struct Tr<'a> {
    catalog: &'a Catalog,
    /// The language.
    pub lang: Lang,
}

impl<'a> Tr<'a> {
    /// Binds a catalogue to a language.
    #[must_use]
    pub fn new(catalog: &'a Catalog, lang: Lang) -> Tr<'a> {
        Tr { catalog, lang }
    }

    /// The message `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> String {
        self.catalog.get(self.lang, key)
    }
}

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MONTHS_FR: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];

fn day_month_year(lang: Lang, d: time::Date) -> String {
    let m = usize::from(u8::from(d.month())) - 1;
    let month = match lang {
        Lang::En => MONTHS_EN[m],
        Lang::Fr => MONTHS_FR[m],
    };
    format!("{} {month} {}", d.day(), d.year())
}

/// A microsecond timestamp (UTC) in `lang`: `25 Nov 2026, 14:03 UTC` / `25 nov. 2026 à 14:03 UTC`;
/// empty when out of range.
#[must_use]
pub fn format_when(lang: Lang, micros: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(micros.div_euclid(1_000_000)) else {
        return String::new();
    };
    let date = day_month_year(lang, t.date());
    match lang {
        Lang::En => format!("{date}, {:02}:{:02} UTC", t.hour(), t.minute()),
        Lang::Fr => format!("{date} à {:02}:{:02} UTC", t.hour(), t.minute()),
    }
}

/// A `YYYY-MM-DD` date in `lang` (`25 Nov 2026` / `25 nov. 2026`); other text unchanged.
#[must_use]
pub fn format_date(lang: Lang, iso: &str) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(iso, fmt) {
        Ok(d) => day_month_year(lang, d),
        Err(_) => iso.to_owned(),
    }
}

/// A whole number with digit grouping in `lang`: `1,234,567` / `1 234 567` (narrow no-break
/// spaces, as French typography writes them).
#[must_use]
pub fn format_int(lang: Lang, n: i64) -> String {
    let sep = match lang {
        Lang::En => ",",
        Lang::Fr => "\u{202f}",
    };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn both_catalogues_load_and_have_the_same_keys() {
        let c = Catalog::load().unwrap();
        let keys = |src: &str| -> Vec<String> {
            src.lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
                .filter(|k| !k.is_empty() && !k.starts_with('#'))
                .collect()
        };
        let mut all = std::collections::BTreeSet::new();
        for (area, en, fr) in CATALOGUES {
            let (en, fr) = (keys(en), keys(fr));
            assert_eq!(
                en, fr,
                "{area}: the English and French files must define the same keys in the same order"
            );
            for k in &en {
                assert!(c.has(k), "{k}");
                assert!(all.insert(k.clone()), "{area}: {k} is defined twice");
            }
        }
        assert_eq!(c.get(Lang::Fr, "nav-home"), "Accueil");
    }

    #[test]
    fn dates_and_numbers_follow_the_language() {
        // 2026-11-25T14:03:09Z
        let t = 1_795_615_389_000_000;
        assert_eq!(format_when(Lang::En, t), "25 Nov 2026, 14:03 UTC");
        assert_eq!(format_when(Lang::Fr, t), "25 nov. 2026 à 14:03 UTC");
        assert_eq!(format_date(Lang::Fr, "2027-02-01"), "1 févr. 2027");
        assert_eq!(format_date(Lang::En, "not a date"), "not a date");
        assert_eq!(format_int(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(format_int(Lang::Fr, -12_345), "-12\u{202f}345");
        assert_eq!(format_int(Lang::En, 999), "999");
    }

    #[test]
    fn negotiation_prefers_query_then_cookie_then_accept_language() {
        let mut h = HeaderMap::new();
        h.insert(
            "accept-language",
            HeaderValue::from_static("de-DE, fr;q=0.8, en;q=0.5"),
        );
        assert_eq!(Lang::negotiate(None, &h), Lang::Fr);
        h.insert("cookie", HeaderValue::from_static("a=b; vigil_lang=en"));
        assert_eq!(Lang::negotiate(None, &h), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr"), &h), Lang::Fr);
        assert_eq!(Lang::negotiate(None, &HeaderMap::new()), Lang::En);
    }
}
