//! Locks the vault when the system goes to sleep, where the platform says so: on Linux,
//! systemd-logind's `PrepareForSleep(true)` signal on the system bus. Without a system bus
//! (containers, other init systems) there is nothing to hear, and the idle lock still applies.
//! Other platforms are not wired yet.

use std::sync::Arc;

use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::LOCKED_EVENT;
use crate::session::Session;

/// What happens on a sleep signal: locks when the person wants it; true when it locked.
pub fn on_prepare_for_sleep(session: &Session, going_to_sleep: bool) -> bool {
    going_to_sleep && session.settings().lock_on_sleep && session.lock()
}

/// Listens on a thread of its own for the rest of the process.
pub fn watch<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    let spawned = std::thread::Builder::new()
        .name("sleep-lock".into())
        .spawn(move || {
            if let Err(error) = listen(&handle) {
                eprintln!("coffer: not locking on system sleep: {error}");
            }
        });
    if let Err(error) = spawned {
        eprintln!("coffer: not locking on system sleep: {error}");
    }
}

#[cfg(target_os = "linux")]
fn listen<R: Runtime>(app: &AppHandle<R>) -> zbus::Result<()> {
    let bus = zbus::blocking::Connection::system()?;
    let login = zbus::blocking::Proxy::new(
        &bus,
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
    )?;
    for message in login.receive_signal("PrepareForSleep")? {
        let going: bool = message.body().deserialize()?;
        let session = app.state::<Arc<Session>>();
        if on_prepare_for_sleep(&session, going) {
            let _ = app.emit(LOCKED_EVENT, "sleep");
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn listen<R: Runtime>(_app: &AppHandle<R>) -> Result<(), &'static str> {
    Err("this platform's sleep signal is not wired yet")
}
