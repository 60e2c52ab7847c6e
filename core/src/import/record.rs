//! One CFPB complaint as read from any export shape, and its checks before storage.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::dates;
use crate::domain::{Channel, ResponseCategory, Status};
use crate::service::{TAG_MAX, TAGS_MAX, validate};

/// The columns of a CFPB export, whatever the header calls them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    DateReceived,
    Product,
    SubProduct,
    Issue,
    SubIssue,
    Narrative,
    CompanyPublicResponse,
    Company,
    State,
    ZipCode,
    Tags,
    Consent,
    SubmittedVia,
    DateSent,
    CompanyResponse,
    Timely,
    Disputed,
    ComplaintId,
    EventTag,
}

impl Field {
    /// Public export headers (v1 and v2), intake headers and NDJSON keys.
    pub fn from_name(name: &str) -> Option<Self> {
        use Field::*;
        Some(match name.trim().trim_start_matches('\u{feff}') {
            "Date received" | "date_received" => DateReceived,
            "Product" | "product" => Product,
            "Sub-product" | "sub_product" => SubProduct,
            "Issue" | "issue" => Issue,
            "Sub-issue" | "sub_issue" => SubIssue,
            "Consumer complaint narrative"
            | "consumer_complaint_narrative"
            | "consumer_narrative"
            | "complaint_what_happened" => Narrative,
            "Company public response" | "company_public_response" => CompanyPublicResponse,
            "Company" | "company" => Company,
            "State" | "state" => State,
            "ZIP code" | "zip_code" => ZipCode,
            "Tags" | "tags" | "tag" => Tags,
            "Consumer consent provided?" | "consent_status" | "consumer_consent_provided" => {
                Consent
            }
            "Submitted via" | "submitted_via" => SubmittedVia,
            "Date sent to company" | "date_sent_to_company" => DateSent,
            "Company response to consumer"
            | "company_response_to_consumer"
            | "company_response" => CompanyResponse,
            "Timely response?" | "timely_response" | "timely" => Timely,
            "Consumer disputed?" | "consumer_disputed" => Disputed,
            "Complaint ID" | "public_id" | "complaint_id" => ComplaintId,
            "Event tag" | "event_tag" => EventTag,
            _ => return None,
        })
    }

    /// The name the official public export gives the column, for messages.
    pub fn public_name(self) -> &'static str {
        use Field::*;
        match self {
            DateReceived => "Date received",
            Product => "Product",
            SubProduct => "Sub-product",
            Issue => "Issue",
            SubIssue => "Sub-issue",
            Narrative => "Consumer complaint narrative",
            CompanyPublicResponse => "Company public response",
            Company => "Company",
            State => "State",
            ZipCode => "ZIP code",
            Tags => "Tags",
            Consent => "Consumer consent provided?",
            SubmittedVia => "Submitted via",
            DateSent => "Date sent to company",
            CompanyResponse => "Company response to consumer",
            Timely => "Timely response?",
            Disputed => "Consumer disputed?",
            ComplaintId => "Complaint ID",
            EventTag => "Event tag",
        }
    }

    /// Columns without which a row cannot become a complaint.
    pub const REQUIRED: [Field; 4] = [
        Field::ComplaintId,
        Field::DateReceived,
        Field::Product,
        Field::Issue,
    ];
}

/// A row's values by field, blanks and the literal `None` already dropped.
#[derive(Debug, Default)]
pub struct Record {
    values: HashMap<Field, String>,
}

impl Record {
    pub fn set(&mut self, field: Field, value: &str) {
        let value = value.trim();
        if !value.is_empty() && value != "None" && value != "null" {
            self.values.insert(field, value.to_owned());
        }
    }

    fn get(&self, field: Field) -> Option<&str> {
        self.values.get(&field).map(String::as_str)
    }
}

/// A row ready to store.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub external_id: String,
    pub status: Status,
    pub channel: Channel,
    pub product: String,
    pub sub_product: Option<String>,
    pub issue: String,
    pub sub_issue: Option<String>,
    pub narrative: Option<String>,
    pub company: Option<String>,
    pub company_public_response: Option<String>,
    pub consumer_state: Option<String>,
    pub consumer_zip: Option<String>,
    pub tags: Vec<String>,
    pub consumer_consent: Option<String>,
    pub received_at: DateTime<Utc>,
    pub sent_to_company_at: Option<DateTime<Utc>>,
    pub due_at: DateTime<Utc>,
    pub response_category: Option<ResponseCategory>,
    pub timely_response: Option<bool>,
    pub consumer_disputed: Option<bool>,
    pub event_tag: Option<String>,
}

const TEXT_MAX: usize = 255;
/// The column's width: five digits, ZIP+4 with its dash, or a masked code.
const ZIP_MAX: usize = 16;

impl Record {
    /// Checks the row and maps CFPB values onto the complaint model, each field against the
    /// limits of its column, so that one bad row is refused alone instead of failing the
    /// batch it would be written in. The reason for a refusal names the column and the
    /// problem, never the value: any cell may hold personal data.
    pub fn into_row(
        self,
        now: DateTime<Utc>,
        response_time: Duration,
    ) -> Result<ImportRow, String> {
        let required = |field: Field| {
            self.get(field)
                .map(str::to_owned)
                .ok_or_else(|| format!("{} is empty", field.public_name()))
        };
        let text = |field: Field, value: Option<&str>, max: usize| {
            validate::optional_text(field.public_name(), value, max).map_err(|e| e.to_string())
        };

        let external_id = required(Field::ComplaintId)?;
        if external_id.len() > 20 || !external_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err("Complaint ID is not a number".into());
        }
        let received_at = date(&self, Field::DateReceived, now)?.ok_or("Date received is empty")?;
        let sent_to_company_at = date(&self, Field::DateSent, now)?;
        let channel = match self.get(Field::SubmittedVia) {
            None => Channel::Web,
            Some(via) => Channel::from_cfpb(via).ok_or("Submitted via is not a known channel")?,
        };
        let response_category = self
            .get(Field::CompanyResponse)
            .map(|r| {
                r.parse::<ResponseCategory>()
                    .map_err(|_| "Company response to consumer is not a CFPB response category")
            })
            .transpose()?;
        let status = match response_category {
            None => Status::Received,
            Some(c) if c.is_open() => Status::InProgress,
            // Untimely responses and every "Closed ..." category end the CFPB's handling.
            Some(_) => Status::Closed,
        };
        let product = text(Field::Product, Some(&required(Field::Product)?), TEXT_MAX)?
            .ok_or("Product is empty")?;
        let issue = text(Field::Issue, Some(&required(Field::Issue)?), TEXT_MAX)?
            .ok_or("Issue is empty")?;

        Ok(ImportRow {
            external_id,
            status,
            channel,
            product,
            issue,
            sub_product: text(Field::SubProduct, self.get(Field::SubProduct), TEXT_MAX)?,
            sub_issue: text(Field::SubIssue, self.get(Field::SubIssue), TEXT_MAX)?,
            narrative: text(
                Field::Narrative,
                self.get(Field::Narrative),
                crate::service::NARRATIVE_MAX,
            )?,
            company: text(Field::Company, self.get(Field::Company), TEXT_MAX)?,
            company_public_response: text(
                Field::CompanyPublicResponse,
                self.get(Field::CompanyPublicResponse),
                2_000,
            )?,
            consumer_state: text(Field::State, self.get(Field::State), 8)?,
            consumer_zip: text(
                Field::ZipCode,
                self.get(Field::ZipCode).map(restore_zip).as_deref(),
                ZIP_MAX,
            )?,
            tags: tags(self.get(Field::Tags))?,
            consumer_consent: text(Field::Consent, self.get(Field::Consent), 64)?,
            due_at: sent_to_company_at.unwrap_or(received_at) + response_time,
            received_at,
            sent_to_company_at,
            response_category,
            timely_response: self.get(Field::Timely).and_then(yes_no),
            consumer_disputed: self.get(Field::Disputed).and_then(yes_no),
            event_tag: text(Field::EventTag, self.get(Field::EventTag), 64)?,
        })
    }
}

/// A date column: readable, not in the future, and not before the first day Redress keeps.
fn date(
    record: &Record,
    field: Field,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, String> {
    let Some(value) = record.get(field) else {
        return Ok(None);
    };
    let name = field.public_name();
    let at = dates::parse(value).ok_or_else(|| format!("{name} is not a date"))?;
    if at > now {
        return Err(format!("{name} lies in the future"));
    }
    validate::not_before_first_day(name, at).map_err(|e| e.to_string())?;
    Ok(Some(at))
}

/// `Older American, Servicemember`: each tag checked as the API checks a filed one.
fn tags(value: Option<&str>) -> Result<Vec<String>, String> {
    let tags: Vec<&str> = value
        .map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if tags.len() > TAGS_MAX {
        return Err(format!("Tags holds more than {TAGS_MAX} tags"));
    }
    tags.into_iter()
        .map(|t| validate::required_text("Tags", t, TAG_MAX).map_err(|e| e.to_string()))
        .collect()
}

fn yes_no(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

/// Spreadsheets read ZIP codes as numbers and drop their leading zeros: `2134` was `02134`.
/// Redacted ZIPs (`335XX`) and ZIP+4 codes are kept as they are.
fn restore_zip(zip: &str) -> String {
    if (3..5).contains(&zip.len()) && zip.bytes().all(|b| b.is_ascii_digit()) {
        format!("{zip:0>5}")
    } else {
        zip.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(pairs: &[(Field, &str)]) -> Record {
        let mut r = Record::default();
        for (f, v) in pairs {
            r.set(*f, v);
        }
        r
    }

    #[test]
    fn every_name_a_narrative_column_goes_by_is_read_as_the_narrative() {
        for name in [
            "Consumer complaint narrative",
            "consumer_complaint_narrative",
            "consumer_narrative",
            "complaint_what_happened",
        ] {
            assert_eq!(Field::from_name(name), Some(Field::Narrative), "{name}");
        }
    }

    fn minimal() -> Vec<(Field, &'static str)> {
        vec![
            (Field::ComplaintId, "3571115"),
            (Field::DateReceived, "2020/3/18"),
            (Field::Product, "Debt collection"),
            (Field::Issue, "Attempts to collect debt not owed"),
        ]
    }

    #[test]
    fn restores_zip_codes_that_lost_leading_zeros() {
        assert_eq!(restore_zip("2134"), "02134");
        assert_eq!(restore_zip("601"), "00601");
        assert_eq!(restore_zip("335XX"), "335XX");
        assert_eq!(restore_zip("15206"), "15206");
    }

    #[test]
    fn literal_none_is_empty() {
        let mut fields = minimal();
        fields.push((Field::Tags, "None"));
        fields.push((Field::SubIssue, "None"));
        let row = record(&fields)
            .into_row(Utc::now(), Duration::days(15))
            .unwrap();
        assert!(row.tags.is_empty());
        assert_eq!(row.sub_issue, None);
    }

    #[test]
    fn maps_cfpb_responses_onto_the_lifecycle() {
        for (response, status) in [
            ("In progress", Status::InProgress),
            ("Closed with explanation", Status::Closed),
            ("Untimely response", Status::Closed),
        ] {
            let mut fields = minimal();
            fields.push((Field::CompanyResponse, response));
            let row = record(&fields)
                .into_row(Utc::now(), Duration::days(15))
                .unwrap();
            assert_eq!(row.status, status, "{response}");
        }
    }

    #[test]
    fn reasons_never_quote_the_cell() {
        let secret = "Jane Q Customer 4111111111111111";
        for field in [
            Field::ComplaintId,
            Field::DateReceived,
            Field::DateSent,
            Field::SubmittedVia,
            Field::CompanyResponse,
        ] {
            let mut fields = minimal();
            fields.retain(|(f, _)| *f != field);
            fields.push((field, secret));
            let reason = record(&fields)
                .into_row(Utc::now(), Duration::days(15))
                .unwrap_err();
            assert!(reason.contains(field.public_name()), "{reason}");
            assert!(!reason.contains("Jane"), "{reason}");
            assert!(!reason.contains("4111"), "{reason}");
        }
    }

    #[test]
    fn fields_over_their_column_or_with_nul_are_refused() {
        for (field, value, expected) in [
            (Field::ZipCode, "12345-6789-01234-5", "ZIP code"),
            (Field::ZipCode, "021\0", "ZIP code"),
            (Field::Tags, "Older American, Service\0member", "Tags"),
            (Field::State, "Massachusetts", "State"),
            (Field::Company, "Bank\0of Nowhere", "Company"),
            (Field::DateReceived, "1969-12-31", "Date received"),
            (Field::DateSent, "0999-01-01", "Date sent to company"),
        ] {
            let mut fields = minimal();
            fields.retain(|(f, _)| *f != field);
            fields.push((field, value));
            let reason = record(&fields)
                .into_row(Utc::now(), Duration::days(15))
                .unwrap_err();
            assert!(reason.starts_with(expected), "{value:?}: {reason}");
        }
        let mut long_tag = minimal();
        let tag = "t".repeat(65);
        long_tag.push((Field::Tags, &tag));
        assert!(
            record(&long_tag)
                .into_row(Utc::now(), Duration::days(15))
                .is_err()
        );
    }

    #[test]
    fn refuses_future_dates_unknown_channels_and_missing_ids() {
        let mut future = minimal();
        future[1] = (Field::DateReceived, "2099-09-09T12:00:00-05:00");
        assert!(
            record(&future)
                .into_row(Utc::now(), Duration::days(15))
                .unwrap_err()
                .contains("future")
        );

        let mut channel = minimal();
        channel.push((Field::SubmittedVia, "Carrier pigeon"));
        assert!(
            record(&channel)
                .into_row(Utc::now(), Duration::days(15))
                .unwrap_err()
                .contains("Submitted via")
        );

        let no_id = &minimal()[1..];
        assert!(
            record(no_id)
                .into_row(Utc::now(), Duration::days(15))
                .unwrap_err()
                .contains("Complaint ID")
        );
    }
}
