//! The XML writer the accounting formats share: quick-xml does the escaping; this adds nested
//! elements as closures, and keeps text to what XML 1.0 allows.

use std::io::{self, Write};

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use time::Date;

use crate::document::Money;

pub(super) struct Xml<W: Write> {
    writer: quick_xml::Writer<W>,
}

impl<W: Write> Xml<W> {
    /// Starts a UTF-8 document, indented by two spaces.
    pub(super) fn new(inner: W) -> io::Result<Self> {
        let mut writer = quick_xml::Writer::new_with_indent(inner, b' ', 2);
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        Ok(Self { writer })
    }

    /// `<name attrs…>` + what `inner` writes + `</name>`.
    pub(super) fn element(
        &mut self,
        name: &str,
        attrs: &[(&str, &str)],
        inner: impl FnOnce(&mut Self) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut start = BytesStart::new(name);
        for (key, value) in attrs {
            start.push_attribute((*key, clean(value).as_str()));
        }
        self.writer.write_event(Event::Start(start))?;
        inner(self)?;
        self.writer.write_event(Event::End(BytesEnd::new(name)))
    }

    /// `<name>text</name>`, the text escaped.
    pub(super) fn text(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.writer
            .create_element(name)
            .write_text_content(BytesText::new(&clean(text)))
            .map(drop)
    }

    /// `<name>text</name>` when there is a text.
    pub(super) fn optional(&mut self, name: &str, text: Option<&str>) -> io::Result<()> {
        match text {
            Some(text) => self.text(name, text),
            None => Ok(()),
        }
    }

    pub(super) fn date(&mut self, name: &str, date: Date) -> io::Result<()> {
        self.text(name, &ymd(date))
    }

    /// An amount with the currency's minor digits (`1234.50`, `1500` yen, `12.345` dinars).
    pub(super) fn amount(&mut self, name: &str, money: Money) -> io::Result<()> {
        self.text(name, &money.decimal())
    }

    pub(super) fn into_inner(self) -> W {
        self.writer.into_inner()
    }
}

/// `YYYY-MM-DD`.
pub(super) fn ymd(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A VAT rate in basis points as a decimal percentage (`2100` is `21`, `1250` is `12.5`).
pub(super) fn percent(basis_points: u32) -> String {
    super::CsvPreset::Intl.rate(basis_points)
}

/// Text without the characters XML 1.0 cannot carry even escaped (controls other than tab
/// and line breaks, unpaired surrogates cannot occur in a `str`, U+FFFE and U+FFFF).
fn clean(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{fffe}' | '\u{ffff}'))
        })
        .collect()
}

/// At most `max` characters (a schema's `maxLength` counts characters).
pub(super) fn at_most(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_and_attributes_is_escaped_and_controls_are_dropped() {
        let mut xml = Xml::new(Vec::new()).unwrap();
        xml.element("a", &[("note", "\"x\" & <y>")], |x| {
            x.text("b", "Tom & Jerry <s.r.o.> \u{1b}]]>")
        })
        .unwrap();
        let out = String::from_utf8(xml.into_inner()).unwrap();
        assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(
            out.contains("note=\"&quot;x&quot; &amp; &lt;y&gt;\""),
            "{out}"
        );
        assert!(
            out.contains("<b>Tom &amp; Jerry &lt;s.r.o.&gt; ]]&gt;</b>"),
            "{out}"
        );
    }

    #[test]
    fn amounts_keep_the_currencys_digits() {
        let money = |minor, code: &str| Money {
            minor,
            currency: code.parse().unwrap(),
        };
        let mut xml = Xml::new(Vec::new()).unwrap();
        xml.amount("czk", money(-5, "CZK")).unwrap();
        xml.amount("jpy", money(1500, "JPY")).unwrap();
        xml.amount("kwd", money(12_345, "KWD")).unwrap();
        let out = String::from_utf8(xml.into_inner()).unwrap();
        assert!(out.contains("<czk>-0.05</czk>"));
        assert!(out.contains("<jpy>1500</jpy>"));
        assert!(out.contains("<kwd>12.345</kwd>"));
        assert_eq!(percent(1250), "12.5");
        assert_eq!(at_most("Žluťoučký", 4), "Žluť");
    }
}
