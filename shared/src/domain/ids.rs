//! Identifiers and small value types that cannot hold a bad value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Declares a string newtype whose only constructor is `FromStr` with the given check,
/// serialised as the plain string.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let check: fn(&str) -> Result<(), String> = $check;
                check(s).map(|()| Self(s.to_owned()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Letters, digits, `-` and `_`, 1 to `max` characters: safe in URLs, keys and gateway fields.
fn slug(s: &str, what: &str, max: usize) -> Result<(), String> {
    let ok = (1..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a valid {what}: 1 to {max} letters, digits, `-` or `_`"
        ))
    }
}

checked_string!(
    /// A shop's id, as it appears in URLs (`/shops/{shop}/...`).
    ShopId,
    |s| slug(s, "shop id", 40)
);
checked_string!(
    /// A catalogue item's code, unique within a shop; case-sensitive.
    ItemCode,
    |s| slug(s, "item code", 40)
);
checked_string!(
    /// A catalogue category's id.
    CategoryId,
    |s| slug(s, "category id", 40)
);
checked_string!(
    /// A tax code such as `standard` or `reduced`.
    TaxCode,
    |s| slug(s, "tax code", 20)
);
checked_string!(
    /// A cart id: 32 lowercase hex digits = 128 random bits. It is the only key to the cart,
    /// so it must be unguessable; see [`CartId::random`].
    CartId,
    |s| {
        if s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(())
        } else {
            Err("not a cart id".into())
        }
    }
);

impl CartId {
    /// A fresh id from the operating system's CSPRNG.
    pub fn random() -> Self {
        Self(random_hex(16))
    }
}

/// `bytes` random bytes from the OS CSPRNG, hex-encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source is available");
    hex::encode(buf)
}

checked_string!(
    /// An email address (RFC 5322 syntax, as checked by the `email_address` crate), kept as
    /// typed but compared case-insensitively through [`Email::normalized`].
    Email,
    |s| {
        if s.len() <= 254 && email_address::EmailAddress::is_valid(s) && s.contains('.') {
            Ok(())
        } else {
            Err(format!("`{s}` is not a valid email address"))
        }
    }
);

impl Email {
    /// What a person typed, trimmed: `required` when empty, `invalid_email` when it is not an
    /// address Moodle accepts (the codes the pages translate). Stored addresses are read with
    /// the wider rule of `parse`, so that what was taken before this one stays readable.
    pub fn from_input(text: &str) -> Result<Self, super::Reason> {
        let text = text.trim();
        if text.is_empty() {
            return Err(super::Reason::new("required", "is required"));
        }
        let invalid = |reason: String| super::Reason::new("invalid_email", reason);
        if !moodle_accepts(text) {
            return Err(invalid(format!(
                "`{text}` is not an address Moodle accepts: no accents, spaces or quotes"
            )));
        }
        text.parse().map_err(invalid)
    }

    /// Lower-cased form, used to compare and to key records by email.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

/// Whether Moodle takes this address for a user (`validate_email`: PHP's `FILTER_VALIDATE_EMAIL`,
/// which `core_user_create_users` applies), narrowed to what people type: ASCII only, a local
/// part of dot-separated atoms (no quotes), a domain of letter-digit-hyphen labels whose last is
/// letters (no address literal), at most 100 characters (Moodle's column). RFC 5322 allows
/// more (`élodie@…`, `"a b"@…`): a buyer or participant with such an address would be paid
/// for and never reach Moodle.
fn moodle_accepts(address: &str) -> bool {
    const ATEXT: &[u8] = b"!#$%&'*+/=?^_`{|}~-";
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    let atom = |a: &str| {
        !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || ATEXT.contains(&b))
    };
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let top_level = domain.rsplit('.').next().unwrap_or_default();
    address.len() <= 100
        && local.len() <= 64
        && local.split('.').all(atom)
        && domain.contains('.')
        && domain.split('.').all(label)
        && top_level.bytes().all(|b| b.is_ascii_alphabetic())
}

/// A quantity of units in a cart line: 1 to 9999 (larger orders are made by an operator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: u32 = 9999;

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Quantity {
    type Error = String;
    fn try_from(n: u32) -> Result<Self, String> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!("quantity must be between 1 and {}", Self::MAX))
        }
    }
}

impl From<Quantity> for u32 {
    fn from(q: Quantity) -> u32 {
        q.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_accept_only_safe_characters() {
        assert!("FIRSTAID-1".parse::<ItemCode>().is_ok());
        assert!("a b".parse::<ItemCode>().is_err());
        assert!("".parse::<ItemCode>().is_err());
        assert!("x".repeat(41).parse::<ItemCode>().is_err());
        assert!("é".parse::<ShopId>().is_err());
    }

    #[test]
    fn cart_ids_are_128_random_bits() {
        let a = CartId::random();
        let b = CartId::random();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert!(a.as_str().parse::<CartId>().is_ok());
        assert!("../etc/passwd".parse::<CartId>().is_err());
        assert!(a.as_str().to_uppercase().parse::<CartId>().is_err());
    }

    #[test]
    fn emails_are_checked() {
        assert!("ada@example.org".parse::<Email>().is_ok());
        assert!("ada@".parse::<Email>().is_err());
        assert!("not an email".parse::<Email>().is_err());
        assert_eq!(
            "Ada@Example.org".parse::<Email>().unwrap().normalized(),
            "ada@example.org"
        );
    }

    /// PHP 8.2's `filter_var($a, FILTER_VALIDATE_EMAIL)` on each (Moodle's `validate_email`),
    /// run on this machine: the shop takes from people only what Moodle accepts.
    #[test]
    fn typed_emails_are_those_moodle_accepts() {
        let long_domain = format!("a@{}org", "abcdefghi.".repeat(25));
        let cases: &[(&str, bool)] = &[
            ("ada@example.org", true),
            ("Ada.Lovelace+shop@Example.ORG", true),
            ("o'brien@example.ie", true),
            ("a!#$%&*+/=?^_`{|}~-@example.org", true),
            ("a@sub.example.co.uk", true),
            ("a@xn--exmple-cua.org", true),
            ("a@123.org", true),
            ("a@ex--ample.org", true),
            ("a@e.x", true),
            ("élodie@example.org", false),
            ("elodie@exämple.org", false),
            ("\"quoted name\"@example.org", false),
            ("a..b@example.org", false),
            (".a@example.org", false),
            ("a.@example.org", false),
            ("a@example", false),
            ("a@-example.org", false),
            ("a@example-.org", false),
            ("a@127.0.0.1", false),
            ("a@example.123", false),
            ("a@example.1a", false),
            ("a b@example.org", false),
            ("a<b@example.org", false),
            ("a@ex_ample.org", false),
            (&long_domain, false),
        ];
        for (address, moodle) in cases {
            assert_eq!(
                Email::from_input(address).is_ok(),
                *moodle,
                "{address}: Moodle says {moodle}"
            );
        }
        // Moodle's `mdl_user.email` is 100 characters: a longer one is a database error.
        let at_100 = format!("{}@{}.example.org", "a".repeat(60), "d".repeat(27));
        assert!(Email::from_input(&at_100).is_ok());
        assert!(Email::from_input(&at_100.replacen('d', "dd", 1)).is_err());
        let local_64 = format!("{}@e.org", "a".repeat(64));
        assert!(Email::from_input(&local_64).is_ok());
        assert!(Email::from_input(&format!("a{local_64}")).is_err());
        // An address taken before this rule is still read from the store.
        assert!("élodie@example.org".parse::<Email>().is_ok());
    }

    #[test]
    fn quantities_are_bounded() {
        assert!(Quantity::try_from(0).is_err());
        assert!(Quantity::try_from(1).is_ok());
        assert!(Quantity::try_from(9999).is_ok());
        assert!(Quantity::try_from(10_000).is_err());
    }
}
