//! What every door does before a run, once: open the journal (locked for a run, read only for
//! a dry run, empty when a dry run names a file that does not exist yet) and choose the fleet's
//! name when none is given.

use std::path::Path;

use super::journal::{DeletionRecord, ItemRecord, Journal, JournalError, RunRecord};
use super::sqlite::SqliteJournal;

/// The journal of a dry run on a file that does not exist yet: no fleet, no run, and every
/// write dropped (a dry run must not create the file).
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyJournal;

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

/// The journal at `path` for a run: [`SqliteJournal::open`] (created if need be, and locked),
/// or for a dry run [`SqliteJournal::open_read_only`] (beside a run that holds it), or
/// [`EmptyJournal`] when that file does not exist or is empty.
pub fn open_journal(path: &Path, dry_run: bool) -> Result<Box<dyn Journal>, JournalError> {
    if !dry_run {
        return Ok(Box::new(SqliteJournal::open(path)?));
    }
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if len > 0 {
        Ok(Box::new(SqliteJournal::open_read_only(path)?))
    } else {
        Ok(Box::new(EmptyJournal))
    }
}

/// The fleet a run belongs to: `given`, else the fleet `journal` records, else the manifest
/// file's name without its extension (`servers.jsonl` → `servers`); `None` when there is none
/// of the three (a manifest given as text, a new journal).
pub fn fleet_name(
    given: Option<&str>,
    journal: &dyn Journal,
    manifest_path: Option<&Path>,
) -> Result<Option<String>, JournalError> {
    if let Some(g) = given {
        return Ok(Some(g.to_owned()));
    }
    if let Some(recorded) = journal.fleet()? {
        return Ok(Some(recorded));
    }
    Ok(manifest_path
        .and_then(Path::file_stem)
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_the_given_one_else_the_journals_else_the_manifests_stem() {
        let empty = EmptyJournal;
        let m = Path::new("/x/web-servers.jsonl");
        let name = |given, manifest| fleet_name(given, &empty, manifest).ok().flatten();
        assert_eq!(name(Some("f"), Some(m)).as_deref(), Some("f"));
        assert_eq!(name(None, Some(m)).as_deref(), Some("web-servers"));
        assert_eq!(name(None, Some(Path::new("db"))).as_deref(), Some("db"));
        assert_eq!(name(None, Some(Path::new("/"))), None);
        assert_eq!(name(None, None), None);
        let dir = std::env::temp_dir().join(format!("ims-setup-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let path = dir.join("j.sqlite");
        {
            let mut j = SqliteJournal::open(&path).unwrap_or_else(|e| panic!("{e}"));
            j.open_run("recorded", "r")
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let j = open_journal(&path, true).unwrap_or_else(|e| panic!("{e}"));
        let got = fleet_name(None, j.as_ref(), Some(m)).ok().flatten();
        assert_eq!(got.as_deref(), Some("recorded"));
    }

    #[test]
    fn a_dry_run_on_a_missing_or_empty_file_creates_nothing() {
        let dir = std::env::temp_dir().join(format!("ims-setup-dry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let missing = dir.join("missing.sqlite");
        let j = open_journal(&missing, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(j.writes(), 0);
        assert!(!missing.exists());
        let empty = dir.join("empty.sqlite");
        std::fs::write(&empty, b"").unwrap_or_else(|e| panic!("{e}"));
        assert!(open_journal(&empty, true).is_ok());
        assert_eq!(std::fs::metadata(&empty).map(|m| m.len()).ok(), Some(0));
    }
}
