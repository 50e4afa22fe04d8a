//! Server-rendered pages (askama templates in `templates/`), usable without JavaScript, in
//! English and French. Forms post back to the same page; a bad field is shown next to the field
//! with status 422 and nothing is stored.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use vigil_domain::assess::{Assessment, parse_operation_json};
use vigil_domain::classify::{Classification, FactValue, ItemSheet};
use vigil_domain::law::{ControlCode, Entry, Resolution};

use crate::AppState;
use crate::i18n::{Lang, Tr};

/// `?lang=` on any page.
#[derive(Debug, Default, Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
    q: Option<String>,
}

/// What every page needs: the language, its switch link and the version of the law.
pub struct Chrome<'a> {
    /// Messages.
    pub t: Tr<'a>,
    /// Language code (`en`, `fr`) for `<html lang>`.
    pub lang: &'static str,
    /// The other language's code.
    pub other: &'static str,
    /// The path of this page (for the language switch).
    pub path: String,
    /// Law version.
    pub law_version: String,
    /// A session cookie came with the request (the header then offers sign-out, not sign-in).
    pub signed_in: bool,
}

impl Chrome<'_> {
    /// A microsecond timestamp as this page's language writes it (UTC): `25 Nov 2026, 14:03 UTC`
    /// in English, `25 nov. 2026 à 14:03 UTC` in French. Empty when out of range.
    #[must_use]
    pub fn when(&self, micros: &i64) -> String {
        crate::i18n::format_when(self.t.lang, *micros)
    }

    /// A calendar date (`YYYY-MM-DD`) as this page's language writes it: `25 Nov 2026`,
    /// `25 nov. 2026`; the text itself when it is not such a date.
    #[must_use]
    pub fn date(&self, iso: &str) -> String {
        crate::i18n::format_date(self.t.lang, iso)
    }

    /// A whole number with this page's language's digit grouping: `12,345` / `12 345`.
    #[must_use]
    pub fn num(&self, n: &i64) -> String {
        crate::i18n::format_int(self.t.lang, *n)
    }
}

pub(crate) fn chrome<'a>(
    state: &'a AppState,
    headers: &HeaderMap,
    query: &LangQuery,
    path: &str,
) -> (Chrome<'a>, bool) {
    let lang = Lang::negotiate(query.lang.as_deref(), headers);
    let set_cookie = query.lang.is_some();
    (
        Chrome {
            t: Tr::new(&state.catalog, lang),
            lang: lang.code(),
            other: lang.other().code(),
            path: path.to_owned(),
            law_version: state.law.version().to_owned(),
            signed_in: crate::accounts::cookie(headers, crate::accounts::SESSION_COOKIE).is_some(),
        },
        set_cookie,
    )
}

pub(crate) fn render<T: Template>(
    status: StatusCode,
    tpl: &T,
    lang: &str,
    set_cookie: bool,
) -> Response {
    match tpl.render() {
        Ok(body) => {
            let mut res = (status, Html(body)).into_response();
            if set_cookie {
                let cookie = format!(
                    "vigil_lang={lang}; Path=/; Max-Age=31536000; SameSite=Strict; HttpOnly"
                );
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    res.headers_mut().insert(header::SET_COOKIE, v);
                }
            }
            res.headers_mut().insert(
                header::VARY,
                HeaderValue::from_static("Accept-Language, Cookie"),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    c: Chrome<'a>,
    entries: usize,
}

/// `GET /`.
pub async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (c, cookie) = chrome(&state, &headers, &q, "/");
    let lang = c.lang;
    let page = HomePage {
        c,
        entries: state.law.entries().count(),
    };
    render(StatusCode::OK, &page, lang, cookie)
}

/// The classification form's fields.
#[derive(Debug, Default, Deserialize)]
pub struct ClassifyForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    facts: String,
}

#[derive(Template)]
#[template(path = "classify.html")]
struct ClassifyPage<'a> {
    c: Chrome<'a>,
    form: ClassifyForm,
    errors: BTreeMap<String, String>,
    result: Option<Classification>,
}

impl ClassifyPage<'_> {
    /// The catalogue key of a met / not met / unknown reading.
    fn tri_key(&self, t: &vigil_domain::classify::Tri) -> String {
        match t {
            vigil_domain::classify::Tri::Met => "tri-met".to_owned(),
            vigil_domain::classify::Tri::NotMet => "tri-not_met".to_owned(),
            vigil_domain::classify::Tri::Unknown => "tri-unknown".to_owned(),
        }
    }
}

/// `GET /classify`.
pub async fn classify_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (c, cookie) = chrome(&state, &headers, &q, "/classify");
    let lang = c.lang;
    let page = ClassifyPage {
        c,
        form: ClassifyForm::default(),
        errors: BTreeMap::new(),
        result: None,
    };
    render(StatusCode::OK, &page, lang, cookie)
}

/// The answers of a form's `facts` field: a JSON object, none when blank.
pub(crate) fn parse_facts(text: &str) -> serde_json::Result<BTreeMap<String, FactValue>> {
    if text.trim().is_empty() {
        Ok(BTreeMap::new())
    } else {
        serde_json::from_str(text)
    }
}

fn sheet_from(form: &ClassifyForm, errors: &mut BTreeMap<String, String>) -> Option<ItemSheet> {
    let kind = match form.kind.as_str() {
        "" => None,
        "hardware" => Some(vigil_domain::assess::input::ItemKind::Hardware),
        "software" => Some(vigil_domain::assess::input::ItemKind::Software),
        "technology" => Some(vigil_domain::assess::input::ItemKind::Technology),
        other => {
            errors.insert(
                "kind".into(),
                format!("`{other}` is not a kind (hardware, software or technology)"),
            );
            None
        }
    };
    let facts = match parse_facts(&form.facts) {
        Ok(f) => f,
        Err(e) => {
            errors.insert(
                "facts".into(),
                format!(
                    "not a JSON object of answers, e.g. {{\"carrier_class_ip_network\": true}}: {e}"
                ),
            );
            BTreeMap::new()
        }
    };
    errors.is_empty().then(|| ItemSheet {
        description: form.description.clone(),
        kind,
        facts,
    })
}

/// `POST /classify`.
pub async fn classify_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
    Form(form): Form<ClassifyForm>,
) -> Response {
    let (c, cookie) = chrome(&state, &headers, &q, "/classify");
    let lang = c.lang;
    let mut errors = BTreeMap::new();
    let mut result = None;
    if let Some(sheet) = sheet_from(&form, &mut errors) {
        match vigil_domain::classify(&state.law, &sheet) {
            Ok(r) => result = Some(r),
            Err(e) => {
                for f in e.errors {
                    let field = f.path.split('.').next().unwrap_or("description").to_owned();
                    errors.insert(field, f.message);
                }
            }
        }
    }
    let status = crate::web::status_of(&errors);
    let page = ClassifyPage {
        c,
        form,
        errors,
        result,
    };
    render(status, &page, lang, cookie)
}

/// The assessment form's field.
#[derive(Debug, Default, Deserialize)]
pub struct AssessForm {
    #[serde(default)]
    operation: String,
}

/// A citation with the address it links to.
pub struct Link {
    /// Text shown.
    pub text: String,
    /// Target.
    pub href: String,
}

#[derive(Template)]
#[template(path = "assess.html")]
struct AssessPage<'a> {
    c: Chrome<'a>,
    form: AssessForm,
    errors: Vec<(String, String)>,
    result: Option<Assessment>,
    links: Vec<Link>,
}

/// `GET /assess`.
pub async fn assess_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (c, cookie) = chrome(&state, &headers, &q, "/assess");
    let lang = c.lang;
    let page = AssessPage {
        c,
        form: AssessForm::default(),
        errors: Vec::new(),
        result: None,
        links: Vec::new(),
    };
    render(StatusCode::OK, &page, lang, cookie)
}

pub(crate) fn citation_links(state: &AppState, a: &Assessment) -> Vec<Link> {
    a.citations
        .iter()
        .map(|c| {
            let text = format!("{} {}", c.act, c.provision);
            let href = c
                .provision
                .strip_prefix("Annex I ")
                .and_then(|code| code.split_whitespace().next())
                .map(|code| format!("/law/{code}"))
                .or_else(|| {
                    state
                        .law
                        .acts()
                        .find(|act| act.short == c.act)
                        .map(|act| act.url.clone())
                })
                .unwrap_or_else(|| "#".to_owned());
            Link { text, href }
        })
        .collect()
}

/// `POST /assess`.
pub async fn assess_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
    Form(form): Form<AssessForm>,
) -> Response {
    let (c, cookie) = chrome(&state, &headers, &q, "/assess");
    let lang = c.lang;
    let checked =
        parse_operation_json(&form.operation).and_then(|i| i.check(&state.law, (state.today)()));
    let (status, errors, result) = match checked {
        Ok(op) => (
            StatusCode::OK,
            Vec::new(),
            Some(vigil_domain::assess(&state.law, &op)),
        ),
        Err(e) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            e.errors.into_iter().map(|f| (f.path, f.message)).collect(),
            None,
        ),
    };
    let links = result
        .as_ref()
        .map(|a| citation_links(&state, a))
        .unwrap_or_default();
    let page = AssessPage {
        c,
        form,
        errors,
        result,
        links,
    };
    render(status, &page, lang, cookie)
}

#[derive(Template)]
#[template(path = "law_entry.html")]
struct LawEntryPage<'a> {
    c: Chrome<'a>,
    code: String,
    entry: Option<&'a Entry>,
    exact: bool,
    annex_iv: Option<String>,
    section_i: bool,
    source: String,
    url: String,
    near: Vec<String>,
}

/// `GET /law/{code}`.
pub async fn law_entry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
    Path(code): Path<String>,
) -> Response {
    let (c, cookie) = chrome(&state, &headers, &q, &format!("/law/{code}"));
    let lang = c.lang;
    let law = &state.law;
    let parsed = ControlCode::parse(&code);
    let (entry, exact, near) = match &parsed {
        Ok(p) => match law.resolve(p) {
            Resolution::Exact(e) => (Some(e), true, Vec::new()),
            Resolution::Within(e) => (Some(e), false, Vec::new()),
            Resolution::Unknown(near) => (None, false, near),
        },
        Err(_) => (None, false, law.nearest_codes(&code, 3)),
    };
    let (annex_iv, section_i) = match &parsed {
        Ok(p) => (
            law.annex_iv_item(p).map(|i| i.part.clone()),
            law.in_section_i(p),
        ),
        Err(_) => (None, false),
    };
    let (source, url) = entry
        .map(|e| {
            (
                format!("{} {}", law.act_name(&e.cite.act), e.cite.provision),
                law.act(&e.cite.act)
                    .map(|a| a.url.clone())
                    .unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    let status = if entry.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let page = LawEntryPage {
        c,
        code: parsed.map(|p| p.to_string()).unwrap_or(code),
        entry,
        exact,
        annex_iv,
        section_i,
        source,
        url,
        near,
    };
    render(status, &page, lang, cookie)
}

#[derive(Template)]
#[template(path = "law_search.html")]
struct LawSearchPage<'a> {
    c: Chrome<'a>,
    q: String,
    hits: Vec<(String, String, String)>,
}

/// `GET /law?q=…`.
pub async fn law_search(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LangQuery>,
) -> Response {
    let (c, cookie) = chrome(&state, &headers, &q, "/law");
    let lang = c.lang;
    let words = q.q.clone().unwrap_or_default();
    let mut hits = Vec::new();
    if !words.trim().is_empty() {
        if let Ok(code) = ControlCode::parse(&words)
            && let Resolution::Exact(e) | Resolution::Within(e) = state.law.resolve(&code)
        {
            hits.push((e.code.to_string(), e.title.clone(), "1.00".to_owned()));
        }
        let sheet = ItemSheet {
            description: words.clone(),
            kind: None,
            facts: BTreeMap::new(),
        };
        if let Ok(r) = vigil_domain::classify(&state.law, &sheet) {
            for cand in r.candidates {
                if !hits.iter().any(|h| h.0 == cand.entry) {
                    hits.push((cand.entry, cand.title, format!("{:.2}", cand.score)));
                }
            }
        }
    }
    let page = LawSearchPage { c, q: words, hits };
    render(StatusCode::OK, &page, lang, cookie)
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage<'a> {
    c: Chrome<'a>,
}

/// Anything else: 404 (problem details under `/api/`).
pub async fn not_found(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    if uri.path().starts_with("/api/") {
        return crate::problem::Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("no resource at {}", uri.path()),
        )
        .into_response();
    }
    let (c, _) = chrome(&state, &headers, &LangQuery::default(), "/");
    let lang = c.lang;
    render(StatusCode::NOT_FOUND, &NotFoundPage { c }, lang, false)
}

/// `GET /static/vigil.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/vigil.css"),
    )
        .into_response()
}
