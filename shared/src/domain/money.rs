//! Money: ISO 4217 currencies with their minor unit, amounts as `rust_decimal::Decimal`.
//!
//! Amounts never go through floating point. Rounding is always half away from zero to the
//! currency's minor unit, which is what invoices and tax authorities expect.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// An ISO 4217 currency that has a minor unit (funds and metals such as XAU are refused:
/// nobody sells training for gold ounces, and they have no defined minor unit).
///
/// Stored and sent as its ISO code (`"EUR"`), read back through [`FromStr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    iso: iso_currency::Currency,
    minor_unit: u32,
}

impl Currency {
    /// The three-letter ISO code, e.g. `EUR`.
    pub fn code(&self) -> &'static str {
        self.iso.code()
    }

    /// Number of decimals of the minor unit: 2 for EUR, 0 for JPY, 3 for KWD.
    pub fn minor_unit(&self) -> u32 {
        self.minor_unit
    }

    /// Rounds half away from zero to the minor unit.
    pub fn round(&self, amount: Decimal) -> Decimal {
        amount.round_dp_with_strategy(self.minor_unit, RoundingStrategy::MidpointAwayFromZero)
    }

    /// Parses an amount given as a decimal string: non-negative and with no more decimals than
    /// the minor unit allows (a price of `10.005` EUR is a typing mistake, not a price).
    pub fn parse_amount(&self, text: &str) -> Result<Decimal, String> {
        let amount = parse_decimal(text)?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err("must not be negative".into());
        }
        if amount.normalize().scale() > self.minor_unit {
            return Err(format!(
                "has more decimals than {} allows ({})",
                self.code(),
                self.minor_unit
            ));
        }
        Ok(amount)
    }

    /// ISO 4217 numeric code (`978` for EUR), as Lyra and Sips want it.
    pub fn numeric(&self) -> u16 {
        self.iso.numeric()
    }

    /// The currency of an ISO 4217 numeric code.
    pub fn from_numeric(code: u16) -> Option<Self> {
        iso_currency::Currency::from_numeric(code).and_then(|c| c.code().parse().ok())
    }

    /// An amount in minor units (cents), as gateways count: `12.50` EUR → 1250.
    pub fn to_minor(&self, amount: Decimal) -> Option<i64> {
        let scaled = self.round(amount) * Decimal::from(10i64.pow(self.minor_unit));
        i64::try_from(scaled.trunc()).ok()
    }

    /// An amount given in minor units.
    pub fn from_minor(&self, minor: i64) -> Decimal {
        Decimal::new(minor, self.minor_unit)
    }

    /// Formats an amount with exactly the minor unit's decimals, as the API shows amounts.
    pub fn format(&self, amount: Decimal) -> String {
        let mut rounded = self.round(amount);
        rounded.rescale(self.minor_unit);
        rounded.to_string()
    }

    /// An amount as a reader of `language` writes it: `€1,203.75`, `1 203,75 €` (no-break
    /// spaces), for documents and messages. A currency without a Latin-1 symbol shows its code.
    pub fn display(&self, amount: Decimal, language: super::Language) -> String {
        let plain = self.format(amount);
        let (sign, digits) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let fr = language == super::Language::Fr;
        let (group, point) = if fr { ('\u{a0}', ',') } else { (',', '.') };
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(c);
        }
        if !fraction.is_empty() {
            grouped.push(point);
            grouped.push_str(fraction);
        }
        let symbol = match self.code() {
            "EUR" => Some("€"),
            "GBP" => Some("£"),
            "USD" => Some("$"),
            "JPY" => Some("¥"),
            _ => None,
        };
        match (symbol, fr) {
            (Some(s), false) => format!("{sign}{s}{grouped}"),
            (None, false) => format!("{sign}{}\u{a0}{grouped}", self.code()),
            (s, true) => format!("{sign}{grouped}\u{a0}{}", s.unwrap_or(self.code())),
        }
    }
}

impl FromStr for Currency {
    type Err = String;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        let iso = iso_currency::Currency::from_code(code)
            .ok_or_else(|| format!("`{code}` is not an ISO 4217 currency code"))?;
        let minor_unit = iso
            .exponent()
            .ok_or_else(|| format!("`{code}` has no minor unit"))?;
        Ok(Self {
            iso,
            minor_unit: u32::from(minor_unit),
        })
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(code: String) -> Result<Self, String> {
        code.parse()
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Parses a plain decimal string (`"12.50"`); no exponents, no thousands separators.
pub fn parse_decimal(text: &str) -> Result<Decimal, String> {
    let ok = !text.is_empty()
        && text
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && c == '-'));
    if !ok {
        return Err(format!(
            "`{text}` is not a decimal number such as \"12.50\""
        ));
    }
    Decimal::from_str(text).map_err(|_| format!("`{text}` is not a decimal number"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn amounts_read_as_each_language_writes_them() {
        use crate::domain::Language::{En, Fr};
        let eur: super::Currency = "EUR".parse().unwrap();
        let chf: super::Currency = "CHF".parse().unwrap();
        let jpy: super::Currency = "JPY".parse().unwrap();
        let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
        assert_eq!(eur.display(d("1203.75"), Fr), "1\u{a0}203,75\u{a0}€");
        assert_eq!(eur.display(d("1203.75"), En), "€1,203.75");
        assert_eq!(eur.display(d("1234567.5"), En), "€1,234,567.50");
        assert_eq!(eur.display(d("99"), Fr), "99,00\u{a0}€");
        assert_eq!(eur.display(d("-0.5"), Fr), "-0,50\u{a0}€");
        assert_eq!(chf.display(d("1000"), En), "CHF\u{a0}1,000.00");
        assert_eq!(jpy.display(d("1500"), Fr), "1\u{a0}500\u{a0}¥");
    }

    use super::*;

    fn eur() -> Currency {
        "EUR".parse().unwrap()
    }

    #[test]
    fn currencies_know_their_minor_unit() {
        assert_eq!(eur().minor_unit(), 2);
        assert_eq!("JPY".parse::<Currency>().unwrap().minor_unit(), 0);
        assert_eq!("KWD".parse::<Currency>().unwrap().minor_unit(), 3);
        assert!("EURO".parse::<Currency>().is_err());
        assert!("XAU".parse::<Currency>().is_err(), "no minor unit");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(eur().round(d("0.125")), d("0.13"));
        assert_eq!(eur().round(d("0.135")), d("0.14"), "not banker's rounding");
        assert_eq!(eur().round(d("-0.125")), d("-0.13"));
        assert_eq!("JPY".parse::<Currency>().unwrap().round(d("2.5")), d("3"));
    }

    #[test]
    fn amounts_are_checked_against_the_minor_unit() {
        assert_eq!(eur().parse_amount("10.5").unwrap().to_string(), "10.5");
        assert!(eur().parse_amount("10.005").is_err());
        assert!(
            eur().parse_amount("10.000").is_ok(),
            "trailing zeros are fine"
        );
        assert!(eur().parse_amount("-1").is_err());
        assert!(eur().parse_amount("1e3").is_err());
        assert!(eur().parse_amount("").is_err());
        assert!(
            "JPY"
                .parse::<Currency>()
                .unwrap()
                .parse_amount("1.5")
                .is_err()
        );
    }

    #[test]
    fn minor_units_convert_both_ways() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(eur().to_minor(d("51.24")), Some(5124));
        assert_eq!(eur().from_minor(5124), d("51.24"));
        assert_eq!(
            "JPY".parse::<Currency>().unwrap().to_minor(d("1200")),
            Some(1200)
        );
        assert_eq!(eur().numeric(), 978);
        assert_eq!(Currency::from_numeric(978), Some(eur()));
    }

    #[test]
    fn amounts_are_formatted_with_the_minor_unit() {
        assert_eq!(eur().format(Decimal::from(12)), "12.00");
        assert_eq!(eur().format(Decimal::from_str("0.125").unwrap()), "0.13");
    }
}
