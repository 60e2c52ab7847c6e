//! Reading request bodies and query strings so that every failure names the field at fault
//! and none repeats what was sent.
//!
//! One rule decides the status: what cannot be read at all (a body that is not JSON, not
//! an object or not UTF-8; a query string that does not decode to UTF-8 text) answers 400;
//! what reads but does not fit a field (a wrong type, an unknown value, a missing or unknown
//! field, a number out of range) answers 422, like every rule the service layer applies.
//!
//! serde's own messages quote the value at fault (`unknown variant `Jane Doe``), and the
//! value may be personal data. So no message of theirs reaches the client as it stands:
//! [`explain`] rebuilds it from what serde expected, which comes from our own types, and
//! drops anything it does not recognise.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::http::header;
use serde::de::{DeserializeOwned, IgnoredAny};

use super::error::ApiError;

/// Parses a JSON body: checks the media type, UTF-8 and syntax (400), then the fields
/// (422), reporting the JSON path of the first that does not fit.
pub fn json<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !(essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
            None,
        ));
    }
    if let Err(e) = std::str::from_utf8(body) {
        return Err(ApiError::bad_request(
            "invalid_utf8",
            format!("the body is not valid UTF-8 (byte {})", e.valid_up_to()),
            None,
        ));
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::bad_request(
            "invalid_json",
            "the body must be a JSON object",
            None,
        ));
    }
    // Syntax first, read without any field's type: only the JSON grammar can fail here
    // (numbers are not converted, escapes not decoded).
    if let Err(syntax) = serde_json::from_slice::<IgnoredAny>(body) {
        // The typed reading names the field it was in when the text broke off.
        let mut de = serde_json::Deserializer::from_slice(body);
        let field = match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) if e.inner().is_syntax() || e.inner().is_eof() => {
                path_field(&e.path().to_string())
            }
            _ => None,
        };
        return Err(ApiError::bad_request(
            "invalid_json",
            syntax_message(&syntax),
            field,
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = Where::of(e.path());
        let text = serde_text(&e.into_inner());
        if text == "recursion limit exceeded" {
            return ApiError::bad_request(
                "invalid_json",
                "the body is nested too deeply to read",
                None,
            );
        }
        explain(&at, &text, None).into_error()
    })
}

/// Parses a query string into `T`, naming the parameter at fault.
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    query_str(req.query_string())
}

/// [`query`] over a query string given as text.
pub fn query_str<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = query_pairs(query, fields_of::<T>())?;
    from_pairs(&pairs)
}

/// Decodes a query string into its pairs. A name or value that is not UTF-8 text once
/// percent-decoded cannot be read (400); a name `known` does not list is refused (422)
/// without repeating it.
pub fn query_pairs(query: &str, known: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let decode = |part: &str| {
        let spaced = part.replace('+', " ");
        String::from_utf8(percent_encoding::percent_decode_str(&spaced).collect())
    };
    let mut pairs = Vec::new();
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let Ok(name) = decode(name) else {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                "a parameter name is not UTF-8 text once percent-decoded",
                None,
            ));
        };
        if !known.contains(&name.as_str()) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_parameter",
                format!(
                    "unknown query parameter; this route takes {}",
                    names(known.iter().copied())
                ),
                None,
            ));
        }
        let Ok(value) = decode(value) else {
            return Err(ApiError::bad_request(
                "invalid_parameter",
                format!("{name} is not UTF-8 text once percent-decoded"),
                Some(name),
            ));
        };
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Reads `T` from decoded query pairs.
pub fn from_pairs<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, ApiError> {
    // Encoded again, now known to be UTF-8, for serde_urlencoded to read back losslessly.
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = Where::of(e.path());
        let raw = pairs
            .iter()
            .find(|(name, _)| *name == at.full)
            .map(|(_, value)| value.as_str());
        explain(&at, &e.into_inner().to_string(), raw).into_error()
    })
}

/// The field names `T` reads, as serde's derive lists them.
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(FieldNames(&mut fields));
    fields
}

/// A deserializer that only learns the field names of the struct asked of it.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> serde::Deserializer<'de> for FieldNames<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(serde::de::Error::custom("names read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// A field that does not fit, as the client will see it.
#[derive(Debug, PartialEq, Eq)]
struct Misfit {
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl Misfit {
    fn into_error(self) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            self.code,
            self.message,
            self.field,
        )
    }
}

/// serde's text without serde_json's trailing position.
fn serde_text(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rsplit_once(" at line ") {
        Some((head, _)) if e.line() > 0 => head.to_owned(),
        _ => text,
    }
}

/// What serde_json says about broken syntax: fixed texts that never hold the input.
fn syntax_message(e: &serde_json::Error) -> String {
    let text = serde_text(e);
    let known = [
        "EOF while parsing",
        "expected",
        "key must be a string",
        "trailing comma",
        "trailing characters",
        "control character",
        "invalid escape",
        "invalid number",
        "invalid unicode code point",
        "lone leading surrogate",
        "unexpected end of hex escape",
    ];
    if known.iter().any(|k| text.starts_with(k)) && !text.contains('"') {
        format!("the body is not valid JSON: {text}")
    } else {
        "the body is not valid JSON".to_owned()
    }
}

/// Where in the input serde stopped: the whole path, the path of the enclosing object, and
/// the last step (a field name, or an index in brackets).
#[derive(Debug)]
struct Where {
    full: String,
    parent: String,
    last: Option<String>,
}

impl Where {
    fn of(path: &serde_path_to_error::Path) -> Self {
        let segments: Vec<&serde_path_to_error::Segment> = path.iter().collect();
        let show = |segments: &[&serde_path_to_error::Segment]| {
            let mut text = String::new();
            for (i, segment) in segments.iter().enumerate() {
                if i > 0 && !matches!(segment, serde_path_to_error::Segment::Seq { .. }) {
                    text.push('.');
                }
                text.push_str(&segment.to_string());
            }
            if text.is_empty() {
                ".".to_owned()
            } else {
                text
            }
        };
        Where {
            full: show(&segments),
            parent: show(&segments[..segments.len().saturating_sub(1)]),
            last: segments.last().map(ToString::to_string),
        }
    }
}

/// The field a serde_path_to_error path names, if any (`.` is the whole body).
fn path_field(path: &str) -> Option<String> {
    (path != "." && path != "?" && !path.is_empty()).then(|| path.to_owned())
}

/// `path.name`, or `name` at the top.
fn join(path: &str, name: &str) -> String {
    match path_field(path) {
        Some(parent) => format!("{parent}.{name}"),
        None => name.to_owned(),
    }
}

/// serde's expectation after its last `, expected `: written by our types, never the input
/// (taken from the right, so a value holding those words cannot pass for it).
fn expectation(text: &str) -> Option<&str> {
    text.rsplit_once(", expected ").map(|(_, e)| e)
}

/// Texts of parsers below serde that hold no input: kept as they are.
const PLAIN_TEXTS: [&str; 12] = [
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "input is out of range",
    "no possible date and time matching input",
    "input is not enough for unique date and time",
    "bad or unsupported format string",
    "invalid float literal",
    "cannot parse integer from empty string",
    "invalid digit found in string",
    "number too large to fit in target type",
    "number too small to fit in target type",
];

/// Turns serde's text about the field at `path` into a code and a message that name the
/// field and what it takes, never the value. `raw` is the value as sent, for a query
/// parameter: a whole number that did not fit its type is out of range.
fn explain(place: &Where, text: &str, raw: Option<&str>) -> Misfit {
    let path = place.full.as_str();
    let at = |code, message: String| Misfit {
        code,
        message,
        field: path_field(path),
    };
    let here = path_field(path).unwrap_or_else(|| "the value".to_owned());
    // A field's own name, as serde gives it for a missing or repeated field: one of ours.
    let named = |name: &str| {
        if place.last.as_deref() == Some(name) {
            path.to_owned()
        } else {
            join(path, name)
        }
    };
    if let Some(rest) = text.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = named(name);
        return Misfit {
            code: "required",
            message: format!("{field} is required"),
            field: Some(field),
        };
    }
    if let Some(rest) = text.strip_prefix("duplicate field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = named(name);
        return Misfit {
            code: "duplicate_field",
            message: format!("{field} is given twice"),
            field: Some(field),
        };
    }
    // serde's "there are no fields / variants" carries no expectation of its own.
    let none_taken =
        text.ends_with("there are no fields") || text.ends_with("there are no variants");
    let taken = expectation(text)
        .filter(|_| !none_taken)
        .map(|e| e.strip_prefix("one of ").unwrap_or(e));
    if text.starts_with("unknown field `") {
        // The name is the client's own text, and the path ends with it: the error names
        // the object that holds it and lists what that object takes instead.
        let holder = match &place.last {
            Some(last) if text.starts_with(&format!("unknown field `{last}`")) => {
                path_field(&place.parent)
            }
            _ => path_field(path),
        };
        let within = holder.clone().unwrap_or_else(|| "the body".to_owned());
        let takes = taken.unwrap_or("no fields");
        return Misfit {
            code: "unknown_field",
            message: format!("unknown field; {within} takes {takes}"),
            field: holder,
        };
    }
    if text.starts_with("unknown variant `") {
        let message = match taken {
            Some(list) => format!("{here} must be one of {list}"),
            None => format!("{here} takes no value"),
        };
        return at("invalid_value", message);
    }
    if text.starts_with("invalid type: ") {
        let expected = expectation(text).unwrap_or("another type");
        return at(
            "invalid_value",
            format!("{here} has the wrong type: expected {expected}"),
        );
    }
    if text.starts_with("invalid value: ") {
        let expected = expectation(text).unwrap_or("another value");
        return at(
            "invalid_value",
            format!("{here} is not valid: expected {expected}"),
        );
    }
    if text.starts_with("invalid length ") {
        let expected = expectation(text).unwrap_or("another length");
        return at(
            "invalid_value",
            format!("{here} has the wrong number of items: expected {expected}"),
        );
    }
    let whole_number = raw.is_some_and(|r| {
        let digits = r.strip_prefix(['-', '+']).unwrap_or(r);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    });
    if text == "number out of range"
        || text.starts_with("number too ")
        || (whole_number && text == "invalid digit found in string")
    {
        return at("out_of_range", format!("{here} is out of range"));
    }
    if text == "expected value" || text.starts_with("expected ") {
        // The grammar held (it was checked first): a value of a kind this field cannot
        // take, such as a number where a name from a list belongs.
        return at(
            "invalid_value",
            format!("{here} has the wrong type for this field"),
        );
    }
    if text.starts_with("lone leading surrogate")
        || text.starts_with("unexpected end of hex escape")
        || text.starts_with("invalid unicode code point")
    {
        return at(
            "invalid_value",
            format!("{here} holds a \\u escape that is no Unicode character"),
        );
    }
    if text == "provided string was not `true` or `false`" {
        return at("invalid_value", format!("{here} must be true or false"));
    }
    if PLAIN_TEXTS.contains(&text) {
        return at("invalid_value", format!("{here} is not valid: {text}"));
    }
    at("invalid_value", format!("{here} is not valid"))
}

/// `a`, `b` and `c`, for messages.
fn names<'a>(list: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = list.map(|n| format!("`{n}`")).collect();
    match quoted.len() {
        0 => "no parameters".to_owned(),
        _ => quoted.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Channel;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Probe {
        channel: Channel,
        limit: Option<u64>,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn json_error(body: &str) -> Misfit {
        let mut de = serde_json::Deserializer::from_str(body);
        let e = serde_path_to_error::deserialize::<_, Probe>(&mut de).unwrap_err();
        let place = Where::of(e.path());
        explain(&place, &serde_text(&e.into_inner()), None)
    }

    #[test]
    fn names_the_field_and_the_choices_never_the_value() {
        let unknown = json_error(r#"{"channel": "Jane Doe jane@example.com"}"#);
        assert_eq!(unknown.field.as_deref(), Some("channel"));
        assert_eq!(unknown.code, "invalid_value");
        assert!(unknown.message.contains("`web`"), "{}", unknown.message);
        assert!(!unknown.message.contains("Jane"), "{}", unknown.message);

        // A value written to look like serde's own words is still not repeated.
        let forged = json_error(r#"{"channel": "x`, expected one of `Jane Doe"}"#);
        assert!(!forged.message.contains("Jane"), "{}", forged.message);

        let field = json_error(r#"{"channel": "web", "Jane Doe": 1}"#);
        assert_eq!((field.code, field.field), ("unknown_field", None));
        assert!(!field.message.contains("Jane"), "{}", field.message);
        assert!(field.message.contains("`limit`"), "{}", field.message);

        let missing = json_error(r#"{"limit": 5}"#);
        assert_eq!(
            (missing.code, missing.field.as_deref()),
            ("required", Some("channel"))
        );

        let wrong = json_error(r#"{"channel": "web", "limit": "Jane Doe"}"#);
        assert_eq!(
            (wrong.code, wrong.field.as_deref()),
            ("invalid_value", Some("limit"))
        );
        assert!(!wrong.message.contains("Jane"), "{}", wrong.message);

        let huge = json_error(r#"{"channel": "web", "limit": 1e400}"#);
        assert_eq!(
            (huge.code, huge.field.as_deref()),
            ("out_of_range", Some("limit"))
        );

        let surrogate = json_error(r#"{"channel": "web", "tags": ["\ud800"]}"#);
        assert_eq!(surrogate.field.as_deref(), Some("tags[0]"));
        assert!(
            !surrogate.message.contains("ud800"),
            "{}",
            surrogate.message
        );

        let enum_number = json_error(r#"{"channel": 5}"#);
        assert_eq!(
            (enum_number.code, enum_number.field.as_deref()),
            ("invalid_value", Some("channel"))
        );
    }

    #[test]
    fn query_values_that_are_whole_numbers_but_do_not_fit_are_out_of_range() {
        let pairs = |q: &str| query_pairs(q, fields_of::<Probe>()).unwrap();
        let err = from_pairs::<Probe>(&pairs("channel=web&limit=-1")).unwrap_err();
        assert_eq!(
            (err.status.as_u16(), err.code.as_str(), err.field.as_deref()),
            (422, "out_of_range", Some("limit"))
        );
        let err = from_pairs::<Probe>(&pairs("channel=web&limit=lots")).unwrap_err();
        assert_eq!(
            (err.status.as_u16(), err.code.as_str(), err.field.as_deref()),
            (422, "invalid_value", Some("limit"))
        );
        let err = query_pairs("channel=%FF", fields_of::<Probe>()).unwrap_err();
        assert_eq!(
            (err.status.as_u16(), err.field.as_deref()),
            (400, Some("channel"))
        );
        let err = query_pairs("Jane%20Doe=1", fields_of::<Probe>()).unwrap_err();
        assert_eq!((err.status.as_u16(), err.field.as_deref()), (422, None));
        assert!(!err.message.contains("Jane"), "{}", err.message);
        assert_eq!(fields_of::<Probe>(), ["channel", "limit", "tags"]);
    }
}
