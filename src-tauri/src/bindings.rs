//! The TypeScript types of what the commands take and give, generated from the Rust types
//! (ts-rs) into `ui/src/lib/bindings.ts`, so the window and the back end cannot drift apart.
//! A test checks the file is current; `make bindings` rewrites it after a type changes.

use std::collections::BTreeSet;

use ts_rs::{Config, TS};

use crate::commands::{self, account, bulk, export, ocr, overview, reminders, restore, security};
use crate::{error, session, settings};

/// Where the generated file lives, from the crate's directory.
const BINDINGS_FILE: &str = "../ui/src/lib/bindings.ts";

/// One declaration: its TypeScript name, its text, and the names it refers to.
struct Declaration {
    name: String,
    text: String,
    uses: Vec<String>,
}

fn declaration<T: TS + ?Sized + 'static>(cfg: &Config) -> Declaration {
    let mut text = T::docs().unwrap_or_default();
    text.push_str("export ");
    text.push_str(&T::decl(cfg));
    Declaration {
        name: T::ident(cfg),
        text,
        uses: T::dependencies(cfg)
            .into_iter()
            .map(|d| d.ts_name)
            .collect(),
    }
}

macro_rules! declarations {
    ($cfg:expr; $($t:ty),* $(,)?) => {
        vec![$(declaration::<$t>($cfg)),*]
    };
}

/// Every type a command takes or gives, with the engine's and the API's types they contain.
fn all(cfg: &Config) -> Vec<Declaration> {
    use coffer_api::billing;
    use coffer_core::{
        bulk as core_bulk, document, export as core_export, overview as core_overview,
    };
    declarations![cfg;
        // The engine: documents, searches, the overview, reminders, bulk changes.
        document::DocumentId, document::DocumentKind, document::Currency, document::Field,
        document::FieldState, document::VatLine, document::CompanyIds, document::FileInfo,
        document::DocumentSummary, document::DocumentJson, coffer_core::search::SortKey,
        coffer_core::Sort, coffer_core::VaultInfo, coffer_core::KdfRecord,
        coffer_core::KdfParams, core_overview::Overview, core_overview::MonthSpending,
        core_overview::MonthTotals, core_overview::Amount, core_overview::KindAmount,
        core_overview::VatTotal, coffer_core::reminders::DeadlineKind,
        coffer_core::reminders::Deadline, coffer_core::reminders::DueReminder,
        core_bulk::BulkChange, core_bulk::BulkOutcome, core_bulk::Skipped,
        core_export::CsvPreset, core_export::ExportFormat,
        // The account: the connection, sync state, the plan and its payments.
        coffer_core::sync::Connection, coffer_core::sync::SyncOverview, coffer_core::sync::AccountStatus,
        coffer_api::entitlement::Entitlement, coffer_api::entitlement::MonthUsage,
        billing::PlanLimits, billing::PlanCatalog, billing::Plan, billing::PlanPrice,
        billing::Money, billing::PriceCurrency, billing::BillingInterval,
        billing::BillingHistory, billing::Payment, billing::PaymentKind, billing::PaymentStatus,
        billing::PaymentProvider, billing::Invoice, billing::CheckoutResponse,
        coffer_api::Device,
        // The app's own.
        error::CommandError, session::VaultState, settings::Language, settings::Theme,
        settings::NotificationSettings, settings::Settings, commands::AppStatus,
        commands::UnlockResult, commands::WordCheck, commands::WriteProgress,
        commands::SearchArgs, commands::DocumentPage, commands::ImportResult,
        commands::ImportedFiles, commands::EditArgs, commands::VaultProblem,
        account::SignIn, account::AccountView, account::SyncStep, account::SyncDone,
        account::EmailRemindersView, bulk::Selection, bulk::Selected, export::ExportForm,
        export::ExportNote, export::ExportOutcome, export::ShareOutcome, export::BackupTo,
        export::BackupLeftOut, export::BackupOutcome, export::BackupAge, ocr::RemoteProvider,
        ocr::RemoteOcrConsent, ocr::RemoteProviderInfo, ocr::ProviderChange,
        overview::OverviewView, reminders::ReminderNotifications, reminders::Notice,
        reminders::DocumentReminders, reminders::Deadlines, restore::BackupProtection,
        restore::BackupKey, restore::RestoreResult, security::KdfStrength,
    ]
}

/// The file's text. Large integers are plain numbers: every count, size and amount the
/// commands send fits a double (amounts are minor units, sizes bytes, times Unix seconds).
fn typescript() -> String {
    let cfg = Config::new().with_large_int("number");
    let declarations = all(&cfg);
    let declared: BTreeSet<&str> = declarations.iter().map(|d| d.name.as_str()).collect();
    for d in &declarations {
        for used in &d.uses {
            assert!(
                declared.contains(used.as_str()),
                "{} uses {used}, which is not declared in bindings.rs",
                d.name
            );
        }
    }
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs (`make bindings`); do not\n\
         // edit. Field names are the engine's (snake_case), as the CLI's --json prints them.\n",
    );
    for d in declarations {
        out.push('\n');
        out.push_str(&d.text);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_typescript_types_are_generated_from_the_current_rust_types() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(BINDINGS_FILE);
        let generated = typescript();
        if std::env::var_os("COFFER_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{} is not what the Rust types give; run `make bindings`",
            path.display()
        );
    }

    #[test]
    fn every_declared_name_is_unique() {
        let cfg = Config::new();
        let names: Vec<String> = all(&cfg).into_iter().map(|d| d.name).collect();
        let unique: BTreeSet<&String> = names.iter().collect();
        assert_eq!(
            unique.len(),
            names.len(),
            "two types share a TypeScript name"
        );
    }
}
