//! The table `weir run` prints at the end: per vertex, records in and out, skipped
//! records, late records dropped, Flink's busy / back-pressured / idle time per second, and the keys and
//! estimated bytes of keyed state.

use weir_core::cluster::JobResult;
use weir_core::runtime::metrics::summarize;

/// Renders the per-vertex summary of a finished job.
pub fn render(result: &JobResult) -> String {
    let rows = summarize(&result.tasks);
    let name_width = rows
        .iter()
        .map(|r| r.vertex.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 60);
    let mut s = format!(
        "job '{}' finished in {:.3} s on {} slot(s)\n",
        result.name,
        result.duration.as_secs_f64(),
        result.slots_used
    );
    s.push_str(&format!(
        "{:<name_width$}  {:>3}  {:>12}  {:>12}  {:>8}  {:>8}  {:>9}  {:>9}  {:>9}  {:>10}  {:>11}\n",
        "vertex",
        "par",
        "records in",
        "records out",
        "skipped",
        "late",
        "busy ms/s",
        "bp ms/s",
        "idle ms/s",
        "state keys",
        "state bytes"
    ));
    for r in rows {
        let name: String = r.vertex.chars().take(name_width).collect();
        s.push_str(&format!(
            "{:<name_width$}  {:>3}  {:>12}  {:>12}  {:>8}  {:>8}  {:>9.0}  {:>9.0}  {:>9.0}  {:>10}  {:>11}\n",
            name,
            r.parallelism,
            r.records_in,
            r.records_out,
            r.records_skipped,
            r.late_records_dropped,
            r.busy_ms_per_second,
            r.back_pressured_ms_per_second,
            r.idle_ms_per_second,
            r.state_keys,
            r.state_bytes
        ));
    }
    s
}
