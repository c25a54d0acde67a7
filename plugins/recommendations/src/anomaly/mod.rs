//! Production anomalies.
