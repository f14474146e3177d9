//! A notification's form body, parsed once into an exact list of (name, value), and the part of
//! it that a signature covers.
//!
//! Two rules close the door on added fields (see README "Security"):
//! - a body that repeats a name, or carries two names that differ only by letter case, is
//!   refused: the verifier and the event reader can never pick different copies;
//! - a name that is one of the gateway's own names in another letter case (`VADS_TRANS_STATUS`
//!   for `vads_trans_status`) is refused: a case-insensitive reader would take it, the
//!   signature does not cover it.
//!
//! The typed event is then built from [`Signed`] only, which holds exactly the values the
//! signature (or PayPal's postback) vouched for.

use std::collections::BTreeMap;

use super::VerifyError;

/// How a gateway spells its field names.
#[derive(Clone, Copy)]
pub enum Names {
    /// Case-sensitive names; the function gives the gateway's own spelling of a lower-cased
    /// name when the gateway defines one (`vads_…`, `signature`).
    Exact(fn(&str) -> Option<String>),
    /// Case-insensitive names (Ogone): every name is upper-cased once, here.
    Upper,
}

/// A form body as received, every name once.
#[derive(Clone, Debug)]
pub struct FormBody(Vec<(String, String)>);

fn refused(why: impl Into<String>) -> VerifyError {
    VerifyError::Unauthentic(why.into())
}

impl FormBody {
    /// Parses `application/x-www-form-urlencoded` bytes under the gateway's naming rule.
    pub fn parse(body: &[u8], names: Names) -> Result<Self, VerifyError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(body).map_err(|_| refused("the body is not a form"))?;
        let mut seen: BTreeMap<String, ()> = BTreeMap::new();
        let mut out = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let lower = name.to_ascii_lowercase();
            if seen.insert(lower.clone(), ()).is_some() {
                return Err(refused(format!("the field `{name}` is sent twice")));
            }
            let name = match names {
                Names::Upper => name.to_ascii_uppercase(),
                Names::Exact(canonical) => match canonical(&lower) {
                    Some(own) if own != name => {
                        return Err(refused(format!(
                            "the field `{name}` is not spelled as the gateway spells it"
                        )));
                    }
                    _ => name,
                },
            };
            out.push((name, value));
        }
        Ok(Self(out))
    }

    /// The value of the field with exactly this name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The fields a signature covers, chosen by `covered`.
    pub fn signed(&self, covered: impl Fn(&str, &str) -> bool) -> Signed {
        Signed(
            self.0
                .iter()
                .filter(|(k, v)| covered(k, v))
                .cloned()
                .collect(),
        )
    }
}

/// The values a signature covers, by exact name: the only input of a typed event.
#[derive(Clone, Debug, Default)]
pub struct Signed(BTreeMap<String, String>);

impl Signed {
    /// `key=value` pairs (Sips `Data`), each name once.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, VerifyError> {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if map.insert(k.clone(), v).is_some() {
                return Err(refused(format!("the signed field `{k}` is sent twice")));
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A field that only a notification carries (never the shop's own payment form).
    pub fn need(&self, name: &str) -> Result<&str, VerifyError> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| refused(format!("not a notification: no signed `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lyra(lower: &str) -> Option<String> {
        (lower.starts_with("vads_") || lower == "signature").then(|| lower.to_owned())
    }

    #[test]
    fn repeated_and_case_shifted_names_are_refused() {
        let exact = Names::Exact(lyra);
        assert!(FormBody::parse(b"vads_a=1&vads_b=2&other=x", exact).is_ok());
        assert!(FormBody::parse(b"vads_a=1&vads_a=1", exact).is_err());
        assert!(FormBody::parse(b"vads_a=1&VADS_B=2", exact).is_err());
        assert!(FormBody::parse(b"Other=1&oTHER=2", exact).is_err());
        assert!(FormBody::parse(b"PAYID=1&payid=1", Names::Upper).is_err());
        let upper = FormBody::parse(b"payId=1&status=9", Names::Upper).unwrap();
        assert_eq!(upper.get("PAYID"), Some("1"));
        assert_eq!(upper.get("payId"), None);
    }

    #[test]
    fn signed_values_are_read_by_exact_name_only() {
        let body = FormBody::parse(b"vads_a=1&note=x", Names::Exact(lyra)).unwrap();
        let signed = body.signed(|k, _| k.starts_with("vads_"));
        assert_eq!(signed.get("vads_a"), Some("1"));
        assert_eq!(signed.get("note"), None);
        assert!(signed.need("vads_b").is_err());
        assert!(Signed::from_pairs([("a".into(), "1".into()), ("a".into(), "2".into())]).is_err());
    }
}
