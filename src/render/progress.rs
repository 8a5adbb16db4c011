//! Per-account progress bars on a terminal (indicatif hides them when stderr is not one).

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::Progress;

/// One bar per account, shown only for multi-account runs on a terminal.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    verb: Mutex<&'static str>,
}

impl Bars {
    pub fn new(verb: &'static str) -> Self {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
            verb: Mutex::new(verb),
        }
    }

    fn verb(&self) -> &'static str {
        self.verb.lock().map(|v| *v).unwrap_or("working")
    }
}

impl Progress for Bars {
    fn phase(&self, verb: &'static str) {
        if let Ok(mut v) = self.verb.lock() {
            *v = verb;
        }
    }

    fn account_started(&self, account: &str, total: usize) {
        let bar = self.multi.add(ProgressBar::new(total as u64));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>16} {bar:24} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(account.to_string());
        bar.set_message(self.verb());
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(account.to_string(), bar);
        }
    }

    fn advanced(&self, account: &str, what: &str) {
        if let Some(bar) = self.bars.lock().ok().and_then(|b| b.get(account).cloned()) {
            bar.set_message(format!("{} {what}", self.verb()));
            bar.inc(1);
        }
    }

    fn account_finished(&self, account: &str, ok: bool) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        if let Some(bar) = bars.remove(account) {
            bar.finish_with_message(if ok { "done" } else { "failed" });
        }
        // When the phase is over, the bars make room for what is printed next (the plan, the
        // report), which would otherwise be drawn over the last bar's line.
        if bars.is_empty() {
            let _ = self.multi.clear();
        }
    }
}
