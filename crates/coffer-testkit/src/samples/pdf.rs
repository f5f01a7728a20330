//! A minimal PDF writer for tests: one page of Helvetica text, optionally an embedded file
//! (how ISDOC invoices travel inside PDFs), a scanned page (one JPEG filling an A4 page), or a
//! deflate stream of a chosen inflated size.

/// One object body per entry; object numbers are positions + 1.
fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn stream(dict_extra: &str, data: &[u8]) -> Vec<u8> {
    let mut s = format!("<< /Length {} {dict_extra} >>\nstream\n", data.len()).into_bytes();
    s.extend_from_slice(data);
    s.extend_from_slice(b"\nendstream");
    s
}

fn page_content(lines: &[&str]) -> Vec<u8> {
    let escaped: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "({}) '",
                l.replace('\\', "\\\\")
                    .replace('(', "\\(")
                    .replace(')', "\\)")
            )
        })
        .collect();
    format!("BT /F1 11 Tf 50 800 Td 15 TL {} ET", escaped.join(" ")).into_bytes()
}

/// A page whose rows hold cells at given x positions (points from the left edge), as a
/// two-column invoice lays out supplier and customer side by side.
fn column_content(rows: &[Vec<(u32, &str)>]) -> Vec<u8> {
    let mut out = b"BT /F1 10 Tf".to_vec();
    for (i, row) in rows.iter().enumerate() {
        for (x, text) in row {
            let y = 800 - 14 * i as u32;
            out.extend_from_slice(format!(" 1 0 0 1 {x} {y} Tm (").as_bytes());
            // WinAnsi: Latin-1 letters as themselves, the euro sign at 0x80.
            for c in text.chars() {
                match c {
                    '\\' | '(' | ')' => out.extend_from_slice(&[b'\\', c as u8]),
                    '€' => out.push(0x80),
                    c if (c as u32) < 256 => out.push(c as u8),
                    _ => out.push(b'?'),
                }
            }
            out.extend_from_slice(b") Tj");
        }
    }
    out.extend_from_slice(b" ET");
    out
}

/// A one-page text PDF of cells at x positions: each row is `x:text` cells split at `|`
/// (`"50:Supplier:|300:Bill to:"`); a cell without a position starts at x = 50.
pub fn columns_pdf(rows: &[&str]) -> Vec<u8> {
    let parsed: Vec<Vec<(u32, &str)>> = rows
        .iter()
        .map(|r| {
            r.split('|')
                .map(|cell| match cell.split_once(':') {
                    Some((x, text)) if x.chars().all(|c| c.is_ascii_digit()) && !x.is_empty() => {
                        (x.parse().unwrap_or(50), text)
                    }
                    _ => (50, cell),
                })
                .collect()
        })
        .collect();
    assemble(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
        stream("", &column_content(&parsed)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
    ])
}

/// A text PDF (ASCII text only; Helvetica's built-in encoding has no Czech letters).
pub fn text_pdf(lines: &[&str], attachment: Option<(&str, &[u8])>) -> Vec<u8> {
    let names = if attachment.is_some() {
        " /Names << /EmbeddedFiles << /Names [(a) 6 0 R] >> >>"
    } else {
        ""
    };
    let mut objects = vec![
        format!("<< /Type /Catalog /Pages 2 0 R{names} >>").into_bytes(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
        stream("", &page_content(lines)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    if let Some((name, data)) = attachment {
        objects.push(
            format!("<< /Type /Filespec /F ({name}) /UF ({name}) /EF << /F 7 0 R >> >>")
                .into_bytes(),
        );
        objects.push(stream("/Type /EmbeddedFile", data));
    }
    assemble(&objects)
}

/// A one-page PDF whose content stream inflates from a few hundred kilobytes to `inflated` bytes.
pub fn deflate_bomb(inflated: usize) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..inflated / chunk.len() {
        encoder.write_all(&chunk).expect("in-memory write");
    }
    let compressed = encoder.finish().expect("in-memory write");
    assemble(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &compressed),
    ])
}

/// A scanned document: one A4 page showing a grayscale JPEG of `width`×`height` pixels, with
/// no text layer, as a scanner's "scan to PDF" writes it.
pub fn scanned_pdf(jpeg: &[u8], width: u32, height: u32) -> Vec<u8> {
    // The page keeps the picture's proportions at A4 width.
    let page_height = (595.0 * f64::from(height) / f64::from(width)).round();
    assemble(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 {page_height}] /Contents 4 0 R \
             /Resources << /XObject << /Im1 5 0 R >> >> >>"
        )
        .into_bytes(),
        stream(
            "",
            format!("q 595 0 0 {page_height} 0 0 cm /Im1 Do Q").as_bytes(),
        ),
        stream(
            &format!(
                "/Type /XObject /Subtype /Image /Width {width} /Height {height} \
                 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode"
            ),
            jpeg,
        ),
    ])
}
