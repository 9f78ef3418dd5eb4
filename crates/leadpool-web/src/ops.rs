//! Health and metrics for operators.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;

/// The process-wide metrics recorder (installed once, shared by every router in the process).
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (a test harness); ours then stays empty.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
pub async fn healthz(State(s): State<AppState>) -> impl IntoResponse {
    match s.app.health().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        metrics_handle().render(),
    )
}
