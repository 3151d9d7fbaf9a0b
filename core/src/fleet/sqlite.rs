//! The embedded journal: one SQLite file (rusqlite's bundled library), in WAL mode with
//! `synchronous=FULL`, so that each write is on disk when it returns. The file is locked
//! (`flock`) while a run holds it: a second process is refused, and the lock dies with the
//! process, however it ends.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::journal::{
    DeletionRecord, DeletionState, ItemRecord, ItemState, Journal, JournalError, RunRecord,
};

/// `PRAGMA application_id` of a fleet journal ("IMSF").
pub const APPLICATION_ID: i32 = 0x494d_5346;
/// The schema this build writes and reads.
pub const SCHEMA_VERSION: i32 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (run TEXT PRIMARY KEY, started_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    run TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL,
    job_id TEXT, image_id TEXT, error_code TEXT, error_message TEXT,
    intent_at INTEGER, started_at INTEGER, updated_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL, PRIMARY KEY (run, key));
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, run TEXT NOT NULL, key TEXT NOT NULL,
    state TEXT NOT NULL, job_id TEXT, image_id TEXT, error_code TEXT, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deletions (
    run TEXT NOT NULL, image_id TEXT NOT NULL, key TEXT NOT NULL, created_at TEXT NOT NULL,
    state TEXT NOT NULL, error TEXT, updated_at INTEGER NOT NULL, PRIMARY KEY (run, image_id));
";

/// A fleet journal in a SQLite file.
pub struct SqliteJournal {
    path: PathBuf,
    conn: Connection,
    /// Holds the `flock` while this journal is open for writing.
    _lock: Option<File>,
    writes: u64,
}

impl std::fmt::Debug for SqliteJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteJournal")
            .field("path", &self.path)
            .field("writes", &self.writes)
            .finish_non_exhaustive()
    }
}

impl SqliteJournal {
    /// Opens (creating it if need be) the journal at `path` for a run, and locks it:
    /// [`JournalError::Locked`] when another process holds it, [`JournalError::Corrupt`] when
    /// the file is not a fleet journal.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteJournal, JournalError> {
        let path = path.as_ref().to_path_buf();
        let io = |e: std::io::Error| JournalError::Io {
            path: path.clone(),
            reason: e.to_string(),
        };
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(JournalError::Locked { path }),
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql(&path, e))?;
        let mut journal = SqliteJournal {
            path,
            conn,
            _lock: Some(lock),
            writes: 0,
        };
        journal.prepare_schema()?;
        Ok(journal)
    }

    /// Opens an existing journal to read it (no lock: a run may hold it meanwhile).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<SqliteJournal, JournalError> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(JournalError::Io {
                path,
                reason: "no such file".to_owned(),
            });
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql(&path, e))?;
        let journal = SqliteJournal {
            path,
            conn,
            _lock: None,
            writes: 0,
        };
        journal.check_identity(false)?;
        Ok(journal)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file is a fleet journal (or empty, when `may_be_new`).
    fn check_identity(&self, may_be_new: bool) -> Result<bool, JournalError> {
        let corrupt = |reason: String| JournalError::Corrupt {
            path: self.path.clone(),
            reason,
        };
        let app: i32 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| corrupt(e.to_string()))?;
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| corrupt(e.to_string()))?;
        if app == 0 && tables == 0 && may_be_new {
            return Ok(true);
        }
        if app != APPLICATION_ID {
            return Err(corrupt(format!(
                "a SQLite database of another application (application_id {app:#x})"
            )));
        }
        let version: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE name = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| corrupt(e.to_string()))?;
        match version.as_deref() {
            Some(v) if v == SCHEMA_VERSION.to_string() => Ok(false),
            Some(v) => Err(corrupt(format!(
                "schema version {v}, this build reads {SCHEMA_VERSION}"
            ))),
            None => Err(corrupt("no schema version".to_owned())),
        }
    }

    fn prepare_schema(&mut self) -> Result<(), JournalError> {
        let new = self.check_identity(true)?;
        let path = self.path.clone();
        self.conn
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(|e| sql(&path, e))?;
        if new {
            let tx = self.conn.transaction().map_err(|e| sql(&path, e))?;
            tx.execute_batch(SCHEMA).map_err(|e| sql(&path, e))?;
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('schema', ?1)",
                params![SCHEMA_VERSION.to_string()],
            )
            .map_err(|e| sql(&path, e))?;
            tx.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID};"))
                .map_err(|e| sql(&path, e))?;
            tx.commit().map_err(|e| sql(&path, e))?;
            self.writes += 1;
        }
        Ok(())
    }

    fn items_of(&self, run: &str) -> Result<Vec<ItemRecord>, JournalError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT key, state, job_id, image_id, error_code, error_message, intent_at,
                        started_at, updated_at, attempts
                 FROM items WHERE run = ?1 ORDER BY rowid",
            )
            .map_err(|e| sql(path, e))?;
        let rows = stmt
            .query_map(params![run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    ItemRecord {
                        key: String::new(),
                        state: ItemState::Pending,
                        job_id: r.get(2)?,
                        image_id: r.get(3)?,
                        error_code: r.get(4)?,
                        error_message: r.get(5)?,
                        intent_at: r.get(6)?,
                        started_at: r.get(7)?,
                        updated_at: r.get(8)?,
                        attempts: r.get(9)?,
                    },
                ))
            })
            .map_err(|e| sql(path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (key, state, mut record) = row.map_err(|e| sql(path, e))?;
            record.state = ItemState::parse(&state).ok_or_else(|| JournalError::Corrupt {
                path: path.clone(),
                reason: format!("item {key:?} has an unknown state {state:?}"),
            })?;
            record.key = key;
            out.push(record);
        }
        Ok(out)
    }

    fn deletions_of(&self, run: &str) -> Result<Vec<DeletionRecord>, JournalError> {
        let path = &self.path;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT key, image_id, created_at, state, error, updated_at
                 FROM deletions WHERE run = ?1 ORDER BY rowid",
            )
            .map_err(|e| sql(path, e))?;
        let rows = stmt
            .query_map(params![run], |r| {
                Ok((
                    r.get::<_, String>(3)?,
                    DeletionRecord {
                        key: r.get(0)?,
                        image_id: r.get(1)?,
                        created_at: r.get(2)?,
                        state: DeletionState::Planned,
                        error: r.get(4)?,
                        updated_at: r.get(5)?,
                    },
                ))
            })
            .map_err(|e| sql(path, e))?;
        let mut out = Vec::new();
        for row in rows {
            let (state, mut d) = row.map_err(|e| sql(path, e))?;
            d.state = DeletionState::parse(&state).ok_or_else(|| JournalError::Corrupt {
                path: path.clone(),
                reason: format!(
                    "deletion of {:?} has an unknown state {state:?}",
                    d.image_id
                ),
            })?;
            out.push(d);
        }
        Ok(out)
    }
}

fn sql(path: &Path, e: rusqlite::Error) -> JournalError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => JournalError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => JournalError::Locked {
            path: path.to_path_buf(),
        },
        _ => JournalError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
    }
}

fn now_millis() -> i64 {
    crate::time::now_unix_millis()
}

impl Journal for SqliteJournal {
    fn open_run(&mut self, fleet: &str, run: &str) -> Result<Vec<ItemRecord>, JournalError> {
        let path = self.path.clone();
        match self.fleet()? {
            Some(f) if f != fleet => {
                return Err(JournalError::OtherFleet {
                    path,
                    journal_fleet: f,
                    fleet: fleet.to_owned(),
                });
            }
            Some(_) => {}
            None => {
                self.conn
                    .execute(
                        "INSERT INTO meta (name, value) VALUES ('fleet', ?1)",
                        params![fleet],
                    )
                    .map_err(|e| sql(&path, e))?;
                self.writes += 1;
            }
        }
        let inserted = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO runs (run, started_at) VALUES (?1, ?2)",
                params![run, now_millis()],
            )
            .map_err(|e| sql(&path, e))?;
        if inserted > 0 {
            self.writes += 1;
        }
        self.items_of(run)
    }

    fn record(&mut self, run: &str, r: &ItemRecord) -> Result<(), JournalError> {
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql(&path, e))?;
        tx.execute(
            "INSERT OR REPLACE INTO items (run, key, state, job_id, image_id, error_code,
                 error_message, intent_at, started_at, updated_at, attempts)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                run,
                r.key,
                r.state.as_str(),
                r.job_id,
                r.image_id,
                r.error_code,
                r.error_message,
                r.intent_at,
                r.started_at,
                r.updated_at,
                r.attempts
            ],
        )
        .map_err(|e| sql(&path, e))?;
        tx.execute(
            "INSERT INTO history (run, key, state, job_id, image_id, error_code, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                run,
                r.key,
                r.state.as_str(),
                r.job_id,
                r.image_id,
                r.error_code,
                r.updated_at
            ],
        )
        .map_err(|e| sql(&path, e))?;
        tx.commit().map_err(|e| sql(&path, e))?;
        self.writes += 1;
        Ok(())
    }

    fn record_deletion(&mut self, run: &str, d: &DeletionRecord) -> Result<(), JournalError> {
        let path = self.path.clone();
        self.conn
            .execute(
                "INSERT OR REPLACE INTO deletions (run, image_id, key, created_at, state, error,
                     updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    run,
                    d.image_id,
                    d.key,
                    d.created_at,
                    d.state.as_str(),
                    d.error,
                    d.updated_at
                ],
            )
            .map_err(|e| sql(&path, e))?;
        self.writes += 1;
        Ok(())
    }

    fn fleet(&self) -> Result<Option<String>, JournalError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE name = 'fleet'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| sql(&self.path, e))
    }

    fn runs(&self) -> Result<Vec<RunRecord>, JournalError> {
        let names: Vec<(String, i64)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT run, started_at FROM runs ORDER BY started_at, rowid")
                .map_err(|e| sql(&self.path, e))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| sql(&self.path, e))?;
            rows.collect::<Result<_, _>>()
                .map_err(|e| sql(&self.path, e))?
        };
        names
            .into_iter()
            .map(|(run, started_at)| {
                Ok(RunRecord {
                    items: self.items_of(&run)?,
                    deletions: self.deletions_of(&run)?,
                    run,
                    started_at,
                })
            })
            .collect()
    }

    fn writes(&self) -> u64 {
        self.writes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "ims-journal-{}-{name}-{}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir.join("journal.sqlite")
    }

    fn ok<T>(r: Result<T, JournalError>) -> T {
        r.unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn records_survive_reopening_and_the_last_one_wins() {
        let path = temp("reopen");
        {
            let mut j = ok(SqliteJournal::open(&path));
            assert!(ok(j.open_run("f", "r1")).is_empty());
            let mut rec = ItemRecord::pending("a");
            rec.state = ItemState::Sending;
            rec.intent_at = Some(5);
            ok(j.record("r1", &rec));
            rec.state = ItemState::Submitted;
            rec.job_id = Some("job".into());
            ok(j.record("r1", &rec));
            ok(j.record_deletion(
                "r1",
                &DeletionRecord {
                    key: "a".into(),
                    image_id: "img".into(),
                    created_at: "t".into(),
                    state: DeletionState::Deleted,
                    error: None,
                    updated_at: 1,
                },
            ));
            assert!(j.writes() >= 5, "{}", j.writes());
        }
        let mut j = ok(SqliteJournal::open(&path));
        let items = ok(j.open_run("f", "r1"));
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].state, ItemState::Submitted);
        assert_eq!(items[0].job_id.as_deref(), Some("job"));
        assert_eq!(items[0].intent_at, Some(5));
        assert!(ok(j.open_run("f", "r2")).is_empty());
        let runs = ok(j.runs());
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].deletions.len(), 1);
        let ro = ok(SqliteJournal::open_read_only(&path));
        assert_eq!(ok(ro.fleet()).as_deref(), Some("f"));
    }

    #[test]
    fn a_second_writer_another_fleet_and_a_foreign_file_are_refused() {
        let path = temp("refuse");
        let mut first = ok(SqliteJournal::open(&path));
        ok(first.open_run("f", "r"));
        match SqliteJournal::open(&path) {
            Err(JournalError::Locked { .. }) => {}
            other => panic!("{other:?}"),
        }
        // Reading stays possible while the run holds it.
        assert_eq!(ok(ok(SqliteJournal::open_read_only(&path)).runs()).len(), 1);
        drop(first);
        let mut again = ok(SqliteJournal::open(&path));
        match again.open_run("g", "r") {
            Err(e @ JournalError::OtherFleet { .. }) => {
                assert!(e.to_string().contains("belongs to fleet \"f\""), "{e}")
            }
            other => panic!("{other:?}"),
        }
        let garbage = temp("garbage");
        std::fs::write(&garbage, b"this is not a database, just text that is long enough to fill a header page ............................................").unwrap_or_else(|e| panic!("{e}"));
        match SqliteJournal::open(&garbage) {
            Err(JournalError::Corrupt { .. }) => {}
            other => panic!("{other:?}"),
        }
        let foreign = temp("foreign");
        {
            let c = Connection::open(&foreign).unwrap_or_else(|e| panic!("{e}"));
            c.execute_batch("CREATE TABLE t (x)")
                .unwrap_or_else(|e| panic!("{e}"));
        }
        match SqliteJournal::open(&foreign) {
            Err(e @ JournalError::Corrupt { .. }) => {
                assert!(e.to_string().contains("another application"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
}
