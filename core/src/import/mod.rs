//! `redress import`: loads CFPB exports (the 18-column CSV, the 19-column v2 CSV with
//! `Event tag`, their intake-header variants, and NDJSON) into the store.
//!
//! It streams: rows are read and written in batches, so memory does not grow with the file.
//! Re-importing a file changes nothing, because the CFPB Complaint ID is kept as the
//! complaint's external id. A row that cannot be read is reported with its line number and
//! skipped; the rest goes on.

mod dates;
mod record;
mod writer;

use std::io::{BufRead, BufReader, Read};

use chrono::{Duration, Utc};
use sea_orm::DbErr;

use crate::service::Complaints;

pub use record::{Field, ImportRow, Record};

/// Rows written per transaction.
const BATCH: usize = 300;
/// Rejections kept for the report; more are only counted.
const REJECTIONS_KEPT: usize = 1_000;

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Line in the file where the row starts (1 is the header in a CSV).
    pub line: u64,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub imported: u64,
    pub already_present: u64,
    pub rejected: u64,
    /// The first rejections, in file order.
    pub rejections: Vec<Rejection>,
}

/// Why a whole file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot read the CSV header: {0}")]
    Header(csv::Error),
    #[error("the file lacks the column(s) {0}; is it a CFPB complaints export?")]
    MissingColumns(String),
    #[error("the file is empty")]
    Empty,
    #[error("storage failure")]
    Database(#[from] DbErr),
}

/// Progress as bytes of input consumed, for a progress bar.
pub trait Progress {
    fn advance_to(&self, bytes: u64);
}

impl Progress for indicatif::ProgressBar {
    fn advance_to(&self, bytes: u64) {
        self.set_position(bytes);
    }
}

/// Nothing to show.
pub struct Silent;

impl Progress for Silent {
    fn advance_to(&self, _: u64) {}
}

/// Imports an export from any reader; the shape is recognised from its first byte. The
/// complaints go to `complaints`' default institution, region US (the CFPB's), with their
/// narratives encrypted under the service's keys.
///
/// # Errors
/// The input cannot be read at all, lacks the required columns, or the store fails.
/// Unreadable rows are not errors: they are counted in [`ImportSummary::rejections`].
pub async fn import(
    complaints: &Complaints,
    input: impl Read,
    response_time: Duration,
    progress: &impl Progress,
) -> Result<ImportSummary, ImportError> {
    let mut input = BufReader::with_capacity(256 * 1024, input);
    let first = input
        .fill_buf()?
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF)
        .ok_or(ImportError::Empty)?;
    let mut batch = writer::Batch::new(complaints, response_time, Utc::now());
    if first == b'{' {
        read_ndjson(input, &mut batch, progress).await?;
    } else {
        read_csv(input, &mut batch, progress).await?;
    }
    batch.finish().await
}

async fn read_csv(
    input: impl Read,
    batch: &mut writer::Batch<'_>,
    progress: &impl Progress,
) -> Result<(), ImportError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let header = reader.byte_headers().map_err(ImportError::Header)?.clone();
    let fields: Vec<Option<Field>> = header
        .iter()
        .map(|h| std::str::from_utf8(h).ok().and_then(Field::from_name))
        .collect();
    let missing: Vec<&str> = Field::REQUIRED
        .iter()
        .filter(|f| !fields.contains(&Some(**f)))
        .map(|f| f.public_name())
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns(missing.join(", ")));
    }

    let mut row = csv::ByteRecord::new();
    // The line a record starts on, counted as an editor shows it: quoted line breaks inside
    // a narrative move the following records down.
    let mut next_line = 2u64;
    loop {
        let line = next_line;
        match reader.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(ImportError::Io(std::io::Error::other("read failed")));
                }
                batch.reject(line, format!("unreadable CSV row: {}", csv_reason(&e)));
                next_line += 1;
                continue;
            }
        }
        next_line += 1 + row
            .iter()
            .map(|f| f.iter().filter(|b| **b == b'\n').count() as u64)
            .sum::<u64>();
        if row.len() != header.len() {
            batch.reject(
                line,
                format!("expected {} fields, found {}", header.len(), row.len()),
            );
            continue;
        }
        let mut record = Record::default();
        let mut bad_utf8 = None;
        for (field, value) in fields.iter().zip(row.iter()) {
            let Some(field) = field else { continue };
            match std::str::from_utf8(value) {
                Ok(text) => record.set(*field, text),
                Err(_) => bad_utf8 = Some(*field),
            }
        }
        if let Some(field) = bad_utf8 {
            batch.reject(line, format!("{} is not valid UTF-8", field.public_name()));
            continue;
        }
        batch.push(line, record).await?;
        if batch.is_flushed() {
            progress.advance_to(reader.position().byte());
        }
    }
    progress.advance_to(reader.position().byte());
    Ok(())
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("expected {expected_len} fields, found {len}")
        }
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
        _ => "malformed quoting".into(),
    }
}

async fn read_ndjson(
    mut input: impl BufRead,
    batch: &mut writer::Batch<'_>,
    progress: &impl Progress,
) -> Result<(), ImportError> {
    let mut line = Vec::new();
    let (mut number, mut bytes) = (0u64, 0u64);
    loop {
        line.clear();
        let read = input.read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        number += 1;
        bytes += read as u64;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match ndjson_record(&line) {
            Ok(record) => batch.push(number, record).await?,
            Err(reason) => batch.reject(number, reason),
        }
        if batch.is_flushed() {
            progress.advance_to(bytes);
        }
    }
    progress.advance_to(bytes);
    Ok(())
}

/// One NDJSON line: a flat object, or the search-index shape with the complaint in `_source`.
fn ndjson_record(line: &[u8]) -> Result<Record, String> {
    let value: serde_json::Value = serde_json::from_slice(line).map_err(|e| {
        if std::str::from_utf8(line).is_err() {
            "not valid UTF-8".to_owned()
        } else {
            format!("not a JSON object ({})", json_error_kind(&e))
        }
    })?;
    let object = value
        .get("_source")
        .unwrap_or(&value)
        .as_object()
        .ok_or("not a JSON object")?;
    let mut record = Record::default();
    for (key, value) in object {
        let Some(field) = Field::from_name(key) else {
            continue;
        };
        match value {
            serde_json::Value::String(s) => record.set(field, s),
            serde_json::Value::Number(n) => record.set(field, &n.to_string()),
            serde_json::Value::Bool(b) => record.set(field, if *b { "Yes" } else { "No" }),
            serde_json::Value::Array(items) => {
                let joined: Vec<&str> = items.iter().filter_map(|v| v.as_str()).collect();
                record.set(field, &joined.join(","));
            }
            _ => {}
        }
    }
    Ok(record)
}

fn json_error_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected value",
        serde_json::error::Category::Eof => "cut short",
    }
}
