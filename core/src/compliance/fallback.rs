//! The closure check used when a region's compliance plugin gives no answer: a fixed
//! list of what a final response must state, the strictest the region's rules are known
//! to require (`docs/compliance.md` names each source).
//!
//! A failing plugin must not let a final response go out unchecked, and the complaint
//! flow must not stop either. So the response is checked against everything the bundled
//! plugin for the region could ask of any response: a response that passes here passes
//! the plugin too. What the list cannot judge (the UK's three-business-day window for a
//! summary resolution, which needs the bank holiday calendar) is replaced by the stricter
//! requirement: a UK summary resolution must carry everything a final response carries.

use super::{MissingElement, ResponseFacts};
use crate::domain::{Outcome, Region, ResponseCategory};

const FOS_REFERRAL: (&str, &str) = (
    "fos-referral-rights",
    "Say that the complainant may refer the complaint to the Financial Ombudsman Service.",
);
const FOS_SIX_MONTHS: (&str, &str) = (
    "fos-six-month-limit",
    "State that the complainant has six months from this response to refer to the Ombudsman.",
);
const FOS_WEBSITE: (&str, &str) = (
    "fos-website",
    "Give the Financial Ombudsman Service website address.",
);
const FOS_LEAFLET: (&str, &str) = (
    "fos-leaflet",
    "Enclose the Financial Ombudsman Service explanatory leaflet.",
);
const FOS_WAIVER: (&str, &str) = (
    "time-limit-waiver",
    "Say whether the firm consents to waive the Ombudsman's time limits.",
);
const REASONS: (&str, &str) = ("reasons", "Give the reasons for the decision.");

const CN_ROUTES: [(&str, &str); 4] = [
    (
        "review-route",
        "告知申请核查（复核）的途径。Tell the complainant how to ask for a review.",
    ),
    (
        "mediation-route",
        "告知调解途径。Tell the complainant about mediation.",
    ),
    (
        "arbitration-route",
        "告知仲裁途径。Tell the complainant about arbitration.",
    ),
    (
        "litigation-route",
        "告知诉讼途径。Tell the complainant about litigation.",
    ),
];

const SG_FIDREC: [(&str, &str); 2] = [
    (
        "fidrec-referral",
        "Tell the complainant they may refer the dispute to FIDReC if not satisfied.",
    ),
    (
        "fidrec-six-month-limit",
        "State that the referral to FIDReC must be made within 6 months of this final reply.",
    ),
];

const EU_ADR: (&str, &str) = (
    "adr-body",
    "Name the alternative dispute resolution body the complainant can turn to.",
);
const EU_GDPR_REFUSAL: [(&str, &str); 2] = [
    (
        "supervisory-authority-complaint",
        "Tell the person they may lodge a complaint with a supervisory authority.",
    ),
    (
        "judicial-remedy",
        "Tell the person they may seek a judicial remedy.",
    ),
];

/// What `response` lacks against the region's fixed list. `tags` are the complaint's
/// tags (the EU list depends on whether it is a data-subject request).
pub(super) fn missing(
    region: Region,
    response: &ResponseFacts,
    tags: &[String],
) -> Vec<MissingElement> {
    let adverse = matches!(response.outcome, Outcome::NotUpheld | Outcome::PartlyUpheld);
    let mut required: Vec<((&str, &str), &str)> = Vec::new();
    match region {
        Region::Uk => {
            for element in [
                FOS_REFERRAL,
                FOS_SIX_MONTHS,
                FOS_WEBSITE,
                FOS_LEAFLET,
                FOS_WAIVER,
            ] {
                required.push((element, "DISP 1.6.2R and DISP 1 Annex 3R"));
            }
            if adverse {
                required.push((REASONS, "FCA Glossary: final response"));
            }
        }
        Region::Cn => {
            for element in CN_ROUTES {
                required.push((element, "银行业保险业消费投诉处理管理办法 (CBIRC 2020)"));
            }
            if adverse {
                required.push((REASONS, "银行业保险业消费投诉处理管理办法 (CBIRC 2020)"));
            }
        }
        Region::Sg => {
            for element in SG_FIDREC {
                required.push((element, "FA(CHR) Regulations 2021, reg. 5; MAS MoneySense"));
            }
            if adverse {
                required.push((REASONS, "FA(CHR) Regulations 2021, reg. 5"));
            }
        }
        Region::Eu => {
            let guidelines = "Joint Committee Guidelines on complaints-handling, guideline 7";
            required.push((EU_ADR, guidelines));
            if adverse {
                required.push((REASONS, guidelines));
                if tags.iter().any(|t| t == "data-subject-request") {
                    for element in EU_GDPR_REFUSAL {
                        required.push((element, "GDPR art. 12(4)"));
                    }
                }
            }
        }
        Region::Us => return us_missing(response),
        // The only source for Hong Kong is banks' published procedures, which name no
        // contents for the final response.
        Region::Hk => {}
    }
    required
        .into_iter()
        .filter(|((code, _), _)| !response.elements.iter().any(|e| e == code))
        .map(|((code, message), rule)| MissingElement {
            code: code.to_owned(),
            message: message.to_owned(),
            rule: fallback_rule(rule),
        })
        .collect()
}

/// The CFPB needs a closing response category, and an amount with monetary relief.
fn us_missing(response: &ResponseFacts) -> Vec<MissingElement> {
    let fields = "CFPB Consumer Complaint Database fields: company response to consumer";
    let closing = matches!(
        response.response_category,
        Some(
            ResponseCategory::ClosedWithExplanation
                | ResponseCategory::ClosedWithMonetaryRelief
                | ResponseCategory::ClosedWithNonMonetaryRelief
        )
    );
    if !closing {
        return vec![MissingElement {
            code: "response-category".into(),
            message: "Record a closing response category: Closed with explanation, Closed with \
                      monetary relief or Closed with non-monetary relief."
                .into(),
            rule: fallback_rule(fields),
        }];
    }
    if response.response_category == Some(ResponseCategory::ClosedWithMonetaryRelief)
        && response.redress.is_none()
    {
        return vec![MissingElement {
            code: "monetary-relief-amount".into(),
            message: "State the amount of monetary relief provided.".into(),
            rule: fallback_rule("CFPB Company Portal Manual 8.1"),
        }];
    }
    Vec::new()
}

fn fallback_rule(rule: &str) -> String {
    format!("{rule} (fallback check: the region's compliance plugin gave no answer)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn response(outcome: Outcome, elements: &[&str]) -> ResponseFacts {
        ResponseFacts {
            outcome,
            sent_at: Utc::now(),
            elements: elements.iter().map(|e| (*e).to_owned()).collect(),
            redress: None,
            response_category: None,
        }
    }

    fn codes(missing: &[MissingElement]) -> Vec<&str> {
        missing.iter().map(|m| m.code.as_str()).collect()
    }

    #[test]
    fn uk_needs_the_ombudsman_information_and_the_six_month_limit() {
        let got = missing(Region::Uk, &response(Outcome::Upheld, &[]), &[]);
        assert_eq!(
            codes(&got),
            [
                "fos-referral-rights",
                "fos-six-month-limit",
                "fos-website",
                "fos-leaflet",
                "time-limit-waiver"
            ]
        );
        assert!(got[1].rule.contains("DISP 1.6.2R"), "{}", got[1].rule);
        assert!(got[1].rule.contains("fallback"), "{}", got[1].rule);
        let full = [
            "fos-referral-rights",
            "fos-six-month-limit",
            "fos-website",
            "fos-leaflet",
            "time-limit-waiver",
        ];
        assert!(missing(Region::Uk, &response(Outcome::Upheld, &full), &[]).is_empty());
        // A rejection also needs reasons.
        let got = missing(Region::Uk, &response(Outcome::NotUpheld, &full), &[]);
        assert_eq!(codes(&got), ["reasons"]);
    }

    #[test]
    fn a_uk_summary_resolution_is_held_to_the_final_response_list() {
        // DISP 1.5.4R asks less, but only within a window the fallback cannot count.
        let summary = ["fos-referral-rights", "fos-website", "time-limit-waiver"];
        let got = missing(
            Region::Uk,
            &response(Outcome::SummaryResolution, &summary),
            &[],
        );
        assert_eq!(codes(&got), ["fos-six-month-limit", "fos-leaflet"]);
    }

    #[test]
    fn cn_needs_the_four_routes() {
        let got = missing(
            Region::Cn,
            &response(Outcome::PartlyUpheld, &["mediation-route"]),
            &[],
        );
        assert_eq!(
            codes(&got),
            [
                "review-route",
                "arbitration-route",
                "litigation-route",
                "reasons"
            ]
        );
    }

    #[test]
    fn sg_eu_and_us_lists() {
        let got = missing(Region::Sg, &response(Outcome::Upheld, &[]), &[]);
        assert_eq!(codes(&got), ["fidrec-referral", "fidrec-six-month-limit"]);
        let dsr = vec!["data-subject-request".to_owned()];
        let got = missing(
            Region::Eu,
            &response(Outcome::NotUpheld, &["adr-body", "reasons"]),
            &dsr,
        );
        assert_eq!(
            codes(&got),
            ["supervisory-authority-complaint", "judicial-remedy"]
        );
        let got = missing(Region::Us, &response(Outcome::Upheld, &[]), &[]);
        assert_eq!(codes(&got), ["response-category"]);
        let mut monetary = response(Outcome::Upheld, &[]);
        monetary.response_category = Some(ResponseCategory::ClosedWithMonetaryRelief);
        assert_eq!(
            codes(&missing(Region::Us, &monetary, &[])),
            ["monetary-relief-amount"]
        );
        monetary.redress = Some((2500, "USD".into()));
        assert!(missing(Region::Us, &monetary, &[]).is_empty());
    }
}
