//! A small Prometheus registry: atomics on the request path, text
//! exposition at scrape time. Hand-written because the server needs little
//! (request counts, latency histograms, a few gauges) and every request
//! pays for it, so the hot path is a read lock, an array index and a few
//! relaxed atomic adds, with no allocation.
//!
//! Adding a metric elsewhere is one line:
//! `state.metrics.counter("patchbay_x_total", "What it counts", &[("status", "passed")]).inc()`
//! or `state.metrics.gauge("patchbay_queue_depth", "Jobs waiting", &[]).set(n)`.
use axum::http::Method;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
const METHODS: [&str; 8] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "OTHER"];
/// Route label of requests no route matched, so unknown paths cannot
/// create a series each.
pub const UNMATCHED: &str = "unmatched";

#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }
    pub fn add(&self, delta: i64) {
        self.0.fetch_add(delta, Ordering::Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Requests of one route and method: counts by status, and latency.
struct RouteSeries {
    /// Index `status - 100`, so recording needs no lookup.
    statuses: Box<[AtomicU64]>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl RouteSeries {
    fn new() -> Self {
        Self {
            statuses: (100..600).map(|_| AtomicU64::new(0)).collect(),
            buckets: Default::default(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn record(&self, status: u16, elapsed: Duration) {
        if let Some(slot) = usize::from(status).checked_sub(100).and_then(|i| self.statuses.get(i)) {
            slot.fetch_add(1, Ordering::Relaxed);
        }
        let seconds = elapsed.as_secs_f64();
        // Buckets are stored non-cumulatively and summed at scrape time.
        if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }
}

type MethodSlots = [OnceLock<RouteSeries>; METHODS.len()];

type Labels = Vec<(String, String)>;

struct Family<T> {
    help: String,
    series: Vec<(Labels, Arc<T>)>,
}

#[derive(Default)]
pub struct Metrics {
    routes: RwLock<HashMap<String, Arc<MethodSlots>>>,
    counters: Mutex<HashMap<String, Family<Counter>>>,
    gauges: Mutex<HashMap<String, Family<Gauge>>>,
}

fn method_index(method: &Method) -> usize {
    METHODS.iter().position(|m| *m == method.as_str()).unwrap_or(METHODS.len() - 1)
}

fn register<T: Default>(
    families: &Mutex<HashMap<String, Family<T>>>,
    name: &str,
    help: &str,
    labels: &[(&str, &str)],
) -> Arc<T> {
    let mut families = families.lock().unwrap_or_else(|e| e.into_inner());
    let family = families
        .entry(name.to_owned())
        .or_insert_with(|| Family { help: help.to_owned(), series: Vec::new() });
    let labels: Vec<(String, String)> =
        labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    if let Some((_, existing)) = family.series.iter().find(|(l, _)| *l == labels) {
        return existing.clone();
    }
    let metric = Arc::new(T::default());
    family.series.push((labels, metric.clone()));
    metric
}

impl Metrics {
    /// One finished request; `route` is the matched route's template.
    pub fn record_request(&self, route: &str, method: &Method, status: u16, elapsed: Duration) {
        let slots = self.routes.read().unwrap_or_else(|e| e.into_inner()).get(route).cloned();
        let slots = match slots {
            Some(slots) => slots,
            None => self
                .routes
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .entry(route.to_owned())
                .or_insert_with(|| Arc::new(Default::default()))
                .clone(),
        };
        slots[method_index(method)].get_or_init(RouteSeries::new).record(status, elapsed);
    }

    /// The counter of that name and labels, created on first use.
    pub fn counter(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Arc<Counter> {
        register(&self.counters, name, help, labels)
    }

    /// The gauge of that name and labels, created on first use.
    pub fn gauge(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Arc<Gauge> {
        register(&self.gauges, name, help, labels)
    }

    /// Everything, in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8192);
        self.render_http(&mut out);
        render_family(&mut out, "counter", &self.counters, |c| c.get().to_string());
        render_family(&mut out, "gauge", &self.gauges, |g| g.get().to_string());
        out
    }

    fn render_http(&self, out: &mut String) {
        let routes = self.routes.read().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<&String> = routes.keys().collect();
        names.sort();
        let each = |f: &mut dyn FnMut(&str, &str, &RouteSeries)| {
            for route in &names {
                for (i, slot) in routes[*route].iter().enumerate() {
                    if let Some(series) = slot.get() {
                        f(route, METHODS[i], series);
                    }
                }
            }
        };
        out.push_str(
            "# HELP patchbay_http_requests_total HTTP requests by route template, method and status.\n",
        );
        out.push_str("# TYPE patchbay_http_requests_total counter\n");
        each(&mut |route, method, series| {
            for (i, count) in series.statuses.iter().enumerate() {
                let count = count.load(Ordering::Relaxed);
                if count > 0 {
                    let labels =
                        format!("route=\"{}\",method=\"{method}\",status=\"{}\"", escape(route), i + 100);
                    let _ = writeln!(out, "patchbay_http_requests_total{{{labels}}} {count}");
                }
            }
        });
        let name = "patchbay_http_request_duration_seconds";
        let _ = writeln!(out, "# HELP {name} HTTP request latency by route template and method.");
        let _ = writeln!(out, "# TYPE {name} histogram");
        each(&mut |route, method, series| {
            let labels = format!("route=\"{}\",method=\"{method}\"", escape(route));
            let mut cumulative = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&series.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
            }
            let count = series.count.load(Ordering::Relaxed);
            let sum = series.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
            let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
        });
    }
}

fn render_family<T>(
    out: &mut String,
    kind: &str,
    families: &Mutex<HashMap<String, Family<T>>>,
    value: impl Fn(&T) -> String,
) {
    let families = families.lock().unwrap_or_else(|e| e.into_inner());
    let mut names: Vec<&String> = families.keys().collect();
    names.sort();
    for name in names {
        let family = &families[name];
        let _ = writeln!(out, "# HELP {name} {}", family.help.replace('\n', " "));
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for (labels, metric) in &family.series {
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
            let labels = if labels.is_empty() { String::new() } else { format!("{{{}}}", labels.join(",")) };
            let _ = writeln!(out, "{name}{labels} {}", value(metric));
        }
    }
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_renders() {
        let metrics = Metrics::default();
        metrics.record_request("/a/{id}", &Method::GET, 200, Duration::from_micros(700));
        metrics.record_request("/a/{id}", &Method::GET, 200, Duration::from_millis(20));
        metrics.record_request("/a/{id}", &Method::GET, 404, Duration::from_micros(10));
        metrics.counter("patchbay_tests_total", "Tests", &[("status", "passed")]).inc();
        metrics.counter("patchbay_tests_total", "Tests", &[("status", "passed")]).inc();
        metrics.gauge("patchbay_queue_depth", "Jobs", &[]).set(3);
        let text = metrics.render();
        assert!(
            text.contains(r#"patchbay_http_requests_total{route="/a/{id}",method="GET",status="200"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"status="404"} 1"#));
        assert!(
            text.contains(
                r#"patchbay_http_request_duration_seconds_bucket{route="/a/{id}",method="GET",le="0.001"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"le="+Inf"} 3"#));
        assert!(text.contains(r#"patchbay_tests_total{status="passed"} 2"#));
        assert!(text.contains("patchbay_queue_depth 3"));
        assert_eq!(escape("a\"b\\"), "a\\\"b\\\\");
    }
}
