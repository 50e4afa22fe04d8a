//! The one `multipart/form-data` parser (RFC 7578, on the multipart syntax of RFC 2046 §5.1) of
//! the upload forms: licences, internal compliance programme records, hold releases, operation
//! batches and list imports.
//!
//! The handlers read the whole body first (under their own size limit, which gives their 413), then
//! [`parse`] splits it into [`Part`]s; [`get`], [`text`] and [`file`] pick a field as a form does
//! (the last part of a name wins, as a later field overrides an earlier one).
//!
//! What is read: a preamble before the first delimiter is skipped; each delimiter `--boundary` is
//! followed by optional spaces or tabs and CRLF, or by `--` (the close: the epilogue after it is
//! ignored); a part's headers end with an empty line and must include `Content-Disposition:
//! form-data` with a `name` (`filename` is optional; values are tokens or quoted strings in which
//! `\"` and `\\` stand for `"` and `\`, any other backslash staying as it is, so that a Windows path
//! survives); `Content-Type` is optional. Header names and parameter names are case-insensitive.
//! Parsing never panics: any input gives the parts or a [`MultipartError`] naming what is wrong.

use thiserror::Error;

/// One part of a `multipart/form-data` body: a field or a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Part {
    /// The field's name (`Content-Disposition: form-data; name=…`).
    pub name: String,
    /// The file's name, for a file part (`filename=…`; empty when a form was sent without
    /// choosing a file).
    pub filename: Option<String>,
    /// The part's `Content-Type`, as sent (trimmed).
    pub content_type: Option<String>,
    /// The content.
    pub data: Vec<u8>,
}

impl Part {
    /// The content as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// Whether the part carries a file: a file name or some content (a browser sends a file
    /// input left empty as `filename=""` with no content).
    pub fn carries_file(&self) -> bool {
        self.filename.as_deref().is_some_and(|n| !n.is_empty()) || !self.data.is_empty()
    }
}

/// Why a body is not a `multipart/form-data` body this parser reads.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MultipartError {
    /// The request's content type is not `multipart/form-data`.
    #[error("the content type is not multipart/form-data")]
    NotMultipart,
    /// The content type has no (or an empty) `boundary` parameter.
    #[error("the content type has no boundary")]
    NoBoundary,
    /// No `--boundary` delimiter starts a line of the body.
    #[error("the body has no boundary delimiter")]
    NoDelimiter,
    /// A delimiter is followed by neither CRLF nor `--`, or the body ends right after one.
    #[error("a boundary delimiter is followed by neither CRLF nor the close --")]
    BadDelimiter,
    /// Part `n` (from 0) has no empty line ending its headers, or no delimiter after it.
    #[error("part {0} is not terminated")]
    UnterminatedPart(usize),
    /// Part `index` has a header that cannot be read.
    #[error("part {index} has a bad header: {reason}")]
    BadHeader {
        /// The part, from 0.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Part `n` has no `Content-Disposition: form-data` header.
    #[error("part {0} has no Content-Disposition: form-data header")]
    NoDisposition(usize),
    /// Part `n`'s `Content-Disposition` has no `name`.
    #[error("part {0} has no name")]
    NoName(usize),
}

/// Whether a request's content type is `multipart/form-data` (case-insensitive).
pub fn is_form_data(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("multipart/form-data"))
}

/// Splits a `multipart/form-data` body (given the request's `Content-Type`) into its parts, in
/// body order.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, MultipartError> {
    if !is_form_data(content_type) {
        return Err(MultipartError::NotMultipart);
    }
    let (_, params) = content_type.split_once(';').unwrap_or((content_type, ""));
    let boundary = parameters(params)
        .ok()
        .and_then(|ps| param(&ps, "boundary"))
        .filter(|b| !b.is_empty())
        .ok_or(MultipartError::NoBoundary)?;
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let separator = format!("\r\n--{boundary}");
    let separator = separator.as_bytes();

    // The first delimiter starts the body or a line (after a preamble).
    let mut rest = if body.starts_with(delimiter) {
        body.get(delimiter.len()..)
    } else {
        find(body, separator).and_then(|i| body.get(i + separator.len()..))
    }
    .ok_or(MultipartError::NoDelimiter)?;

    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let padding = rest
            .iter()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        rest = rest
            .get(padding..)
            .and_then(|r| r.strip_prefix(b"\r\n"))
            .ok_or(MultipartError::BadDelimiter)?;
        let index = parts.len();
        let (head, content) = if let Some(content) = rest.strip_prefix(b"\r\n") {
            (&b""[..], content)
        } else {
            let end = find(rest, b"\r\n\r\n").ok_or(MultipartError::UnterminatedPart(index))?;
            let (head, content) = rest.split_at(end);
            (head, content.get(4..).unwrap_or_default())
        };
        let end = find(content, separator).ok_or(MultipartError::UnterminatedPart(index))?;
        let (data, after) = content.split_at(end);
        rest = after.get(separator.len()..).unwrap_or_default();
        let mut part = read_head(index, head)?;
        part.data = data.to_vec();
        parts.push(part);
    }
}

/// The last part named `name`.
pub fn get<'a>(parts: &'a [Part], name: &str) -> Option<&'a Part> {
    parts.iter().rev().find(|p| p.name == name)
}

/// The text of the last part named `name` (invalid UTF-8 replaced).
pub fn text(parts: &[Part], name: &str) -> Option<String> {
    get(parts, name).map(Part::text)
}

/// The last part named `name`, when it carries a file ([`Part::carries_file`]).
pub fn file<'a>(parts: &'a [Part], name: &str) -> Option<&'a Part> {
    get(parts, name).filter(|p| p.carries_file())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A part's name, file name and type from its headers.
fn read_head(index: usize, head: &[u8]) -> Result<Part, MultipartError> {
    let bad = |reason| MultipartError::BadHeader { index, reason };
    let head = std::str::from_utf8(head).map_err(|_| bad("not UTF-8"))?;
    let mut headers: Vec<(&str, String)> = Vec::new();
    for line in head.lines() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // An obsolete folded line continues the header before it.
            let (_, value) = headers
                .last_mut()
                .ok_or(bad("a continuation line before any header"))?;
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        let (name, value) = line.split_once(':').ok_or(bad("a line without a colon"))?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(bad("an invalid header name"));
        }
        headers.push((name, value.trim().to_owned()));
    }
    let header = |wanted: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
            .map(|(_, v)| v.as_str())
    };
    let disposition = header("content-disposition").ok_or(MultipartError::NoDisposition(index))?;
    let (kind, params) = disposition.split_once(';').unwrap_or((disposition, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return Err(MultipartError::NoDisposition(index));
    }
    let params = parameters(params).map_err(bad)?;
    Ok(Part {
        name: param(&params, "name").ok_or(MultipartError::NoName(index))?,
        filename: param(&params, "filename"),
        content_type: header("content-type").map(str::to_owned),
        data: Vec::new(),
    })
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b)
}

/// The first value of parameter `name` (case-insensitive).
fn param(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

/// The `; name=value` parameters of a header value (after its first `;`): values are tokens or
/// quoted strings (`\"` and `\\` escaped; another backslash is kept, as browsers send Windows
/// paths unescaped).
fn parameters(s: &str) -> Result<Vec<(String, String)>, &'static str> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ';').is_some() {}
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ';') {
            name.push(c);
        }
        let name = name.trim().to_owned();
        if chars.next_if_eq(&'=').is_none() {
            // A parameter without a value: nothing to keep.
            continue;
        }
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    None => return Err("an unterminated quoted string"),
                    Some('"') => break,
                    Some('\\') => match chars.next_if(|c| *c == '"' || *c == '\\') {
                        Some(c) => value.push(c),
                        None => value.push('\\'),
                    },
                    Some(c) => value.push(c),
                }
            }
            // Anything between the closing quote and the next `;` is ignored.
            while chars.next_if(|c| *c != ';').is_some() {}
        } else {
            while let Some(c) = chars.next_if(|c| *c != ';') {
                value.push(c);
            }
            value = value.trim().to_owned();
        }
        out.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(parts: &'a [Part], name: &str) -> Option<&'a [u8]> {
        get(parts, name).map(|p| p.data.as_slice())
    }

    // From licences: the document keeps its name and type next to the fields.
    #[test]
    fn the_document_keeps_its_name_and_type() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"number\"\r\n\r\nN-1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"document\"; filename=\"l.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--XyZ--\r\n";
        let p = parse("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(field(&p, "number"), Some(&b"N-1"[..]));
        let d = file(&p, "document").unwrap();
        assert_eq!(d.filename.as_deref(), Some("l.pdf"));
        assert_eq!(d.data, b"%PDF");
        assert_eq!(d.content_type.as_deref(), Some("application/pdf"));
        assert_eq!(text(&p, "number").as_deref(), Some("N-1"));
    }

    // From operations_csv: a file's content keeps its inner CRLFs; a body that is not multipart
    // is refused.
    #[test]
    fn a_file_keeps_its_lines_and_other_types_are_refused() {
        let body = b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ops.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n--B--\r\n";
        let p = parse("multipart/form-data; boundary=B", body).unwrap();
        assert_eq!(
            get(&p, "file").unwrap().filename.as_deref(),
            Some("ops.csv")
        );
        assert_eq!(field(&p, "file"), Some(&b"a,b\r\n1,2"[..]));
        assert_eq!(parse("text/csv", body), Err(MultipartError::NotMultipart));
        assert_eq!(
            parse("text/csv; boundary=B", body),
            Err(MultipartError::NotMultipart)
        );
    }

    // From screening: fields and files; no boundary, or a broken body, is an error.
    #[test]
    fn bodies_are_split_into_fields() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nun\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"un.xml\"\r\nContent-Type: text/xml\r\n\r\n<a>\r\n</a>\r\n--XyZ--\r\n";
        let p = parse("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(field(&p, "source"), Some(&b"un"[..]));
        let f = get(&p, "file").unwrap();
        assert_eq!(f.filename.as_deref(), Some("un.xml"));
        assert_eq!(f.data, b"<a>\r\n</a>");
        assert_eq!(
            parse("multipart/form-data", body),
            Err(MultipartError::NoBoundary)
        );
        assert_eq!(
            parse("multipart/form-data; boundary=", body),
            Err(MultipartError::NoBoundary)
        );
        assert_eq!(
            parse("multipart/form-data; boundary=XyZ", b"--XyZ\r\nbroken"),
            Err(MultipartError::UnterminatedPart(0))
        );
    }

    // From icp and review: parts in order, with their types; an empty file input is no file.
    #[test]
    fn parts_come_in_order_and_an_empty_file_input_is_no_file() {
        let body = b"--b\r\ncontent-disposition: form-data; name=\"documents\"; filename=\"a.pdf\"\r\ncontent-type: application/pdf\r\n\r\nA\r\n--b\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"reason\"\r\n\r\nok\r\n--b--";
        let p = parse("Multipart/Form-Data; Boundary=\"b\"", body).unwrap();
        let names: Vec<_> = p.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["documents", "documents", "reason"]);
        assert_eq!(p[0].content_type.as_deref(), Some("application/pdf"));
        assert!(p[0].carries_file());
        assert!(!p[1].carries_file());
        assert_eq!(file(&p, "documents"), None);
        assert_eq!(p[2].content_type, None);
    }

    #[test]
    fn a_later_field_overrides_an_earlier_one() {
        let body = b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name=a\r\n\r\n2\r\n--b--";
        let p = parse("multipart/form-data; boundary=b", body).unwrap();
        assert_eq!(text(&p, "a").as_deref(), Some("2"));
        assert_eq!(text(&p, "b"), None);
    }

    #[test]
    fn quoted_file_names_are_unescaped_and_windows_paths_kept() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"say \\\"hi\\\"; ok.txt\"\r\n\r\nx\r\n--b\r\nContent-Disposition: form-data; name=\"g\"; filename=\"C:\\dir\\a.txt\"\r\n\r\ny\r\n--b--\r\n";
        let p = parse("multipart/form-data; boundary=b", body).unwrap();
        assert_eq!(p[0].filename.as_deref(), Some("say \"hi\"; ok.txt"));
        assert_eq!(p[1].filename.as_deref(), Some("C:\\dir\\a.txt"));
    }

    #[test]
    fn preamble_padding_and_epilogue_are_skipped() {
        let body = b"preamble\r\n--b \t\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--\r\nepilogue";
        let p = parse("multipart/form-data; boundary=b", body).unwrap();
        assert_eq!(text(&p, "a").as_deref(), Some("1"));
        assert_eq!(
            parse("multipart/form-data; boundary=b", b"--b--"),
            Ok(Vec::new())
        );
    }

    #[test]
    fn each_fault_is_named() {
        let ct = "multipart/form-data; boundary=b";
        let cases: [(&[u8], MultipartError); 8] = [
            (b"no delimiter here", MultipartError::NoDelimiter),
            (b"--bX", MultipartError::BadDelimiter),
            (b"--b", MultipartError::BadDelimiter),
            (
                b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1",
                MultipartError::UnterminatedPart(0),
            ),
            (
                b"--b\r\nContent-Disposition: form-data; name=a\r\nbroken\r\n\r\n1\r\n--b--",
                MultipartError::BadHeader {
                    index: 0,
                    reason: "a line without a colon",
                },
            ),
            (
                b"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\n1\r\n--b--",
                MultipartError::BadHeader {
                    index: 0,
                    reason: "an unterminated quoted string",
                },
            ),
            (
                b"--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--",
                MultipartError::NoDisposition(0),
            ),
            (
                b"--b\r\nContent-Disposition: form-data; filename=x\r\n\r\n1\r\n--b--",
                MultipartError::NoName(0),
            ),
        ];
        for (body, want) in cases {
            assert_eq!(
                parse(ct, body),
                Err(want),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    /// A small deterministic generator (xorshift), for property-style tests without a crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn bytes(&mut self, alphabet: &[u8], max: usize) -> Vec<u8> {
            let n = self.below(max + 1);
            (0..n)
                .map(|_| alphabet[self.below(alphabet.len())])
                .collect()
        }
    }

    fn encode(boundary: &str, parts: &[Part]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in parts {
            out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            out.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{}\"", p.name).as_bytes(),
            );
            if let Some(f) = &p.filename {
                let f = f.replace('\\', "\\\\").replace('"', "\\\"");
                out.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            if let Some(t) = &p.content_type {
                out.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&p.data);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        out
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_encoded_parts_come_back() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let ct = "multipart/form-data; boundary=zz";
        let noise = b"-\r\nz:;=\"\\ aform-dataContent-Disposition name filename\xff\x00";
        for _ in 0..3000 {
            // Arbitrary bytes, made of the pieces the parser looks for.
            let body = rng.bytes(noise, 200);
            let _ = parse(ct, &body);
            // Arbitrary content types.
            let t = rng.bytes(b"multipart/form-data; boundary=\"\\z", 60);
            let _ = parse(&String::from_utf8_lossy(&t), &body);

            // Parts (their data never holds the boundary `zz`) come back as they were sent, and every
            // truncation or flipped byte of their body is an answer, never a panic.
            let parts: Vec<Part> = (0..rng.below(4))
                .map(|_| Part {
                    name: String::from_utf8_lossy(&rng.bytes(b"abc _-;", 8)).into_owned(),
                    filename: (rng.below(2) == 0).then(|| {
                        String::from_utf8_lossy(&rng.bytes(b"ab.\"\\; ", 10)).into_owned()
                    }),
                    content_type: (rng.below(2) == 0).then(|| "text/plain".to_owned()),
                    data: rng.bytes(b"ab-\r\n\x00\xff", 40),
                })
                .collect();
            let body = encode("zz", &parts);
            assert_eq!(parse(ct, &body).as_ref(), Ok(&parts));
            let cut = rng.below(body.len() + 1);
            let _ = parse(ct, body.get(..cut).unwrap_or_default());
            let mut flipped = body.clone();
            let i = rng.below(flipped.len());
            flipped[i] = noise[rng.below(noise.len())];
            let _ = parse(ct, &flipped);
        }
    }
}
