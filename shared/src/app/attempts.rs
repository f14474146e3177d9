//! Limits on guessing a secret (a Moodle password at login, an internal item's password).
//!
//! Each guess is reserved on counters of the current 15-minute window *before* it is checked,
//! within every limit at once: of any number of parallel guesses at most the limit are
//! checked. A guess that turned out not to be a wrong one (the right password, or Moodle did
//! not answer) is given back. Past a limit the answer is 429 with the seconds to the window's
//! end, and nothing is checked.

use chrono::{DateTime, Utc};

use super::AppError;
use super::keys;
use crate::ports::{Key, Store, StoreError, Write};
use crate::web::ClientAddr;

/// The length of a window, after which every counter starts again from nothing.
pub const WINDOW_MINUTES: i64 = 15;
/// How long a window's counters stay after it (seconds): a day to look at, then dropped (the
/// table's TTL), so that guesses under made-up names or addresses leave nothing for ever.
const KEPT_AFTER_WINDOW: i64 = 24 * 3600;

/// One guess's reservation on its counters.
pub(crate) struct Attempt {
    counters: Vec<(Key, u64)>,
    /// When the guess was made (epoch seconds), and when its window ends.
    at: i64,
    window_end: i64,
}

impl Attempt {
    /// The counters of `shop` in the window of `now`, one per (what, who, at most): `who`
    /// guessed, counted as `what`.
    pub(crate) fn new(shop: &str, now: DateTime<Utc>, limits: &[(&str, &str, u64)]) -> Self {
        let window = now.timestamp() / (WINDOW_MINUTES * 60);
        Attempt {
            counters: limits
                .iter()
                .map(|(what, who, limit)| (keys::login_failures(shop, what, who, window), *limit))
                .collect(),
            at: now.timestamp(),
            window_end: (window + 1) * WINDOW_MINUTES * 60,
        }
    }

    /// Counts the guess, or answers 429 when a counter is at its limit (counting nothing).
    pub(crate) async fn reserve(&self, store: &dyn Store) -> Result<(), AppError> {
        let reserve = self.counters.iter().map(|(key, limit)| Write::Add {
            key: key.clone(),
            by: 1,
            at_most: Some(*limit),
            expires_at: Some(self.window_end + KEPT_AFTER_WINDOW),
        });
        match store.write(reserve.collect()).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed) => {
                Err(AppError::TooMany((self.window_end - self.at).max(1) as u64))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Gives the guess back: it was not a wrong one. Should that write fail, it stays counted.
    pub(crate) async fn give_back(&self, store: &dyn Store) {
        let release = self.counters.iter().map(|(key, _)| Write::Add {
            key: key.clone(),
            by: -1,
            at_most: None,
            expires_at: Some(self.window_end + KEPT_AFTER_WINDOW),
        });
        if let Err(e) = store.write(release.collect()).await {
            tracing::warn!(error = %e, "an attempt was not given back");
        }
    }
}

/// Who a client is counted as: its address, or for IPv6 its /64 network (one subscriber's
/// whole allocation, whose addresses a client may switch between freely). A request with no
/// known address counts as `unknown`.
pub(crate) fn client_key(client: Option<ClientAddr>) -> String {
    match client.map(|c| c.0) {
        None => "unknown".to_owned(),
        Some(std::net::IpAddr::V4(ip)) => ip.to_string(),
        Some(std::net::IpAddr::V6(ip)) => match ip.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let net = ipnet::Ipv6Net::new(ip, 64).expect("64 is a valid prefix length");
                net.trunc().to_string()
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_network() {
        let at = |s: &str| client_key(Some(ClientAddr(s.parse().unwrap())));
        assert_eq!(at("2001:db8:1:2::1"), at("2001:db8:1:2:ffff::9"));
        assert_eq!(at("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_ne!(at("2001:db8:1:2::1"), at("2001:db8:1:3::1"));
        assert_eq!(at("::ffff:203.0.113.7"), "203.0.113.7");
        assert_ne!(at("203.0.113.7"), at("203.0.113.8"));
        assert_eq!(client_key(None), "unknown");
    }
}
