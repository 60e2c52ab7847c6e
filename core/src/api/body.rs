//! Reading request bodies and query strings so that every failure names the field at fault.

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Parses a JSON body: checks the media type, UTF-8, syntax and types, and reports the JSON
/// path of the first field that does not fit.
pub fn json<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !(essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
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
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let code = match inner.classify() {
            serde_json::error::Category::Data => "invalid_value",
            _ => "invalid_json",
        };
        let message = describe(&inner);
        ApiError::bad_request(code, message.clone(), field_of(&path, &message))
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request("invalid_json", describe(&e), None))?;
    Ok(value)
}

/// Parses a query string the same way, naming the parameter at fault.
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    query_str(req.query_string())
}

/// [`query`] over a query string already taken apart.
pub fn query_str<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = url::form_urlencoded::parse(query.as_bytes());
    let de = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let field = field_of(&path, &message);
        ApiError::bad_request("invalid_parameter", message, field)
    })
}

/// serde_json's message without the line and column of a one-line body, and never the
/// offending value itself (it may be personal data).
fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.split(" at line ").next().unwrap_or(&text);
    if let Some(rest) = text.strip_prefix("unknown variant `") {
        let expected = rest.split_once(", expected").map_or("", |(_, e)| e);
        return format!("unknown value, expected{expected}");
    }
    match text.split_once(": ") {
        Some((kind, _))
            if text.starts_with("invalid type") || text.starts_with("invalid value") =>
        {
            text.split_once(", expected").map_or_else(
                || kind.to_owned(),
                |(_, expected)| format!("wrong type, expected{expected}"),
            )
        }
        _ => text.to_owned(),
    }
}

/// The path of the field at fault. For a missing or unknown field serde reports the enclosing
/// object, so the field's own name is taken from the message.
fn field_of(path: &str, message: &str) -> Option<String> {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        ("." | "?", None) => None,
        (".", Some(name)) => Some(name.to_owned()),
        (path, Some(name)) if !path.ends_with(name) => Some(format!("{path}.{name}")),
        (path, _) => Some(path.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_missing_and_unknown_fields() {
        assert_eq!(
            field_of(".", "missing field `product`").as_deref(),
            Some("product")
        );
        assert_eq!(
            field_of("customer", "unknown field `nickname`, expected one of").as_deref(),
            Some("customer.nickname")
        );
        assert_eq!(
            field_of("channel", "unknown variant").as_deref(),
            Some("channel")
        );
        assert_eq!(field_of(".", "expected value"), None);
    }

    #[test]
    fn never_echoes_the_value() {
        let err = serde_json::from_str::<u32>("\"Jane Doe\"").unwrap_err();
        assert!(!describe(&err).contains("Jane"), "{}", describe(&err));
        let err = serde_json::from_str::<crate::domain::Channel>("\"Jane Doe\"").unwrap_err();
        assert!(!describe(&err).contains("Jane"), "{}", describe(&err));
    }
}
