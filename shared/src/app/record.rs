//! Records as read from the store: the decoded value with the version to write it back on,
//! and the one way a stored JSON body is read back.

use serde::de::DeserializeOwned;

use super::AppError;
use crate::ports::{Record, StoreError};

/// A value as stored, with the version a conditional write of its change must name.
#[derive(Clone, Debug)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// Reads a stored record's body as `T`. A body that does not read is the store's fault (a
/// record written by another version of the code), named by `what` and the record's key.
pub fn decode<T: DeserializeOwned>(what: &str, record: &Record) -> Result<T, AppError> {
    serde_json::from_str(&record.item.body).map_err(|e| {
        let key = &record.item.key;
        AppError::Store(StoreError::Backend(format!(
            "stored {what} {}/{}: {e}",
            key.pk, key.sk
        )))
    })
}

/// [`decode`], keeping the record's version.
pub fn decode_versioned<T: DeserializeOwned>(
    what: &str,
    record: &Record,
) -> Result<Versioned<T>, AppError> {
    Ok(Versioned {
        value: decode(what, record)?,
        version: record.version,
    })
}
