//! Amounts of money kept as whole minor units (cents, pence, fen) with their ISO 4217 currency,
//! so sums never drift the way floating point does.

use iso_currency::{Currency, Flag};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An amount as it travels in the API: a decimal (`"125.50"` or `125.5`) and a currency code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyInput {
    #[schema(value_type = String, example = "125.50")]
    #[serde(deserialize_with = "plain_amount")]
    pub amount: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
}

/// Reads an amount written the way people write money: digits with an optional fraction
/// after a dot, as text (`"125.50"`) or a JSON number (`125.5`). `Decimal`'s own parser
/// also takes `"1e10"`, `"+5"`, `".5"` and `"1_000"`, none of which a complaint form
/// should turn into a sum. A leading minus passes, for the sign check to name it.
fn plain_amount<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    use serde::de::{self, Visitor};

    struct Plain;

    /// The message never quotes the value: it may be anything a customer typed.
    const EXPECTED: &str =
        "an amount of digits with an optional fraction after a dot, e.g. \"125.50\"";

    impl Visitor<'_> for Plain {
        type Value = Decimal;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(EXPECTED)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
            let unsigned = v.strip_prefix('-').unwrap_or(v);
            let (whole, fraction) = match unsigned.split_once('.') {
                Some((whole, fraction)) => (whole, Some(fraction)),
                None => (unsigned, None),
            };
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
                return Err(E::custom(EXPECTED));
            }
            v.parse::<Decimal>().map_err(|_| E::custom(EXPECTED))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
            Ok(Decimal::from(v))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
            // The shortest text that reads back as the same double: 125.5, not 125.4999...
            v.to_string()
                .parse::<Decimal>()
                .map_err(|_| E::custom(EXPECTED))
        }
    }

    deserializer.deserialize_any(Plain)
}

/// A validated amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub minor_units: i64,
    pub currency: Currency,
}

/// Why an amount was refused; the API names the offending field beside it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount must not be negative")]
    Negative,
    #[error("unknown ISO 4217 currency code")]
    UnknownCurrency,
    #[error(
        "{0} is an ISO 4217 fund, metal, unit of account or test code, not money paid to a customer"
    )]
    NotPaidOut(&'static str),
    #[error("{currency} has {exponent} decimal places; the amount has more")]
    TooPrecise {
        currency: &'static str,
        exponent: u16,
    },
    #[error("amount is too large")]
    TooLarge,
}

impl Money {
    /// Validates an API amount.
    ///
    /// # Errors
    /// Negative amounts, unknown currencies, codes nobody is paid in (gold, SDR, `XXX`),
    /// more decimals than the currency has, overflow.
    pub fn parse(input: &MoneyInput) -> Result<Self, MoneyError> {
        let currency =
            Currency::from_code(input.currency.trim()).ok_or(MoneyError::UnknownCurrency)?;
        // Superseded currencies (HRK, BGN) stay: a complaint may be about a payment made
        // before the change.
        if currency.has_flag(Flag::Special) || currency.has_flag(Flag::Fund) {
            return Err(MoneyError::NotPaidOut(currency.code()));
        }
        if input.amount.is_sign_negative() && !input.amount.is_zero() {
            return Err(MoneyError::Negative);
        }
        let exponent = currency.exponent().unwrap_or(0);
        let scaled = input.amount.normalize();
        if scaled.scale() > u32::from(exponent) {
            return Err(MoneyError::TooPrecise {
                currency: currency.code(),
                exponent,
            });
        }
        let factor = Decimal::from(10_i64.pow(u32::from(exponent)));
        let minor_units = scaled
            .checked_mul(factor)
            .and_then(|d| d.to_i64())
            .ok_or(MoneyError::TooLarge)?;
        Ok(Money {
            minor_units,
            currency,
        })
    }

    /// Rebuilds an amount read from the store.
    pub fn from_stored(minor_units: i64, code: &str) -> Option<Self> {
        Some(Money {
            minor_units,
            currency: Currency::from_code(code)?,
        })
    }

    /// The amount as the API shows it.
    pub fn to_input(self) -> MoneyInput {
        let exponent = self.currency.exponent().unwrap_or(0);
        MoneyInput {
            amount: Decimal::new(self.minor_units, u32::from(exponent)),
            currency: self.currency.code().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(amount: &str, currency: &str) -> MoneyInput {
        MoneyInput {
            amount: amount.parse().unwrap(),
            currency: currency.into(),
        }
    }

    #[test]
    fn only_plainly_written_amounts_are_read() {
        let read = |amount: serde_json::Value| {
            serde_json::from_value::<MoneyInput>(
                serde_json::json!({"amount": amount, "currency": "USD"}),
            )
            .map(|m| m.amount.to_string())
        };
        for (given, kept) in [
            (serde_json::json!("125.50"), "125.50"),
            (serde_json::json!("0"), "0"),
            (serde_json::json!("-0.01"), "-0.01"),
            (serde_json::json!(125.5), "125.5"),
            (serde_json::json!(40), "40"),
        ] {
            assert_eq!(read(given.clone()).unwrap(), kept, "{given}");
        }
        for given in [
            "1e10", "+5", ".5", "5.", "1_000", " 5", "5 ", "", "-", "1.2.3", "0x10",
        ] {
            let err = read(serde_json::json!(given)).unwrap_err().to_string();
            assert!(err.contains("digits"), "{given:?}: {err}");
        }
    }

    #[test]
    fn keeps_minor_units_by_currency_exponent() {
        assert_eq!(
            Money::parse(&input("125.50", "USD")).unwrap().minor_units,
            12550
        );
        assert_eq!(
            Money::parse(&input("1200", "JPY")).unwrap().minor_units,
            1200
        );
        assert_eq!(
            Money::parse(&input("1.234", "KWD")).unwrap().minor_units,
            1234
        );
    }

    #[test]
    fn refuses_negative_unknown_and_over_precise_amounts() {
        assert_eq!(Money::parse(&input("-1", "USD")), Err(MoneyError::Negative));
        assert_eq!(
            Money::parse(&input("1", "XYZ")),
            Err(MoneyError::UnknownCurrency)
        );
        for code in ["XXX", "XTS", "XAU", "XDR", "USN", "CLF"] {
            assert_eq!(
                Money::parse(&input("1", code)),
                Err(MoneyError::NotPaidOut(code)),
                "{code}"
            );
        }
        assert_eq!(
            Money::parse(&input("10.00", "HRK")).unwrap().minor_units,
            1000
        );
        assert!(matches!(
            Money::parse(&input("1.5", "JPY")),
            Err(MoneyError::TooPrecise { .. })
        ));
    }

    #[test]
    fn round_trips_through_the_store() {
        let m = Money::parse(&input("99.90", "GBP")).unwrap();
        let back = Money::from_stored(m.minor_units, "GBP").unwrap().to_input();
        assert_eq!(back.amount.to_string(), "99.90");
    }
}
