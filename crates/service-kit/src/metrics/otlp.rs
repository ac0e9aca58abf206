//! The registry as OTLP metrics, with the names `/metrics` shows: what is scraped and what is
//! pushed are one set of series. The registry's OpenMetrics text is read back family by
//! family (as a collector's Prometheus receiver reads it): counters become cumulative
//! monotonic sums, gauges gauges, histograms cumulative explicit-bucket histograms.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, Sum,
    metric, number_data_point,
};

/// One sample line: its name, its labels and its value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

/// A metric family as the text declares it.
#[derive(Debug, Default)]
struct Family {
    kind: String,
    help: String,
    samples: Vec<Sample>,
}

/// The OTLP metrics of `text` (OpenMetrics), stamped `now` and started at `start` (Unix ns).
pub(crate) fn metrics(text: &str, start: u64, now: u64) -> Vec<Metric> {
    families(text)
        .into_iter()
        .filter_map(|(name, family)| convert(&name, family, start, now))
        .collect()
}

fn families(text: &str) -> Vec<(String, Family)> {
    let mut families: Vec<(String, Family)> = Vec::new();
    // `# HELP`, `# TYPE` and `# UNIT` of a family come before its samples, in any order.
    let family = |families: &mut Vec<(String, Family)>, name: &str| -> usize {
        if families.last().is_none_or(|(last, _)| last != name) {
            families.push((name.to_owned(), Family::default()));
        }
        families.len() - 1
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            let i = family(&mut families, name);
            families[i].1.kind = kind.to_owned();
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            let i = family(&mut families, name);
            families[i].1.help = help.to_owned();
        } else if !line.starts_with('#')
            && let (Some((_, family)), Some(sample)) = (families.last_mut(), sample(line))
        {
            family.samples.push(sample);
        }
    }
    families
}

fn convert(name: &str, family: Family, start: u64, now: u64) -> Option<Metric> {
    let number = |sample: &Sample| NumberDataPoint {
        attributes: attributes(&sample.labels),
        start_time_unix_nano: start,
        time_unix_nano: now,
        value: Some(number_data_point::Value::AsDouble(sample.value)),
        ..NumberDataPoint::default()
    };
    let (name, data) = match family.kind.as_str() {
        "counter" => {
            let total = format!("{name}_total");
            let points = family
                .samples
                .iter()
                .filter(|s| s.name == total)
                .map(number)
                .collect();
            (
                total,
                metric::Data::Sum(Sum {
                    data_points: points,
                    aggregation_temporality: AggregationTemporality::Cumulative as i32,
                    is_monotonic: true,
                }),
            )
        }
        "histogram" => (
            name.to_owned(),
            metric::Data::Histogram(Histogram {
                data_points: histogram_points(name, &family.samples, start, now),
                aggregation_temporality: AggregationTemporality::Cumulative as i32,
            }),
        ),
        // Gauges, and an info family's `_info` series, which is a gauge of 1.
        _ => {
            let name = family
                .samples
                .first()
                .map_or(name, |s| s.name.as_str())
                .to_owned();
            let points = family.samples.iter().map(number).collect();
            (
                name,
                metric::Data::Gauge(Gauge {
                    data_points: points,
                }),
            )
        }
    };
    Some(Metric {
        name,
        description: family.help,
        data: Some(data),
        ..Metric::default()
    })
}

/// One data point per label set: the `_bucket` series (cumulative, by `le`) de-cumulated into
/// OTLP's per-bucket counts, with `_sum` and `_count`.
fn histogram_points(
    name: &str,
    samples: &[Sample],
    start: u64,
    now: u64,
) -> Vec<HistogramDataPoint> {
    #[derive(Default)]
    struct Point {
        buckets: Vec<(f64, f64)>,
        sum: f64,
        count: f64,
    }
    let mut points: BTreeMap<Vec<(String, String)>, Point> = BTreeMap::new();
    for sample in samples {
        let mut labels = sample.labels.clone();
        let le = labels
            .iter()
            .position(|(k, _)| k == "le")
            .map(|i| labels.remove(i).1);
        let point = points.entry(labels).or_default();
        match (sample.name.strip_prefix(name), le) {
            (Some("_bucket"), Some(le)) => {
                let bound = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap_or(f64::INFINITY)
                };
                point.buckets.push((bound, sample.value));
            }
            (Some("_sum"), _) => point.sum = sample.value,
            (Some("_count"), _) => point.count = sample.value,
            _ => {}
        }
    }
    points
        .into_iter()
        .map(|(labels, mut point)| {
            point.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut below = 0.0;
            let counts = point
                .buckets
                .iter()
                .map(|(_, cumulative)| {
                    let count = (cumulative - below).max(0.0);
                    below = *cumulative;
                    count as u64
                })
                .collect();
            HistogramDataPoint {
                attributes: attributes(&labels),
                start_time_unix_nano: start,
                time_unix_nano: now,
                count: point.count as u64,
                sum: Some(point.sum),
                bucket_counts: counts,
                explicit_bounds: point
                    .buckets
                    .iter()
                    .map(|b| b.0)
                    .filter(|b| b.is_finite())
                    .collect(),
                ..HistogramDataPoint::default()
            }
        })
        .collect()
}

/// `name{label="value",...} value`, label values unescaped.
fn sample(line: &str) -> Option<Sample> {
    let (name, rest) = match line.find(['{', ' ']) {
        Some(i) => line.split_at(i),
        None => return None,
    };
    let mut labels = Vec::new();
    let rest = if let Some(mut rest) = rest.strip_prefix('{') {
        loop {
            rest = rest.trim_start_matches(',');
            if let Some(after) = rest.strip_prefix('}') {
                break after;
            }
            let (key, after) = rest.split_once("=\"")?;
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                let (i, c) = chars.next()?;
                match c {
                    '\\' => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    '"' => break i,
                    c => value.push(c),
                }
            };
            labels.push((key.to_owned(), value));
            rest = &after[end + 1..];
        }
    } else {
        rest
    };
    let value = rest.split_whitespace().next()?;
    Some(Sample {
        name: name.to_owned(),
        labels,
        value: value.parse().ok()?,
    })
}

fn attributes(labels: &[(String, String)]) -> Vec<KeyValue> {
    labels.iter().map(|(k, v)| string(k, v)).collect()
}

/// A string attribute.
pub(crate) fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..KeyValue::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# HELP http_requests HTTP requests by method, route and status.
# TYPE http_requests counter
http_requests_total{method="POST",route="/v1/checkouts",status="202"} 3
http_requests_total{method="GET",route="/a \"b\"",status="200"} 1
# HELP outbox_unpublished Outbox rows not yet published.
# TYPE outbox_unpublished gauge
outbox_unpublished 7
# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_sum{route="/x"} 0.35
latency_seconds_count{route="/x"} 4
latency_seconds_bucket{le="0.1",route="/x"} 2
latency_seconds_bucket{le="0.5",route="/x"} 3
latency_seconds_bucket{le="+Inf",route="/x"} 4
# EOF
"#;

    fn by_name<'a>(metrics: &'a [Metric], name: &str) -> &'a Metric {
        metrics
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn counters_keep_the_scraped_name_and_are_cumulative_monotonic_sums() {
        let metrics = metrics(TEXT, 1, 2);
        let counter = by_name(&metrics, "http_requests_total");
        let Some(metric::Data::Sum(sum)) = &counter.data else {
            panic!("a sum")
        };
        assert!(sum.is_monotonic);
        assert_eq!(
            sum.aggregation_temporality,
            AggregationTemporality::Cumulative as i32
        );
        assert_eq!(sum.data_points.len(), 2);
        let quoted = &sum.data_points[1].attributes[1];
        assert_eq!(quoted.key, "route");
        assert_eq!(
            quoted.value,
            string("route", "/a \"b\"").value,
            "escapes undone"
        );
        assert_eq!(
            counter.description,
            "HTTP requests by method, route and status."
        );
    }

    #[test]
    fn gauges_are_gauges() {
        let metrics = metrics(TEXT, 1, 2);
        let Some(metric::Data::Gauge(gauge)) = &by_name(&metrics, "outbox_unpublished").data else {
            panic!("a gauge")
        };
        assert_eq!(
            gauge.data_points[0].value,
            Some(number_data_point::Value::AsDouble(7.0))
        );
        assert_eq!(gauge.data_points[0].time_unix_nano, 2);
    }

    #[test]
    fn histogram_buckets_are_de_cumulated_with_the_infinite_bound_implied() {
        let metrics = metrics(TEXT, 1, 2);
        let Some(metric::Data::Histogram(histogram)) = &by_name(&metrics, "latency_seconds").data
        else {
            panic!("a histogram")
        };
        let point = &histogram.data_points[0];
        assert_eq!(point.explicit_bounds, [0.1, 0.5]);
        assert_eq!(point.bucket_counts, [2, 1, 1]);
        assert_eq!((point.count, point.sum), (4, Some(0.35)));
        assert_eq!(
            point.attributes,
            [string("route", "/x")],
            "le is not an attribute"
        );
    }
}
