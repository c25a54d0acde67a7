//! `progress`: how far a long invocation (a report rendered as a job) has got, for whoever waits
//! for it. Always granted; a no-op when nobody waits.

use ils_records::Progress;

/// Where an invocation's progress goes: set by the embedder per call.
#[derive(Clone)]
pub struct ProgressSink(std::sync::Arc<dyn Fn(Progress) + Send + Sync>);

impl ProgressSink {
    /// Calls `f` with every report.
    pub fn new(f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(f))
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

pub(crate) struct ProgressCap {
    pub(crate) sink: Option<ProgressSink>,
    /// Reports passed on (at most [`MAX_REPORTS`] an invocation; the rest are dropped).
    pub(crate) reported: usize,
}

const MAX_REPORTS: usize = 10_000;
const MAX_NOTE: usize = 200;

impl ProgressCap {
    pub(crate) fn report(&mut self, done: u32, total: u32, mut note: String) {
        let Some(sink) = &self.sink else { return };
        if self.reported >= MAX_REPORTS {
            return;
        }
        self.reported += 1;
        if note.len() > MAX_NOTE {
            let mut end = MAX_NOTE;
            while !note.is_char_boundary(end) {
                end -= 1;
            }
            note.truncate(end);
        }
        (sink.0)(Progress { done: done.min(total), total, note });
    }
}
