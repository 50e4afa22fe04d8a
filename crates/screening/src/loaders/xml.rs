//! A small element tree over quick-xml, enough for the list formats (≤ tens of MB).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::LoadError;

/// One element: local name (namespace prefix dropped), attributes, text and children.
#[derive(Debug, Default)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed text of the first child called `name`, if not blank.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }
}

fn start_element(e: &BytesStart<'_>) -> Result<Element, quick_xml::Error> {
    let mut el = Element {
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        ..Element::default()
    };
    for a in e.attributes() {
        let a = a.map_err(quick_xml::Error::from)?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        el.attrs.push((key, a.unescape_value()?.into_owned()));
    }
    Ok(el)
}

/// Parses a whole document; returns the root element.
pub(crate) fn parse(bytes: &[u8], format: &'static str) -> Result<Element, LoadError> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut buf = Vec::new();
    let err = |reader: &Reader<&[u8]>, stack: &[Element], source: quick_xml::Error| {
        let path: Vec<&str> = stack.iter().skip(1).map(|e| e.name.as_str()).collect();
        LoadError::Xml {
            format,
            position: reader.error_position(),
            record: (!path.is_empty()).then(|| format!("<{}>", path.join("/"))),
            source,
        }
    };
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => return Err(err(&reader, &stack, e)),
        };
        match event {
            Event::Start(e) => match start_element(&e) {
                Ok(el) => stack.push(el),
                Err(x) => return Err(err(&reader, &stack, x)),
            },
            Event::Empty(e) => match start_element(&e) {
                Ok(el) => {
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(el);
                    }
                }
                Err(x) => return Err(err(&reader, &stack, x)),
            },
            Event::End(_) => {
                if stack.len() > 1
                    && let Some(done) = stack.pop()
                    && let Some(parent) = stack.last_mut()
                {
                    parent.children.push(done);
                }
            }
            Event::Text(t) => {
                let text = match t.decode() {
                    Ok(t) => t,
                    Err(x) => return Err(err(&reader, &stack, x.into())),
                };
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&text);
                }
            }
            Event::CData(t) => {
                if let Some(cur) = stack.last_mut() {
                    cur.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => match r.as_ref() {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        _ => None,
                    },
                    Err(x) => return Err(err(&reader, &stack, x)),
                };
                if let (Some(c), Some(cur)) = (resolved, stack.last_mut()) {
                    cur.text.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if stack.len() != 1 {
        let path: Vec<&str> = stack.iter().skip(1).map(|e| e.name.as_str()).collect();
        return Err(LoadError::WrongFormat {
            format,
            message: format!("document ends inside <{}>", path.join("/")),
        });
    }
    let root = stack.pop().and_then(|mut doc| doc.children.pop());
    root.ok_or(LoadError::WrongFormat {
        format,
        message: "empty document".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_and_namespaces_are_resolved() {
        let root = parse(
            br#"<x:a xmlns:x="u" k="1 &amp; 2"><b>A &amp; B &#233;</b><c/></x:a>"#,
            "t",
        )
        .unwrap();
        assert_eq!(root.name, "a");
        assert_eq!(root.attr("k"), Some("1 & 2"));
        assert_eq!(root.text_of("b"), Some("A & B é"));
        assert!(root.child("c").is_some());
    }

    #[test]
    fn truncated_document_is_an_error() {
        assert!(parse(b"<a><b>text</b>", "t").is_err());
        assert!(parse(b"", "t").is_err());
        assert!(parse(b"<a></b>", "t").is_err());
    }
}
