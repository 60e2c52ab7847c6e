//! Public complaint references: short enough to read aloud over the phone.

use std::fmt;
use std::str::FromStr;

/// `RDR-2026-000123`: the year the complaint was received and its number within that year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reference {
    pub year: i32,
    pub number: i64,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RDR-{}-{:06}", self.year, self.number)
    }
}

/// The text is not a reference of the `RDR-YYYY-NNNNNN` form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a complaint reference (expected RDR-YYYY-NNNNNN)")]
pub struct ReferenceParseError;

impl FromStr for Reference {
    type Err = ReferenceParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .trim()
            .strip_prefix("RDR-")
            .or_else(|| s.trim().strip_prefix("rdr-"))
            .ok_or(ReferenceParseError)?;
        let (year, number) = rest.split_once('-').ok_or(ReferenceParseError)?;
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if year.len() != 4 || !digits(year) || number.len() < 6 || !digits(number) {
            return Err(ReferenceParseError);
        }
        Ok(Reference {
            year: year.parse().map_err(|_| ReferenceParseError)?,
            number: number.parse().map_err(|_| ReferenceParseError)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_six_digits_and_parses_back() {
        let r = Reference {
            year: 2026,
            number: 123,
        };
        assert_eq!(r.to_string(), "RDR-2026-000123");
        assert_eq!("RDR-2026-000123".parse::<Reference>(), Ok(r));
    }

    #[test]
    fn numbers_past_a_million_keep_all_digits() {
        let r = Reference {
            year: 2026,
            number: 1_234_567,
        };
        assert_eq!(r.to_string(), "RDR-2026-1234567");
        assert_eq!(r.to_string().parse::<Reference>(), Ok(r));
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "RDR-26-000001",
            "RDR-2026-12",
            "ABC-2026-000001",
            "RDR-2026-00001x",
        ] {
            assert!(bad.parse::<Reference>().is_err(), "{bad}");
        }
    }
}
