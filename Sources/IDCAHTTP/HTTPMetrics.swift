import Prometheus

/// The server's Prometheus metrics: counts and latencies only, never personal data. Labels take
/// values from closed sets (route patterns, status codes, reason codes).
public final class HTTPMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
    ]

    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(name: "idca_http_requests_total", labels: [("route", route), ("method", method), ("status", String(status))],
                             help: "HTTP requests by route pattern, method and status").increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(metricName: "idca_http_request_duration", unitName: "seconds", helpText: "HTTP request latency by route pattern"),
            labels: [("route", route)], buckets: HTTPMetrics.latencyBuckets
        ).recordNanoseconds(duration.nanoseconds)
    }

    func recordDecision(subjectType: String, outcome: String, reason: String) {
        registry.makeCounter(name: "idca_decisions_total", labels: [("subject_type", subjectType), ("outcome", outcome), ("reason", reason)],
                             help: "Application decisions by subject type, outcome and public reason").increment()
    }

    func recordVerification(result: String) {
        registry.makeCounter(name: "idca_verifications_total", labels: [("result", result)],
                             help: "Token verifications by result (active or the inactive reason)").increment()
    }

    /// The Prometheus text exposition of every metric.
    func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
