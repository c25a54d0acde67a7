//! The journal: every entry read from a device, appended and fsync'd before it is sent, kept
//! until ILS acknowledges it. One file of JSON lines in the data directory:
//!
//! - `link` and `bytes`: an entry with its device and `seq`;
//! - `ack`: ILS committed a device's entries up to `seq` (written without fsync: an ack lost in a
//!   crash only makes the bridge resend entries that ILS then acknowledges again);
//! - `written`: the last `out_seq` written to a device (fsync'd before `written` is answered);
//! - `state`: a device's counters, at the head of a compacted file.
//!
//! Appends are the only writes, so a crash can only leave a torn last line, which opening drops.
//! Compaction rewrites the file with the counters and the unacknowledged entries (a new file,
//! fsync'd, renamed over the old one) once most of it is acknowledged. The unacknowledged entries
//! are also kept in memory: they are what a resend needs.

use std::collections::{BTreeMap, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::wire;

/// The journal's file in the data directory.
pub(crate) const FILE: &str = "journal.jsonl";
const TMP: &str = "journal.jsonl.tmp";
/// Below this size the file is never compacted: rewriting it would cost more than it saves.
pub(crate) const COMPACT_MIN: u64 = 256 * 1024;

/// What a device did: it came or went, or it sent bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Body {
    Link { up: bool },
    Bytes(Vec<u8>),
}

/// A journaled entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) seq: u64,
    pub(crate) body: Body,
    /// The length of its line in the file, for deciding when to compact.
    line_len: u64,
}

impl Entry {
    pub(crate) fn to_wire(&self, device: &str) -> wire::ToIls {
        let device = device.to_string();
        match &self.body {
            Body::Link { up } => wire::ToIls::Link { device, seq: self.seq, up: *up },
            Body::Bytes(data) => wire::ToIls::Bytes { device, seq: self.seq, data: wire::encode(data) },
        }
    }
}

/// A device's counters and its unacknowledged entries (consecutive, from `acked + 1`).
#[derive(Clone, Debug)]
pub(crate) struct DeviceLog {
    pub(crate) next_seq: u64,
    pub(crate) acked: u64,
    pub(crate) out_written: u64,
    pub(crate) entries: VecDeque<Entry>,
}

impl Default for DeviceLog {
    fn default() -> Self {
        Self { next_seq: 1, acked: 0, out_written: 0, entries: VecDeque::new() }
    }
}

impl DeviceLog {
    /// Bytes in the unacknowledged entries.
    pub(crate) fn waiting_bytes(&self) -> u64 {
        self.entries.iter().map(|e| if let Body::Bytes(b) = &e.body { b.len() as u64 } else { 0 }).sum()
    }

    fn trim_to(&mut self, seq: u64) {
        while self.entries.front().is_some_and(|e| e.seq <= seq) {
            self.entries.pop_front();
        }
        self.acked = self.acked.max(seq);
    }
}

/// What an `ack` did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Acked {
    /// Entries were trimmed.
    Advanced,
    /// At or below what was already acknowledged: nothing to do.
    Stale,
    /// Beyond the last number given out: ILS acknowledged entries this bridge never sent.
    Beyond,
}

/// What a `welcome` did to a device's journal.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resync {
    /// ILS's `acked` lies between the bridge's and its last number: trimmed to it.
    Trimmed,
    /// ILS's `acked` is outside what this journal numbered (the data directory was lost, or ILS
    /// was restored from a backup): the waiting entries were renumbered from `acked + 1`, the
    /// only number ILS applies next.
    Renumbered { local_acked: u64, local_next: u64 },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Record {
    State { device: String, next_seq: u64, acked: u64, out_written: u64 },
    Link { device: String, seq: u64, up: bool },
    Bytes { device: String, seq: u64, data: String },
    Ack { device: String, seq: u64 },
    Written { device: String, out_seq: u64 },
}

/// The open journal.
pub(crate) struct Journal {
    dir: PathBuf,
    path: PathBuf,
    file: File,
    file_len: u64,
    devices: BTreeMap<String, DeviceLog>,
    compact_min: u64,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).field("file_len", &self.file_len).finish()
    }
}

impl Journal {
    /// Opens (or creates) the journal in `dir` and loads what is not yet acknowledged.
    pub(crate) fn open(dir: &Path) -> Result<Self, Error> {
        Self::open_with(dir, COMPACT_MIN)
    }

    pub(crate) fn open_with(dir: &Path, compact_min: u64) -> Result<Self, Error> {
        let path = dir.join(FILE);
        let io = |source| Error::Journal { path: path.clone(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        // A compaction that did not reach its rename: the old file is still whole.
        let _ = std::fs::remove_file(dir.join(TMP));

        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(io(e)),
        };
        let (devices, good_len) = replay(&path, &text)?;
        let existed = !text.is_empty() || path.exists();
        let file = OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
        if (good_len as usize) < text.len() {
            tracing::warn!(
                journal = %path.display(),
                dropped = text.len() - good_len as usize,
                "dropping a torn last line (the bridge stopped while writing it)"
            );
            file.set_len(good_len).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        if !existed {
            sync_dir(dir).map_err(io)?;
        }
        let mut journal =
            Self { dir: dir.to_path_buf(), path, file, file_len: good_len, devices, compact_min };
        journal.compact_if_worth_it()?;
        Ok(journal)
    }

    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A device's log, if it has ever had an entry (or was seen in a `welcome`).
    pub(crate) fn device(&self, name: &str) -> Option<&DeviceLog> {
        self.devices.get(name)
    }

    /// The devices with something in the journal.
    pub(crate) fn device_names(&self) -> impl Iterator<Item = &str> {
        self.devices.keys().map(String::as_str)
    }

    /// Numbers and appends the entries, then fsyncs once. Returns them with their numbers.
    pub(crate) fn append(&mut self, items: Vec<(String, Body)>) -> Result<Vec<(String, Entry)>, Error> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut next: BTreeMap<&str, u64> = BTreeMap::new();
        let mut buf = Vec::new();
        let mut numbered = Vec::with_capacity(items.len());
        for (device, body) in &items {
            let seq = next
                .entry(device.as_str())
                .or_insert_with(|| self.devices.get(device.as_str()).map_or(1, |d| d.next_seq));
            let start = buf.len();
            let record = match body {
                Body::Link { up } => Record::Link { device: device.clone(), seq: *seq, up: *up },
                Body::Bytes(data) => {
                    Record::Bytes { device: device.clone(), seq: *seq, data: wire::encode(data) }
                }
            };
            push_line(&mut buf, &record);
            let line_len = (buf.len() - start) as u64;
            numbered.push((device.clone(), Entry { seq: *seq, body: body.clone(), line_len }));
            *seq += 1;
        }
        self.write(&buf, true)?;
        for (device, entry) in &numbered {
            let log = self.devices.entry(device.clone()).or_default();
            log.next_seq = entry.seq + 1;
            log.entries.push_back(entry.clone());
        }
        Ok(numbered)
    }

    /// ILS committed `device`'s entries up to `seq`.
    pub(crate) fn ack(&mut self, device: &str, seq: u64) -> Result<Acked, Error> {
        let Some(log) = self.devices.get_mut(device) else { return Ok(Acked::Beyond) };
        if seq >= log.next_seq {
            return Ok(Acked::Beyond);
        }
        if seq <= log.acked {
            return Ok(Acked::Stale);
        }
        log.trim_to(seq);
        let mut buf = Vec::new();
        push_line(&mut buf, &Record::Ack { device: device.to_string(), seq });
        self.write(&buf, false)?;
        self.compact_if_worth_it()?;
        Ok(Acked::Advanced)
    }

    /// Applies ILS's `acked` from a `welcome`: trims, or renumbers when ILS's count and this
    /// journal's disagree (see [`Resync`]). Afterwards the waiting entries run from `acked + 1`.
    pub(crate) fn resync(&mut self, device: &str, acked: u64) -> Result<Resync, Error> {
        let log = self.devices.entry(device.to_string()).or_default();
        if (log.acked..log.next_seq).contains(&acked) {
            if acked > log.acked {
                self.ack(device, acked)?;
            }
            return Ok(Resync::Trimmed);
        }
        let (local_acked, local_next) = (log.acked, log.next_seq);
        let mut seq = acked;
        for entry in &mut log.entries {
            seq += 1;
            entry.seq = seq;
        }
        log.acked = acked;
        log.next_seq = seq + 1;
        self.compact()?;
        Ok(Resync::Renumbered { local_acked, local_next })
    }

    /// `out_seq` was written to `device`; durable when this returns.
    pub(crate) fn written(&mut self, device: &str, out_seq: u64) -> Result<(), Error> {
        let log = self.devices.entry(device.to_string()).or_default();
        if out_seq <= log.out_written {
            return Ok(());
        }
        log.out_written = out_seq;
        let mut buf = Vec::new();
        push_line(&mut buf, &Record::Written { device: device.to_string(), out_seq });
        self.write(&buf, true)
    }

    fn write(&mut self, buf: &[u8], sync: bool) -> Result<(), Error> {
        let io = |source| Error::Journal { path: self.path.clone(), source };
        self.file.write_all(buf).map_err(io)?;
        if sync {
            self.file.sync_data().map_err(io)?;
        }
        self.file_len += buf.len() as u64;
        Ok(())
    }

    fn live_len(&self) -> u64 {
        self.devices.values().map(|d| 128 + d.entries.iter().map(|e| e.line_len).sum::<u64>()).sum()
    }

    fn compact_if_worth_it(&mut self) -> Result<(), Error> {
        if self.file_len >= self.compact_min && self.file_len > 2 * self.live_len() {
            self.compact()?;
        }
        Ok(())
    }

    /// Rewrites the file as the counters and the waiting entries.
    fn compact(&mut self) -> Result<(), Error> {
        let tmp = self.dir.join(TMP);
        let io = |source| Error::Journal { path: tmp.clone(), source };
        let mut buf = Vec::new();
        for (device, log) in &self.devices {
            push_line(
                &mut buf,
                &Record::State {
                    device: device.clone(),
                    next_seq: log.next_seq,
                    acked: log.acked,
                    out_written: log.out_written,
                },
            );
        }
        for (device, log) in &mut self.devices {
            for entry in &mut log.entries {
                let start = buf.len();
                let record = match &entry.body {
                    Body::Link { up } => Record::Link { device: device.clone(), seq: entry.seq, up: *up },
                    Body::Bytes(data) => {
                        Record::Bytes { device: device.clone(), seq: entry.seq, data: wire::encode(data) }
                    }
                };
                push_line(&mut buf, &record);
                entry.line_len = (buf.len() - start) as u64;
            }
        }
        let mut file = File::create(&tmp).map_err(io)?;
        file.write_all(&buf).map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        sync_dir(&self.dir).map_err(io)?;
        self.file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|source| Error::Journal { path: self.path.clone(), source })?;
        tracing::debug!(journal = %self.path.display(), from = self.file_len, to = buf.len(), "compacted the journal");
        self.file_len = buf.len() as u64;
        Ok(())
    }
}

fn push_line(buf: &mut Vec<u8>, record: &Record) {
    // A record of strings and integers always serialises.
    serde_json::to_writer(&mut *buf, record).unwrap_or_else(|e| unreachable!("journal record: {e}"));
    buf.push(b'\n');
}

/// Rebuilds the devices' logs; returns them and the length of the file up to its last good line.
fn replay(path: &Path, text: &[u8]) -> Result<(BTreeMap<String, DeviceLog>, u64), Error> {
    let mut devices: BTreeMap<String, DeviceLog> = BTreeMap::new();
    let mut offset = 0usize;
    let mut good_len = 0usize;
    let mut bad: Option<(usize, String)> = None;
    let damaged =
        |line: usize, message: String| Error::JournalDamaged { path: path.to_path_buf(), line, message };
    for (index, chunk) in text.split_inclusive(|b| *b == b'\n').enumerate() {
        let line = index + 1;
        offset += chunk.len();
        let complete = chunk.ends_with(b"\n");
        let parsed = if complete {
            serde_json::from_slice::<Record>(chunk).map_err(|e| e.to_string())
        } else {
            Err("no end of line".into())
        };
        let record = match parsed {
            Ok(record) => record,
            Err(message) => {
                bad.get_or_insert((line, message));
                continue;
            }
        };
        // A bad line followed by a good one is not a torn write: refuse rather than guess.
        if let Some((line, message)) = bad {
            return Err(damaged(line, message));
        }
        apply(&mut devices, record).map_err(|m| damaged(line, m))?;
        good_len = offset;
    }
    Ok((devices, good_len as u64))
}

fn apply(devices: &mut BTreeMap<String, DeviceLog>, record: Record) -> Result<(), String> {
    match record {
        Record::State { device, next_seq, acked, out_written } => {
            let log = devices.entry(device).or_default();
            log.next_seq = next_seq.max(acked + 1);
            log.acked = acked;
            log.out_written = out_written;
        }
        Record::Link { device, seq, up } => push_entry(devices, device, seq, Body::Link { up }, 0)?,
        Record::Bytes { device, seq, data } => {
            let bytes = wire::decode(&data).map_err(|e| format!("bytes are not base64: {e}"))?;
            push_entry(devices, device, seq, Body::Bytes(bytes), data.len() as u64 + 64)?;
        }
        Record::Ack { device, seq } => {
            let log = devices.entry(device).or_default();
            log.trim_to(seq.min(log.next_seq - 1));
        }
        Record::Written { device, out_seq } => {
            let log = devices.entry(device).or_default();
            log.out_written = log.out_written.max(out_seq);
        }
    }
    Ok(())
}

fn push_entry(
    devices: &mut BTreeMap<String, DeviceLog>,
    device: String,
    seq: u64,
    body: Body,
    line_len: u64,
) -> Result<(), String> {
    let log = devices.entry(device.clone()).or_default();
    // Entries run on from the last one kept, or from the acknowledged point after a compaction
    // (whose `state` line holds the next number to give out).
    let expected = log.entries.back().map_or(log.acked + 1, |e| e.seq + 1);
    if seq != expected && seq != log.next_seq {
        return Err(format!("device {device:?}: entry {seq} where {expected} was next"));
    }
    log.next_seq = log.next_seq.max(seq + 1);
    if seq > log.acked {
        log.entries.push_back(Entry { seq, body, line_len: line_len + 48 });
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(s: &str) -> Body {
        Body::Bytes(s.as_bytes().to_vec())
    }

    fn seqs(journal: &Journal, device: &str) -> Vec<u64> {
        journal.device(device).map(|d| d.entries.iter().map(|e| e.seq).collect()).unwrap_or_default()
    }

    #[test]
    fn numbering_continues_after_everything_was_acknowledged_and_the_bridge_restarted() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::open_with(dir.path(), 0).unwrap();
        let first = journal
            .append(vec![
                ("t".into(), Body::Link { up: true }),
                ("t".into(), bytes("a")),
                ("r".into(), bytes("b")),
            ])
            .unwrap();
        assert_eq!(first.iter().map(|(_, e)| e.seq).collect::<Vec<_>>(), [1, 2, 1]);
        assert_eq!(journal.ack("t", 2).unwrap(), Acked::Advanced);
        assert_eq!(journal.ack("t", 1).unwrap(), Acked::Stale);
        assert_eq!(journal.ack("t", 3).unwrap(), Acked::Beyond);
        journal.written("t", 7).unwrap();
        drop(journal);

        let mut journal = Journal::open_with(dir.path(), 0).unwrap();
        assert_eq!(seqs(&journal, "t"), Vec::<u64>::new());
        assert_eq!(seqs(&journal, "r"), [1]);
        assert_eq!(journal.device("t").unwrap().out_written, 7);
        let next = journal.append(vec![("t".into(), bytes("c"))]).unwrap();
        assert_eq!(next[0].1.seq, 3);
    }

    #[test]
    fn acknowledged_entries_are_compacted_away_and_the_rest_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::open_with(dir.path(), 1024).unwrap();
        for i in 0..100 {
            journal.append(vec![("t".into(), bytes(&format!("chunk {i} of the tracer's bytes")))]).unwrap();
        }
        let before = std::fs::metadata(journal.path()).unwrap().len();
        journal.ack("t", 98).unwrap();
        let after = std::fs::metadata(journal.path()).unwrap().len();
        assert!(after * 10 < before, "{after} bytes left of {before}");
        drop(journal);
        let journal = Journal::open_with(dir.path(), 1024).unwrap();
        assert_eq!(seqs(&journal, "t"), [99, 100]);
        assert_eq!(journal.device("t").unwrap().entries[0].body, bytes("chunk 98 of the tracer's bytes"));
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_a_damaged_middle_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::open(dir.path()).unwrap();
        journal.append(vec![("t".into(), bytes("a")), ("t".into(), bytes("b"))]).unwrap();
        drop(journal);
        let path = dir.path().join(FILE);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"t":"bytes","device":"t","se"#).unwrap();
        drop(file);
        let mut journal = Journal::open(dir.path()).unwrap();
        assert_eq!(seqs(&journal, "t"), [1, 2]);
        assert_eq!(journal.append(vec![("t".into(), bytes("c"))]).unwrap()[0].1.seq, 3);
        drop(journal);

        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("\"seq\":2", "\"seq\":\"two\"", 1)).unwrap();
        let err = Journal::open(dir.path()).unwrap_err();
        assert!(matches!(err, Error::JournalDamaged { line: 2, .. }), "{err}");
    }

    #[test]
    fn a_welcome_from_an_ils_that_knows_more_renumbers_the_waiting_entries() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::open(dir.path()).unwrap();
        journal
            .append(vec![("t".into(), bytes("a")), ("t".into(), bytes("b")), ("t".into(), bytes("c"))])
            .unwrap();
        assert_eq!(journal.resync("t", 1).unwrap(), Resync::Trimmed);
        assert_eq!(seqs(&journal, "t"), [2, 3]);
        assert_eq!(journal.resync("t", 40).unwrap(), Resync::Renumbered { local_acked: 1, local_next: 4 });
        assert_eq!(seqs(&journal, "t"), [41, 42]);
        drop(journal);
        let mut journal = Journal::open(dir.path()).unwrap();
        assert_eq!(seqs(&journal, "t"), [41, 42]);
        assert_eq!(journal.append(vec![("t".into(), bytes("d"))]).unwrap()[0].1.seq, 43);
    }
}
