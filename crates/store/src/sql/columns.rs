//! A row as the shared readers (`super::rows`) see it.
use crate::StoreError;
use time::OffsetDateTime;
use uuid::Uuid;

/// The typed columns of one result row. Each backend implements it once
/// over its driver's row: how it stores a time (microseconds, `timestamptz`)
/// or an id (text, `uuid`) is its own business; the `_opt` readers give
/// `None` for NULL.
pub trait Columns {
    /// Text borrowed from the row.
    fn str_opt(&self, index: usize) -> Result<Option<&str>, StoreError>;
    fn int_opt(&self, index: usize) -> Result<Option<i64>, StoreError>;
    /// A 32-bit column (a job's attempts and exit code).
    fn int32_opt(&self, index: usize) -> Result<Option<i32>, StoreError>;
    fn time_opt(&self, index: usize) -> Result<Option<OffsetDateTime>, StoreError>;
    fn uuid_opt(&self, index: usize) -> Result<Option<Uuid>, StoreError>;
    fn bytes(&self, index: usize) -> Result<Vec<u8>, StoreError>;

    fn text_opt(&self, index: usize) -> Result<Option<String>, StoreError> {
        Ok(self.str_opt(index)?.map(str::to_owned))
    }

    fn str(&self, index: usize) -> Result<&str, StoreError> {
        present(self.str_opt(index)?, index)
    }

    fn text(&self, index: usize) -> Result<String, StoreError> {
        present(self.text_opt(index)?, index)
    }

    fn int(&self, index: usize) -> Result<i64, StoreError> {
        present(self.int_opt(index)?, index)
    }

    fn int32(&self, index: usize) -> Result<i32, StoreError> {
        present(self.int32_opt(index)?, index)
    }

    fn time(&self, index: usize) -> Result<OffsetDateTime, StoreError> {
        present(self.time_opt(index)?, index)
    }

    fn uuid(&self, index: usize) -> Result<Uuid, StoreError> {
        present(self.uuid_opt(index)?, index)
    }
}

fn present<T>(value: Option<T>, index: usize) -> Result<T, StoreError> {
    value.ok_or_else(|| StoreError::other("reading a row", format!("column {index} is NULL")))
}
