//! Prices: tiers by quantity, per-line tax, and cart totals.
//!
//! Rule (README, "Storefront"): the tier the *whole* quantity falls in gives the unit
//! price of every unit; tax is computed per line on the line total excluding tax and rounded
//! half away from zero to the currency's minor unit; totals are sums of the line figures and
//! list each tax code's base and amount.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::Reason;
use super::ids::{Quantity, TaxCode};
use super::money::Currency;

/// One price tier: applies to quantities up to `up_to` (inclusive); `None` = no upper bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceTier {
    pub up_to: Option<u32>,
    pub unit_price: Decimal,
}

/// One to five tiers with strictly increasing bounds, the last one unbounded, so that every
/// quantity has exactly one unit price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceTiers(Vec<PriceTier>);

impl PriceTiers {
    pub const MAX_TIERS: usize = 5;

    pub fn new(tiers: Vec<PriceTier>) -> Result<Self, Reason> {
        if tiers.is_empty() || tiers.len() > Self::MAX_TIERS {
            let text = format!("give 1 to {} price tiers", Self::MAX_TIERS);
            return Err(Reason::new("price_tiers", text).with("max", Self::MAX_TIERS));
        }
        if tiers
            .iter()
            .any(|t| t.unit_price.is_sign_negative() || t.unit_price > MAX_UNIT_PRICE)
        {
            let text = format!("unit prices are 0 to {MAX_UNIT_PRICE}");
            return Err(
                Reason::new("unit_price_range", text).with("max", MAX_UNIT_PRICE.to_string())
            );
        }
        let (last, bounded) = tiers.split_last().expect("not empty");
        if last.up_to.is_some() {
            let text = "the last tier must have \"up_to\": null (no upper bound)";
            return Err(Reason::new("last_tier_open", text));
        }
        let mut previous = 0;
        for tier in bounded {
            match tier.up_to {
                Some(n) if n > previous => previous = n,
                _ => {
                    let text = "tier bounds must be positive and strictly increasing; only the last is null";
                    return Err(Reason::new("tier_bounds", text));
                }
            }
        }
        Ok(Self(tiers))
    }

    /// The unit price for a whole quantity.
    pub fn unit_price(&self, quantity: Quantity) -> Decimal {
        let q = quantity.get();
        self.0
            .iter()
            .find(|t| t.up_to.is_none_or(|n| q <= n))
            .expect("the last tier is unbounded")
            .unit_price
    }

    pub fn tiers(&self) -> &[PriceTier] {
        &self.0
    }
}

/// A tax rate in percent (`20` = 20 %), between 0 and 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaxRate(Decimal);

impl TaxRate {
    pub fn new(percent: Decimal) -> Result<Self, Reason> {
        if percent.is_sign_negative() || percent > Decimal::ONE_HUNDRED {
            let text = "a tax rate is a percentage between 0 and 100";
            Err(Reason::new("tax_rate", text))
        } else {
            Ok(Self(percent))
        }
    }

    pub fn percent(self) -> Decimal {
        self.0
    }

    /// Tax on a base, rounded to the currency's minor unit.
    pub fn tax_on(self, base: Decimal, currency: Currency) -> Decimal {
        let tax = base
            .checked_mul(self.0)
            .and_then(|t| t.checked_div(Decimal::ONE_HUNDRED))
            .expect("a bounded base times a rate of at most 100 fits");
        currency.round(tax)
    }
}

/// The highest unit price a shop may set (one billion in its currency): every line total
/// (× 9999 units), its tax and any cart's sums then fit a `Decimal` many times over.
pub const MAX_UNIT_PRICE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// The priced figures of one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinePrice {
    pub unit_price: Decimal,
    pub total_excl_tax: Decimal,
    pub tax_code: TaxCode,
    pub tax_rate: TaxRate,
    pub tax: Decimal,
    pub total_incl_tax: Decimal,
}

impl LinePrice {
    pub fn compute(
        tiers: &PriceTiers,
        quantity: Quantity,
        tax_code: TaxCode,
        tax_rate: TaxRate,
        currency: Currency,
    ) -> Self {
        let unit_price = tiers.unit_price(quantity);
        // Bounded prices (≤ MAX_UNIT_PRICE) times bounded quantities (≤ 9999) fit with room
        // to spare: these checks cannot fail for values the types admit.
        let total_excl_tax = currency.round(
            unit_price
                .checked_mul(Decimal::from(quantity.get()))
                .expect("a bounded price times a bounded quantity fits"),
        );
        let tax = tax_rate.tax_on(total_excl_tax, currency);
        Self {
            unit_price,
            total_excl_tax,
            tax_code,
            tax_rate,
            tax,
            total_incl_tax: total_excl_tax
                .checked_add(tax)
                .expect("a bounded line total fits"),
        }
    }
}

/// One tax code's share of the totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaxLine {
    pub code: TaxCode,
    pub rate: TaxRate,
    pub base: Decimal,
    pub amount: Decimal,
}

/// Sums of the line figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub excl_tax: Decimal,
    pub tax: Decimal,
    pub incl_tax: Decimal,
    pub taxes: Vec<TaxLine>,
}

impl Totals {
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a LinePrice>) -> Self {
        let mut totals = Totals::default();
        let mut by_code: BTreeMap<&TaxCode, TaxLine> = BTreeMap::new();
        for line in lines {
            totals.excl_tax += line.total_excl_tax;
            totals.tax += line.tax;
            totals.incl_tax += line.total_incl_tax;
            let entry = by_code.entry(&line.tax_code).or_insert_with(|| TaxLine {
                code: line.tax_code.clone(),
                rate: line.tax_rate,
                base: Decimal::ZERO,
                amount: Decimal::ZERO,
            });
            entry.base += line.total_excl_tax;
            entry.amount += line.tax;
        }
        totals.taxes = by_code.into_values().collect();
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn q(n: u32) -> Quantity {
        Quantity::try_from(n).unwrap()
    }
    fn eur() -> Currency {
        "EUR".parse().unwrap()
    }
    fn tiers() -> PriceTiers {
        PriceTiers::new(vec![
            PriceTier {
                up_to: Some(4),
                unit_price: d("250.00"),
            },
            PriceTier {
                up_to: Some(9),
                unit_price: d("220.00"),
            },
            PriceTier {
                up_to: None,
                unit_price: d("190.00"),
            },
        ])
        .unwrap()
    }

    #[test]
    fn the_tier_of_the_whole_quantity_prices_every_unit() {
        assert_eq!(tiers().unit_price(q(1)), d("250.00"));
        assert_eq!(tiers().unit_price(q(4)), d("250.00"));
        assert_eq!(tiers().unit_price(q(5)), d("220.00"));
        assert_eq!(tiers().unit_price(q(9)), d("220.00"));
        assert_eq!(tiers().unit_price(q(10)), d("190.00"));
    }

    #[test]
    fn bad_tiers_are_refused() {
        let t = |up_to| PriceTier {
            up_to,
            unit_price: d("1"),
        };
        assert!(PriceTiers::new(vec![]).is_err());
        assert!(
            PriceTiers::new(vec![t(Some(3))]).is_err(),
            "last must be unbounded"
        );
        assert!(PriceTiers::new(vec![t(Some(5)), t(Some(5)), t(None)]).is_err());
        assert!(PriceTiers::new(vec![t(Some(0)), t(None)]).is_err());
        assert!(PriceTiers::new(vec![t(None), t(None)]).is_err());
        assert!(
            PriceTiers::new(vec![
                t(Some(1)),
                t(Some(2)),
                t(Some(3)),
                t(Some(4)),
                t(Some(5)),
                t(None)
            ])
            .is_err()
        );
    }

    #[test]
    fn tax_is_per_line_rounded_half_away_from_zero() {
        let rate = TaxRate::new(d("5.5")).unwrap();
        // 3 × 0.30 = 0.90; 5.5 % of 0.90 = 0.0495 → 0.05
        let cheap = PriceTiers::new(vec![PriceTier {
            up_to: None,
            unit_price: d("0.30"),
        }])
        .unwrap();
        let line = LinePrice::compute(&cheap, q(3), "reduced".parse().unwrap(), rate, eur());
        assert_eq!(line.total_excl_tax, d("0.90"));
        assert_eq!(line.tax, d("0.05"));
        assert_eq!(line.total_incl_tax, d("0.95"));
        // 1 × 0.10 at 5 % = 0.005 → 0.01 (half away from zero, not to even)
        let tiny = PriceTiers::new(vec![PriceTier {
            up_to: None,
            unit_price: d("0.10"),
        }])
        .unwrap();
        let five = TaxRate::new(d("5")).unwrap();
        let line = LinePrice::compute(&tiny, q(1), "x".parse().unwrap(), five, eur());
        assert_eq!(line.tax, d("0.01"));
    }

    #[test]
    fn totals_sum_line_figures_not_recomputed_tax() {
        // Two lines at 5.5 % whose taxes round up separately: 0.05 + 0.05, not 5.5 % of 1.80.
        let rate = TaxRate::new(d("5.5")).unwrap();
        let cheap = PriceTiers::new(vec![PriceTier {
            up_to: None,
            unit_price: d("0.30"),
        }])
        .unwrap();
        let a = LinePrice::compute(&cheap, q(3), "reduced".parse().unwrap(), rate, eur());
        let b = a.clone();
        let std = TaxRate::new(d("20")).unwrap();
        let c = LinePrice::compute(&tiers(), q(5), "standard".parse().unwrap(), std, eur());
        let totals = Totals::of([&a, &b, &c]);
        assert_eq!(totals.excl_tax, d("1101.80"));
        assert_eq!(totals.tax, d("220.10"));
        assert_eq!(totals.incl_tax, d("1321.90"));
        assert_eq!(totals.taxes.len(), 2);
        let reduced = totals
            .taxes
            .iter()
            .find(|t| t.code.as_str() == "reduced")
            .unwrap();
        assert_eq!((reduced.base, reduced.amount), (d("1.80"), d("0.10")));
        let standard = totals
            .taxes
            .iter()
            .find(|t| t.code.as_str() == "standard")
            .unwrap();
        assert_eq!(
            (standard.base, standard.amount),
            (d("1100.00"), d("220.00"))
        );
    }

    #[test]
    fn tax_rates_are_percentages() {
        assert!(TaxRate::new(d("-1")).is_err());
        assert!(TaxRate::new(d("101")).is_err());
        assert!(TaxRate::new(d("0")).is_ok());
    }
}
