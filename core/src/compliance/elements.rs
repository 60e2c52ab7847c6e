//! The codes a final response may state in `final_response_elements`: the vocabulary the
//! compliance plugins check against (the SDK's `closure::element` module holds the same
//! codes for plugin authors; docs/plugins.md says what each means).
//!
//! A code outside this list is refused rather than passed on: a misspelt code
//! (`fos-referal-rights`) would otherwise read as an element the response lacks, or, worse,
//! be taken by a reader of the history for one it states.

/// Every element code, as docs/plugins.md lists them.
pub const ELEMENT_CODES: [&str; 16] = [
    "fos-referral-rights",
    "fos-six-month-limit",
    "fos-website",
    "fos-leaflet",
    "time-limit-waiver",
    "reasons",
    "redress",
    "review-route",
    "mediation-route",
    "arbitration-route",
    "litigation-route",
    "fidrec-referral",
    "fidrec-six-month-limit",
    "adr-body",
    "supervisory-authority-complaint",
    "judicial-remedy",
];

/// Whether `code` is one of [`ELEMENT_CODES`], compared without regard to ASCII case as the
/// plugins compare them.
pub fn is_element_code(code: &str) -> bool {
    ELEMENT_CODES.iter().any(|c| c.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The list here and the table in docs/plugins.md say the same.
    #[test]
    fn the_codes_are_the_documented_ones() {
        let docs = include_str!("../../../docs/plugins.md");
        let section = docs
            .split("### Final-response element codes")
            .nth(1)
            .and_then(|rest| rest.split("\n### ").next())
            .expect("docs/plugins.md has the element code table");
        let mut documented: Vec<&str> = section
            .lines()
            .filter(|l| l.starts_with("| `"))
            .flat_map(|l| {
                let first = l.split('|').nth(1).unwrap_or_default();
                first.split('`').skip(1).step_by(2)
            })
            .collect();
        documented.sort_unstable();
        let mut ours = ELEMENT_CODES.to_vec();
        ours.sort_unstable();
        assert_eq!(ours, documented);
        assert!(is_element_code("FOS-Website"));
        assert!(!is_element_code("fos-referal-rights"));
    }
}
