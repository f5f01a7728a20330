//! The words the field rules look for, one table per language. A rule asks for a concept
//! (`words::all(|l| l.payable)`) and gets that concept's words in every language, so adding a
//! language or a word is one edit here, never a hunt through the rules. Words are folded
//! (lower case, no diacritics; see `text::fold`) and matched at word boundaries.

use std::sync::LazyLock;

/// One language's words, by what they mean on a receipt or an invoice.
pub struct Lexicon {
    /// Labels of the final amount to pay (`k úhradě`, `amount due`, `zu zahlen`).
    pub payable: &'static [&'static str],
    /// Labels of the amount including tax (`celkem s DPH`, `total TTC`, `Gesamtbetrag`).
    pub gross: &'static [&'static str],
    /// Plain total words, weaker than the two above (`total`, `celkem`, `Summe`).
    pub total: &'static [&'static str],
    /// Labels of a subtotal (`mezisoučet`, `Zwischensumme`).
    pub subtotal: &'static [&'static str],
    /// Labels of amounts before tax (`bez DPH`, `netto`, `total HT`).
    pub net: &'static [&'static str],
    /// Labels of counts, never money (`qty`, `items`).
    pub count: &'static [&'static str],
    /// Labels of the tax summed over the rates (`total GST`, `DPH celkem`).
    pub tax_total: &'static [&'static str],
    /// Other lines whose amount is never the total although a total word may appear on them
    /// (tax amounts, deposits, loyalty points, the tax recap's header).
    pub not_total: &'static [&'static str],
    /// What the customer handed over (`cash`, `hotově`, `gegeben`).
    pub tendered: &'static [&'static str],
    /// Change given back (`vráceno`, `Rückgeld`).
    pub change: &'static [&'static str],
    /// A cash rounding adjustment (`zaokrouhlení`, `Rundung`).
    pub rounding: &'static [&'static str],
    /// A total after rounding (`rounded total`, `zaokrouhleno`).
    pub rounded: &'static [&'static str],
    /// A discount (`sleva`, `Rabatt`).
    pub discount: &'static [&'static str],
    /// Tax words (`DPH`, `MwSt`, `TVA`, `GST`).
    pub tax: &'static [&'static str],
    /// Headers of the tax recap table (`rekapitulace`, `tax code`).
    pub recap_header: &'static [&'static str],
    /// Labels of the issue date (`datum vystavení`, `Rechnungsdatum`).
    pub issue_date: &'static [&'static str],
    /// Labels of other dates: due, delivery, printing, validity, birth, periods.
    pub other_date: &'static [&'static str],
    /// Short date labels matched also one letter off, as OCR misreads them (`Dale`).
    pub date_label: &'static [&'static str],
    /// An explicit warranty or contract end (`záruka do`, `gültig bis`).
    pub warranty_end: &'static [&'static str],
    /// The word for a warranty, before its term (`záruka 24 měsíců`).
    pub warranty: &'static [&'static str],
    /// Months by name and number (full names and common inflections).
    pub months: &'static [(&'static str, u8)],
    /// Labels introducing the supplier of an invoice (`Dodavatel`, `Sold by`).
    pub supplier: &'static [&'static str],
    /// Labels introducing the customer, whose block is never the merchant (`Odběratel`).
    pub customer: &'static [&'static str],
    /// Legal forms that end company names (`s.r.o.`, `GmbH`, `Sp. z o.o.`).
    pub legal_forms: &'static [&'static str],
    /// Words that often end business names without being a legal form (`Restaurant`).
    pub business: &'static [&'static str],
    /// Words of addresses (`ulice`, `Straße`, `rue`).
    pub address: &'static [&'static str],
    /// Contact, bank and id labels: never the merchant (`tel`, `IČO`, `IBAN`).
    pub contact: &'static [&'static str],
    /// Document titles, greetings and boilerplate that are never the merchant.
    pub not_name: &'static [&'static str],
    /// Section headings of an invoice that are never a party's name (`Bank details`).
    pub heading: &'static [&'static str],
    /// Labels of the document's own number (`číslo faktury`, `Invoice No.`).
    pub document_number: &'static [&'static str],
    /// Labels of the Czech and Slovak variable symbol (`variabilní symbol`, `VS`).
    pub variable_symbol: &'static [&'static str],
    /// Words that mark a receipt, an invoice, a contract, a warranty card.
    pub receipt: &'static [&'static str],
    pub invoice: &'static [&'static str],
    pub contract: &'static [&'static str],
    pub warranty_card: &'static [&'static str],
    /// Payment by card, in cash, by bank transfer.
    pub card: &'static [&'static str],
    pub cash: &'static [&'static str],
    pub transfer: &'static [&'static str],
}

const NONE: &[&str] = &[];

impl Lexicon {
    const EMPTY: Lexicon = Lexicon {
        payable: NONE,
        gross: NONE,
        total: NONE,
        subtotal: NONE,
        net: NONE,
        count: NONE,
        tax_total: NONE,
        not_total: NONE,
        tendered: NONE,
        change: NONE,
        rounding: NONE,
        rounded: NONE,
        discount: NONE,
        tax: NONE,
        recap_header: NONE,
        issue_date: NONE,
        other_date: NONE,
        date_label: NONE,
        warranty_end: NONE,
        warranty: NONE,
        months: &[],
        supplier: NONE,
        customer: NONE,
        legal_forms: NONE,
        business: NONE,
        address: NONE,
        contact: NONE,
        not_name: NONE,
        heading: NONE,
        document_number: NONE,
        variable_symbol: NONE,
        receipt: NONE,
        invoice: NONE,
        contract: NONE,
        warranty_card: NONE,
        card: NONE,
        cash: NONE,
        transfer: NONE,
    };
}

/// English, as printed in Britain, Ireland, Malaysia, India and on international invoices.
pub const EN: Lexicon = Lexicon {
    payable: &[
        "grand total",
        "total after adj",
        "after adj",
        "after rounding",
        "rounded total",
        "total rounded",
        "amount payable",
        "total payable",
        "amt payable",
        "amount due",
        "total due",
        "balance due",
        "total to pay",
        "nett total",
        "net total",
        "total amount due",
        "net payable",
        "net amount payable",
        "amount to pay",
    ],
    gross: &[
        "total incl",
        "total inclusive",
        "incl. gst",
        "inclusive of gst",
        "incl gst",
        "total amount",
        "total sales",
        "total amt",
        "invoice total",
        "total invoice value",
        "invoice value",
        "total value",
    ],
    total: &["total", "net amount", "amount", "payable", "sum"],
    subtotal: &["subtotal", "sub total", "sub-total", "sub tota", "subtota"],
    net: &[
        "excl",
        "exclusive",
        "excluding",
        "before",
        "w/o",
        "total excl",
        "taxable value",
        "taxable amount",
    ],
    count: &["qty", "quantity", "items", "item count"],
    tax_total: &[
        "total gst",
        "totalgst",
        "total tax",
        "gst payable",
        "tax total",
    ],
    not_total: &[
        "tax amount",
        "vat amount",
        "tax code",
        "summary",
        "gst summary",
        "points",
        "point",
        "units",
        "deposit",
        "tip",
        "tendered",
        "saving",
        "included",
        "includes",
        "in words",
    ],
    tendered: &[
        "cash",
        "tendered",
        "paid",
        "payment",
        "visa",
        "mastercard",
        "card",
    ],
    change: &["change", "balance"],
    rounding: &["rounding", "round adj", "rounding adj"],
    rounded: &["rounded", "total rounded", "rounded total"],
    discount: &["discount", "disc", "less", "voucher", "coupon"],
    tax: &["gst", "tax", "vat", "sst", "cgst", "sgst", "igst"],
    recap_header: &["summary", "summa", "tax code", "vat rate"],
    issue_date: &["date", "dated", "issued", "issue date", "invoice date"],
    other_date: &[
        "due",
        "payable by",
        "pay by",
        "delivery",
        "delivered",
        "printed",
        "valid",
        "expiry",
        "expires",
        "exp",
        "best before",
        "birth",
        "order date",
        "period",
        "from",
        "until",
        "to",
    ],
    date_label: &["date"],
    warranty_end: &[
        "warranty until",
        "warranty expires",
        "warranty end",
        "valid until",
        "expiry",
        "expires",
        "end date",
        "ends on",
        "termination",
    ],
    warranty: &["warranty"],
    months: &[
        ("january", 1),
        ("february", 2),
        ("march", 3),
        ("april", 4),
        ("may", 5),
        ("june", 6),
        ("july", 7),
        ("august", 8),
        ("september", 9),
        ("october", 10),
        ("november", 11),
        ("december", 12),
    ],
    supplier: &[
        "supplier",
        "seller",
        "vendor",
        "from",
        "issued by",
        "sold by",
        "billed by",
        "bill from",
        "service provider",
    ],
    customer: &[
        "bill to",
        "billed to",
        "ship to",
        "shipped to",
        "deliver to",
        "invoice to",
        "sold to",
        "customer",
        "buyer",
        "client",
        "recipient",
        "consignee",
        "billing address",
        "billing information",
        "billing details",
        "shipping address",
        "delivery address",
    ],
    legal_forms: &[
        "ltd",
        "limited",
        "llc",
        "inc",
        "plc",
        "llp",
        "corp",
        "pvt",
        "pvt. ltd",
        "private limited",
    ],
    business: &[
        "enterprise",
        "enterprises",
        "trading",
        "restaurant",
        "store",
        "stores",
        "mart",
        "market",
        "supermarket",
        "hardware",
        "pharmacy",
        "cafe",
        "bakery",
        "company",
        "co",
        "shop",
        "hotel",
        "services",
        "industries",
        "marketing",
        "holdings",
        "group",
        "centre",
        "center",
        "solutions",
        "technologies",
        "consulting",
    ],
    address: &[
        "street", "st.", "road", "rd", "avenue", "ave", "lane", "floor", "suite", "building",
        "p.o. box", "nagar", "marg", "sector",
    ],
    contact: &[
        "tel",
        "fax",
        "phone",
        "mobile",
        "email",
        "e-mail",
        "www",
        "http",
        "gst",
        "gstin",
        "pan no",
        "reg no",
        "co reg",
        "company reg",
        "company no",
        "vat",
        "iban",
        "swift",
        "bic",
        "account",
        "a/c",
        "ifsc",
        "bank",
        "no.",
    ],
    not_name: &[
        "tax invoice",
        "invoice",
        "receipt",
        "cash sale",
        "cash bill",
        "official receipt",
        "simplified",
        "welcome",
        "thank you",
        "copy",
        "original",
        "duplicate",
        "page",
        "date",
        "cashier",
        "table",
        "order",
        "goods sold",
        "not returnable",
        "not refundable",
    ],
    heading: &[
        "bank details",
        "payment details",
        "payment information",
        "invoice details",
        "order summary",
        "account name",
        "account holder",
        "payment terms",
        "terms",
        "description",
        "details",
        "address",
        "place of supply",
        "notes",
        "total",
    ],
    variable_symbol: NONE,
    document_number: &[
        "invoice",
        "invoice no",
        "invoice number",
        "invoice nr",
        "inv no",
        "receipt no",
        "receipt number",
        "bill no",
        "document no",
        "doc no",
    ],
    receipt: &["receipt", "cash", "change", "cashier", "terminal"],
    invoice: &[
        "invoice no",
        "invoice number",
        "bill to",
        "billing address",
        "due date",
        "iban",
        "swift",
        "tax invoice",
    ],
    contract: &["contract", "agreement", "the parties"],
    warranty_card: &["warranty card", "warranty certificate", "warranty period"],
    card: &[
        "visa",
        "mastercard",
        "master card",
        "maestro",
        "amex",
        "card",
        "credit",
        "debit",
        "contactless",
    ],
    cash: &["cash", "change"],
    transfer: &["bank transfer", "wire transfer", "iban"],
};

/// Malay, on Malaysian receipts.
pub const MS: Lexicon = Lexicon {
    tendered: &["tunai"],
    date_label: &["tarikh"],
    issue_date: &["tarikh", "tgl"],
    legal_forms: &["sdn bhd", "sdn. bhd", "bhd", "s/b", "sdn"],
    business: &["restoran"],
    address: &["jalan", "jln", "lot", "taman"],
    receipt: &["tunai"],
    cash: &["tunai"],
    ..Lexicon::EMPTY
};

pub const CS: Lexicon = Lexicon {
    payable: &[
        "k uhrade",
        "k zaplaceni",
        "k platbe",
        "na uhradu",
        "celkem k uhrade",
    ],
    gross: &[
        "celkem s dph",
        "celkem vc",
        "celkem vcetne",
        "celkova castka",
    ],
    total: &["celkem", "suma"],
    subtotal: &["mezisoucet"],
    net: &["bez dph", "zaklad"],
    tax_total: &["dph celkem"],
    not_total: &["zaloha"],
    tendered: &["hotove", "hotovost", "prijato", "karta", "kartou"],
    change: &["vraceno", "vratit", "zpet"],
    rounding: &["zaokrouhleni"],
    rounded: &["zaokrouhleno"],
    discount: &["sleva"],
    tax: &["dph", "sazba"],
    recap_header: &["rekapitulace"],
    issue_date: &[
        "datum",
        "datum vystaveni",
        "vystaveno",
        "datum vydani",
        "datum prodeje",
        "datum nakupu",
        "datum uctenky",
    ],
    other_date: &[
        "splatnost",
        "splatnosti",
        "dodani",
        "duzp",
        "zdanitelneho",
        "tisk",
        "vytisteno",
        "platnost",
        "platna do",
        "spotrebujte",
        "minimalni trvanlivost",
        "narozeni",
        "objednavky",
        "obdobi",
        "od",
    ],
    date_label: &["datum"],
    warranty_end: &[
        "zaruka do",
        "zarucni doba do",
        "zaruka plati do",
        "platnost do",
        "platna do",
        "plati do",
        "konec",
        "ukonceni",
        "vyprseni",
        "do dne",
    ],
    warranty: &["zaruka", "zarucni"],
    months: &[
        ("ledna", 1),
        ("února", 2),
        ("března", 3),
        ("dubna", 4),
        ("května", 5),
        ("června", 6),
        ("července", 7),
        ("srpna", 8),
        ("září", 9),
        ("října", 10),
        ("listopadu", 11),
        ("prosince", 12),
        ("leden", 1),
        ("únor", 2),
        ("březen", 3),
        ("duben", 4),
        ("květen", 5),
        ("červen", 6),
        ("červenec", 7),
        ("srpen", 8),
        ("říjen", 10),
        ("listopad", 11),
        ("prosinec", 12),
    ],
    supplier: &[
        "dodavatel",
        "prodavajici",
        "prodejce",
        "poskytovatel",
        "provozovatel",
        "vystavil",
    ],
    customer: &["odberatel", "kupujici", "prijemce", "zakaznik"],
    legal_forms: &[
        "s.r.o",
        "s. r. o",
        "sro",
        "spol. s r.o",
        "a.s",
        "a. s",
        "k.s",
        "v.o.s",
        "z.s",
        "s.p",
    ],
    address: &["ulice", "ul.", "nam.", "namesti", "trida"],
    contact: &["dic", "ico", "ucet", "cislo uctu", "banka"],
    not_name: &[
        "faktura",
        "danovy doklad",
        "uctenka",
        "pokladni doklad",
        "vitejte",
        "dekujeme",
        "kopie",
        "strana",
    ],
    heading: &[
        "platebni udaje",
        "bankovni spojeni",
        "polozky",
        "rekapitulace",
        "poznamka",
        "fakturujeme vam",
    ],
    document_number: &[
        "faktura c",
        "faktura cislo",
        "cislo faktury",
        "cislo dokladu",
        "doklad c",
        "uctenka c",
        "danovy doklad c",
        "faktura",
    ],
    variable_symbol: &["variabilni symbol", "var. symbol", "var symbol", "vs"],
    receipt: &[
        "uctenka",
        "pokladni doklad",
        "zjednoduseny danovy doklad",
        "fik",
        "bkp",
        "eet",
        "hotove",
        "vraceno",
        "pokladna",
        "pokladnik",
    ],
    invoice: &[
        "faktura",
        "faktura c",
        "odberatel",
        "datum splatnosti",
        "variabilni symbol",
        "bankovni ucet",
        "isdoc",
    ],
    contract: &["smlouva", "smlouvy", "smluvni strany"],
    warranty_card: &["zarucni list", "zarucni doba"],
    card: &[
        "kartou",
        "platebni karta",
        "platba kartou",
        "karta",
        "bezkontakt",
    ],
    cash: &["hotove", "hotovost", "v hotovosti", "vraceno"],
    transfer: &[
        "prevodem",
        "bankovni prevod",
        "prevod",
        "platba prevodem",
        "zpusob uhrady: prevod",
        "variabilni symbol",
    ],
    ..Lexicon::EMPTY
};

pub const SK: Lexicon = Lexicon {
    payable: &["na uhradu"],
    gross: &["celkom", "spolu s dph", "suma s dph"],
    total: &["spolu"],
    rounding: &["zaokruhlenie"],
    issue_date: &["datum vyhotovenia", "datum vystavenia"],
    other_date: &["dodania"],
    months: &[
        ("januára", 1),
        ("februára", 2),
        ("marca", 3),
        ("apríla", 4),
        ("mája", 5),
        ("júna", 6),
        ("júla", 7),
        ("augusta", 8),
        ("septembra", 9),
        ("októbra", 10),
        ("novembra", 11),
        ("decembra", 12),
    ],
    supplier: &["dodavatel", "predavajuci", "predajca", "prevadzkovatel"],
    customer: &["odberatel", "kupujuci", "zakaznik"],
    contact: &["ic dph"],
    variable_symbol: &["variabilny symbol"],
    document_number: &["cislo faktury"],
    contract: &["zmluva"],
    warranty_card: &["zarucny list"],
    ..Lexicon::EMPTY
};

pub const DE: Lexicon = Lexicon {
    payable: &["zu zahlen", "zahlbetrag"],
    gross: &[
        "gesamtbetrag",
        "bruttobetrag",
        "rechnungsbetrag",
        "endbetrag",
        "summe brutto",
        "gesamt brutto",
    ],
    total: &["summe", "gesamt", "betrag"],
    subtotal: &["zwischensumme"],
    net: &["netto", "nettobetrag"],
    not_total: &["mwst"],
    tendered: &["bar", "gegeben"],
    change: &["ruckgeld", "wechselgeld"],
    rounding: &["rundung"],
    discount: &["rabatt"],
    tax: &["mwst", "ust"],
    issue_date: &["datum", "rechnungsdatum", "belegdatum", "ausstellungsdatum"],
    other_date: &[
        "faellig",
        "fallig",
        "falligkeit",
        "zahlbar bis",
        "lieferdatum",
        "leistungsdatum",
        "gedruckt",
        "gultig",
        "bestelldatum",
    ],
    date_label: &["datum"],
    warranty_end: &[
        "garantie bis",
        "gewahrleistung bis",
        "gultig bis",
        "bis zum",
    ],
    warranty: &["garantie", "gewahrleistung"],
    months: &[
        ("januar", 1),
        ("jänner", 1),
        ("februar", 2),
        ("märz", 3),
        ("mai", 5),
        ("juni", 6),
        ("juli", 7),
        ("oktober", 10),
        ("dezember", 12),
    ],
    supplier: &["verkaufer", "lieferant", "rechnungssteller", "absender"],
    customer: &[
        "kunde",
        "rechnungsempfanger",
        "empfanger",
        "rechnungsadresse",
    ],
    legal_forms: &["gmbh", "ag", "kg", "ohg", "ug", "e.k"],
    address: &["strasse", "str.", "platz", "weg"],
    contact: &["ust", "steuernummer", "konto", "bankverbindung"],
    not_name: &[
        "rechnung",
        "quittung",
        "kassenbon",
        "willkommen",
        "seite",
        "datum",
    ],
    heading: &[
        "bankverbindung",
        "zahlungsbedingungen",
        "positionen",
        "leistungen",
    ],
    document_number: &[
        "rechnung",
        "rechnungsnummer",
        "rechnung nr",
        "rechnungs-nr",
        "beleg nr",
        "belegnummer",
    ],
    receipt: &["kassenbon", "kassenbeleg", "quittung", "bon", "ruckgeld"],
    invoice: &["rechnung", "rechnungsnummer", "zahlungsziel"],
    contract: &["vertrag", "vertragsparteien"],
    warranty_card: &["garantieschein", "garantiekarte", "garantiezeit"],
    card: &["ec-karte", "girocard", "kartenzahlung"],
    cash: &["bar", "barzahlung"],
    transfer: &["uberweisung"],
    ..Lexicon::EMPTY
};

pub const FR: Lexicon = Lexicon {
    payable: &["net a payer", "a payer", "total a payer"],
    gross: &["total ttc", "montant ttc"],
    total: &["montant"],
    subtotal: &["sous-total"],
    net: &["total ht", "montant ht"],
    tendered: &["especes"],
    change: &["rendu"],
    rounding: &["arrondi"],
    discount: &["remise"],
    tax: &["tva"],
    issue_date: &["date de facture", "date facture", "date d'emission"],
    other_date: &["echeance", "livraison", "imprime", "valable"],
    warranty_end: &["garantie jusqu"],
    warranty: &["garantie"],
    months: &[
        ("janvier", 1),
        ("février", 2),
        ("fevrier", 2),
        ("mars", 3),
        ("avril", 4),
        ("juin", 6),
        ("juillet", 7),
        ("août", 8),
        ("aout", 8),
        ("septembre", 9),
        ("octobre", 10),
        ("novembre", 11),
        ("décembre", 12),
        ("decembre", 12),
    ],
    supplier: &["fournisseur", "vendeur", "emetteur", "prestataire"],
    customer: &[
        "acheteur",
        "destinataire",
        "facture a",
        "adresse de facturation",
    ],
    legal_forms: &["sa", "sas", "sarl", "s.a", "s.a.s", "eurl", "sasu"],
    address: &["rue", "boulevard", "avenue", "chemin"],
    contact: &["tva", "siret", "siren", "rcs"],
    not_name: &["facture", "bienvenue"],
    heading: &[
        "coordonnees bancaires",
        "conditions de paiement",
        "designation",
    ],
    document_number: &[
        "facture",
        "facture n",
        "facture no",
        "numero de facture",
        "n de facture",
    ],
    receipt: &["ticket de caisse", "rendu"],
    invoice: &["facture", "echeance"],
    contract: &["contrat"],
    warranty_card: &["certificat de garantie"],
    card: &["carte bancaire", "cb"],
    cash: &["especes"],
    transfer: &["virement"],
    ..Lexicon::EMPTY
};

pub const NL: Lexicon = Lexicon {
    payable: &["te betalen"],
    gross: &["totaalbedrag", "totaal incl", "te voldoen"],
    total: &["totaal", "bedrag"],
    subtotal: &["subtotaal"],
    tendered: &["contant"],
    change: &["wisselgeld"],
    rounding: &["afronding"],
    discount: &["korting"],
    tax: &["btw"],
    issue_date: &["factuurdatum"],
    other_date: &["vervaldatum", "vervaldag", "leverdatum", "geldig"],
    warranty_end: &["garantie tot"],
    months: &[
        ("januari", 1),
        ("februari", 2),
        ("maart", 3),
        ("mei", 5),
        ("augustus", 8),
    ],
    supplier: &["leverancier", "verkoper", "afzender"],
    customer: &["klant", "afnemer", "factuuradres", "factuur aan", "aan"],
    legal_forms: &["bv", "b.v", "nv", "n.v", "vof", "v.o.f"],
    address: &["straat", "laan", "plein", "gracht", "kade"],
    contact: &["btw", "kvk"],
    not_name: &["factuur"],
    heading: &["betalingsgegevens", "omschrijving"],
    document_number: &["factuur", "factuurnummer", "factuur nr", "factuurnr"],
    receipt: &["kassabon", "wisselgeld"],
    invoice: &["factuur", "vervaldatum"],
    contract: &["overeenkomst"],
    warranty_card: &["garantiebewijs"],
    card: &["pinnen", "pin"],
    cash: &["contant"],
    transfer: &["overschrijving"],
    ..Lexicon::EMPTY
};

pub const PL: Lexicon = Lexicon {
    payable: &["do zaplaty", "razem do zaplaty", "suma do zaplaty"],
    gross: &["razem brutto", "wartosc brutto"],
    total: &["razem"],
    subtotal: &["suma czesciowa"],
    tendered: &["gotowka"],
    change: &["reszta"],
    rounding: &["zaokraglenie"],
    discount: &["rabat"],
    tax: &["ptu"],
    issue_date: &["data wystawienia", "data sprzedazy", "data"],
    other_date: &[
        "termin platnosci",
        "termin zaplaty",
        "dodania",
        "data dostawy",
    ],
    date_label: &["data"],
    warranty_end: &["gwarancja do"],
    warranty: &["gwarancja"],
    months: &[
        ("stycznia", 1),
        ("lutego", 2),
        ("marca", 3),
        ("kwietnia", 4),
        ("maja", 5),
        ("czerwca", 6),
        ("lipca", 7),
        ("sierpnia", 8),
        ("września", 9),
        ("października", 10),
        ("listopada", 11),
        ("grudnia", 12),
    ],
    supplier: &["sprzedawca", "dostawca", "wystawca"],
    customer: &["nabywca", "odbiorca", "platnik"],
    legal_forms: &["sp. z o.o", "sp. z o. o", "sp.j", "s.a", "sp.k"],
    address: &["ul.", "aleja"],
    contact: &["nip", "regon", "konto", "nr konta"],
    not_name: &["paragon"],
    heading: &["dane do przelewu", "sposob platnosci"],
    document_number: &[
        "faktura vat nr",
        "faktura nr",
        "numer faktury",
        "nr faktury",
    ],
    receipt: &["paragon", "paragon fiskalny", "kasa"],
    invoice: &["faktura vat", "termin platnosci"],
    contract: &["umowa"],
    warranty_card: &["karta gwarancyjna", "okres gwarancji"],
    card: &["karta platnicza"],
    cash: &["gotowka"],
    transfer: &["przelew"],
    ..Lexicon::EMPTY
};

/// Italian and Spanish: the few words met on invoices from there.
pub const IT_ES: Lexicon = Lexicon {
    total: &["totale", "importe"],
    tax: &["iva"],
    issue_date: &["fecha"],
    date_label: &["fecha"],
    supplier: &["fornitore", "proveedor", "emisor"],
    customer: &["cliente", "destinatario"],
    legal_forms: &["s.r.l", "srl", "s.p.a", "s.l"],
    document_number: &["fattura n", "factura n", "numero fattura"],
    ..Lexicon::EMPTY
};

/// Every language's table.
pub const LANGUAGES: &[&Lexicon] = &[&EN, &MS, &CS, &SK, &DE, &FR, &NL, &PL, &IT_ES];

/// One concept's words in every language, without repeats.
pub fn all(pick: fn(&Lexicon) -> &'static [&'static str]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for language in LANGUAGES {
        for word in pick(language) {
            if !out.contains(word) {
                out.push(word);
            }
        }
    }
    out
}

/// A concept's words in every language, gathered once: `static PAYABLE: Words =
/// LazyLock::new(|| all(|l| l.payable));`.
pub type Words = LazyLock<Vec<&'static str>>;

/// True when any of `words` occurs in `folded` as a whole word.
pub fn any_word(folded: &str, words: &[&str]) -> bool {
    words.iter().any(|w| crate::text::has_word(folded, w))
}

/// The month numbered by its name in any language, as written (`března`, `Oktober`).
pub fn month(lower: &str) -> Option<u8> {
    LANGUAGES
        .iter()
        .flat_map(|l| l.months)
        .find(|(w, _)| *w == lower)
        .map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fold;

    #[test]
    fn every_word_is_folded_so_it_can_match_folded_text() {
        let fields: &[fn(&Lexicon) -> &'static [&'static str]] = &[
            |l| l.payable,
            |l| l.gross,
            |l| l.total,
            |l| l.supplier,
            |l| l.customer,
            |l| l.issue_date,
            |l| l.other_date,
            |l| l.document_number,
            |l| l.variable_symbol,
            |l| l.legal_forms,
            |l| l.heading,
        ];
        for pick in fields {
            for word in all(*pick) {
                assert_eq!(fold(word), word, "{word} must be written folded");
            }
        }
    }

    #[test]
    fn a_concept_gathers_its_words_from_every_language() {
        let supplier = all(|l| l.supplier);
        for word in [
            "dodavatel",
            "sold by",
            "lieferant",
            "sprzedawca",
            "fournisseur",
        ] {
            assert!(supplier.contains(&word), "{word}");
        }
        assert_eq!(month("října"), Some(10));
        assert_eq!(month("oktober"), Some(10));
        assert_eq!(month("juld"), None);
    }
}
