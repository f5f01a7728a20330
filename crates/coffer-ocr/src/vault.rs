//! OCR for a document already in a vault: decrypt it in memory, recognise it locally or with
//! the remote provider the user chose, and save what was found into the encrypted store.
//! A field a person has confirmed is never overwritten; everything else becomes an
//! unconfirmed guess with its confidence (human oversight, SPEC §4).

use std::collections::BTreeMap;

use coffer_core::{
    Document, DocumentFields, DocumentId, Field, FieldState, VatLine as VaultVatLine, Vault,
};

use crate::{ExtractOptions, Extraction, MAX_FILE_BYTES, OcrError, RemoteError, RemoteOcr};

/// Who reads the document.
pub enum Recognizer<'a> {
    /// Tesseract on this machine.
    Local(&'a ExtractOptions),
    /// A remote vision model, only on the user's explicit request.
    Remote(&'a RemoteOcr),
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentOcrError {
    #[error(transparent)]
    Vault(#[from] coffer_core::Error),
    #[error(transparent)]
    Ocr(#[from] OcrError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
}

/// How far `recognize_many` has come: documents read so far, of how many.
#[derive(Clone, Copy, Debug)]
pub struct Batch {
    pub done: usize,
    pub total: usize,
}

/// Reads the documents `ids` locally with `workers` Tesseract engines at once (one thread
/// each: OpenMP must be limited to one thread per engine, `OMP_THREAD_LIMIT=1`, or they fight
/// over the cores). The vault is held only to read a document and to save what was found, so
/// other work goes on meanwhile. Results come back in the order of `ids`.
pub fn recognize_many(
    vault: &std::sync::Mutex<Vault>,
    ids: &[DocumentId],
    options: &ExtractOptions,
    workers: usize,
    progress: &(dyn Fn(Batch) + Sync),
) -> Vec<Result<Document, DocumentOcrError>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let lock = || vault.lock().unwrap_or_else(|p| p.into_inner());
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<Document, DocumentOcrError>>>> =
        ids.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, ids.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&id) = ids.get(index) else { break };
                    // The guard is dropped at the end of this statement, before OCR runs.
                    let input = ocr_input(&lock(), id);
                    let result = input.and_then(|(doc, content)| {
                        let extraction =
                            recognize_content(&doc, &content, Recognizer::Local(options))?;
                        save_extraction(&mut lock(), id, &extraction)
                    });
                    *results[index].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
                    progress(Batch {
                        done: done.fetch_add(1, Ordering::Relaxed) + 1,
                        total: ids.len(),
                    });
                }
            });
        }
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("every document was read")
        })
        .collect()
}

/// Recognises document `id` and stores its text and fields; returns the updated document.
pub fn recognize_document(
    vault: &mut Vault,
    id: DocumentId,
    recognizer: Recognizer,
) -> Result<Document, DocumentOcrError> {
    let (doc, content) = ocr_input(vault, id)?;
    let extraction = recognize_content(&doc, &content, recognizer)?;
    save_extraction(vault, id, &extraction)
}

/// The document and its decrypted content, refused when trashed or too large. With
/// `recognize_content` and `save_extraction` this is `recognize_document` in three steps, so
/// a caller sharing the vault (the desktop app) need not hold it while OCR runs.
pub fn ocr_input(vault: &Vault, id: DocumentId) -> Result<(Document, Vec<u8>), DocumentOcrError> {
    let doc = vault.document(id)?;
    if doc.trashed_at.is_some() {
        return Err(coffer_core::Error::DocumentTrashed(id.to_string()).into());
    }
    if doc.file.size > MAX_FILE_BYTES {
        return Err(OcrError::TooLarge {
            size: doc.file.size,
            limit: MAX_FILE_BYTES,
        }
        .into());
    }
    let mut content = Vec::with_capacity(doc.file.size as usize);
    vault.read_content(id, &mut content)?;
    Ok((doc, content))
}

/// Reads the content; needs no vault.
pub fn recognize_content(
    doc: &Document,
    content: &[u8],
    recognizer: Recognizer,
) -> Result<Extraction, DocumentOcrError> {
    Ok(match recognizer {
        Recognizer::Local(options) => crate::extract_bytes(content, &doc.file.name, options)?,
        Recognizer::Remote(remote) => remote.recognize(content, &doc.file.media_type)?,
    })
}

/// Stores what was read. The document is read again first, so a field a person confirmed
/// while OCR ran is kept.
pub fn save_extraction(
    vault: &mut Vault,
    id: DocumentId,
    extraction: &Extraction,
) -> Result<Document, DocumentOcrError> {
    let doc = vault.document(id)?;
    let (fields, states) = merge(&doc, extraction);
    Ok(vault.replace_fields(id, &fields, &states, Some(&extraction.text.to_plain()))?)
}

/// The document's fields with the extraction's values wherever no person has confirmed one.
pub fn merge(
    doc: &Document,
    extraction: &Extraction,
) -> (DocumentFields, BTreeMap<Field, FieldState>) {
    let mut fields = doc.fields.clone();
    let mut states = doc.field_states.clone();
    let found = &extraction.fields;
    let conf = &found.confidence;
    let mut offer = |field: Field, confidence: f32, apply: &mut dyn FnMut(&mut DocumentFields)| {
        if states.get(&field).is_some_and(|s| s.confirmed) {
            return;
        }
        apply(&mut fields);
        states.insert(
            field,
            FieldState {
                confidence: confidence.clamp(0.0, 1.0),
                confirmed: false,
            },
        );
    };

    offer(Field::Kind, conf.kind, &mut |f| f.kind = found.kind);
    if let Some(merchant) = &found.merchant {
        offer(Field::Merchant, conf.merchant, &mut |f| {
            f.merchant = Some(merchant.clone())
        });
        // A merchant says more than a scanner's file name ("IMG_2031").
        offer(Field::Title, conf.merchant, &mut |f| {
            f.title = merchant.clone()
        });
    }
    if let Some(date) = found.date {
        offer(Field::IssueDate, conf.date, &mut |f| {
            f.issue_date = Some(date)
        });
    }
    // The amounts become minor units of the currency found, or of the one the document
    // already has (a person may have set it), never before.
    let currency = found.currency.or(doc.fields.total.map(|m| m.currency));
    if let Some(total) = found.total.zip(currency).and_then(|(t, c)| t.to_money(c)) {
        offer(
            Field::Total,
            conf.total.min(conf.currency.max(0.5)),
            &mut |f| f.total = Some(total),
        );
    }
    let vat: Option<Vec<VaultVatLine>> =
        currency.and_then(|c| found.vat.iter().map(|v| v.to_vat_line(c)).collect());
    if let Some(lines) = vat.filter(|l| !l.is_empty()) {
        offer(Field::Vat, conf.vat, &mut |f| f.vat = lines.clone());
    }
    if !found.ids.is_empty() {
        offer(Field::CompanyIds, conf.ids, &mut |f| {
            f.company_ids.ico = found.ids.ico.clone().or(f.company_ids.ico.take());
            f.company_ids.vat_id = found.ids.vat_id.clone().or(f.company_ids.vat_id.take());
        });
    }
    if let Some(number) = &found.document_number {
        offer(Field::DocumentNumber, conf.document_number, &mut |f| {
            f.document_number = Some(number.clone())
        });
    }
    if let Some(symbol) = &found.variable_symbol {
        offer(Field::VariableSymbol, conf.variable_symbol, &mut |f| {
            f.variable_symbol = Some(symbol.clone())
        });
    }
    if let Some(payment) = found.payment {
        offer(Field::PaymentMethod, conf.payment, &mut |f| {
            f.payment_method = Some(payment.as_str().to_string())
        });
    }
    if let Some(expiry) = found.expiry {
        offer(Field::Expiry, conf.expiry, &mut |f| f.expiry = Some(expiry));
    }
    (fields, states)
}
