//! `log`: plugin log lines into the host's `tracing`, tagged with tenant and plugin. Always
//! granted; bounded per invocation.

use std::sync::Arc;

use ils_records::log::Level;

use crate::state::Invocation;

const MAX_LINE: usize = 2048;

pub(crate) struct LogCap {
    pub(crate) inv: Arc<Invocation>,
    pub(crate) written: usize,
    pub(crate) dropped: usize,
}

impl LogCap {
    pub(crate) fn log(&mut self, level: Level, mut message: String) {
        if self.written >= self.inv.limits.log_lines {
            self.dropped += 1;
            return;
        }
        self.written += 1;
        if message.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        let (tenant, plugin) = (&self.inv.scope.tenant, &self.inv.scope.plugin);
        match level {
            Level::Trace => tracing::trace!(target: "plugin", %tenant, %plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", %tenant, %plugin, "{message}"),
            Level::Info => tracing::info!(target: "plugin", %tenant, %plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", %tenant, %plugin, "{message}"),
            Level::Error => tracing::error!(target: "plugin", %tenant, %plugin, "{message}"),
        }
    }
}
