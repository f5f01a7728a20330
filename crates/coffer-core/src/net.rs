//! Where Coffer may speak plain HTTP: only to this computer (a local sync server, a local
//! OCR model), so that tokens, keys and documents never cross a network in the clear. One
//! rule for the sync client and remote OCR.

use url::{Host, Url};

/// Whether `url` names this computer: `localhost` or a loopback address (127.0.0.0/8, ::1).
/// A name that only starts like one (`localhost.example.com`, `127.0.0.1.nip.io`) does not.
pub fn is_this_computer(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_and_addresses_are_this_computer() {
        let here = |url: &str| is_this_computer(&Url::parse(url).unwrap());
        for local in [
            "http://localhost:8080",
            "http://127.0.0.1:11434/v1",
            "http://127.0.0.2",
            "http://[::1]:9",
        ] {
            assert!(here(local), "{local}");
        }
        for remote in [
            "http://sync.example.net",
            "http://192.168.1.20:11434/v1",
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io",
            "http://localhost@sync.example.net",
            "file:///tmp/x",
        ] {
            assert!(!here(remote), "{remote}");
        }
    }
}
