//! Which journal a run uses: the SQLite file, locked for a run, read only for a dry run (an
//! empty one when a dry run names a file that does not exist yet: a dry run writes nothing).

use ims_core::fleet::{
    DeletionRecord, ItemRecord, Journal, JournalError, RunRecord, SqliteJournal,
};

/// The journal of a dry run on a file that does not exist: no fleet, no run, no write.
struct EmptyJournal;

impl Journal for EmptyJournal {
    fn open_run(&mut self, _fleet: &str, _run: &str) -> Result<Vec<ItemRecord>, JournalError> {
        Ok(Vec::new())
    }

    fn record(&mut self, _run: &str, _record: &ItemRecord) -> Result<(), JournalError> {
        Ok(())
    }

    fn record_deletion(
        &mut self,
        _run: &str,
        _deletion: &DeletionRecord,
    ) -> Result<(), JournalError> {
        Ok(())
    }

    fn fleet(&self) -> Result<Option<String>, JournalError> {
        Ok(None)
    }

    fn runs(&self) -> Result<Vec<RunRecord>, JournalError> {
        Ok(Vec::new())
    }

    fn writes(&self) -> u64 {
        0
    }
}

/// Opens the journal at `path`: locked for a run, read only for a dry run.
pub(crate) fn open(path: &str, dry_run: bool) -> Result<Box<dyn Journal>, JournalError> {
    if !dry_run {
        return Ok(Box::new(SqliteJournal::open(path)?));
    }
    if std::path::Path::new(path).exists() {
        Ok(Box::new(SqliteJournal::open_read_only(path)?))
    } else {
        Ok(Box::new(EmptyJournal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dry_run_on_a_missing_file_creates_nothing() {
        let dir = std::env::temp_dir().join(format!("ims-ffi-journal-{}", std::process::id()));
        let path = dir.join("missing.sqlite");
        let j = open(path.to_str().unwrap_or_default(), true);
        assert!(matches!(j.as_ref().map(|j| j.fleet()), Ok(Ok(None))));
        assert!(!path.exists());
    }
}
