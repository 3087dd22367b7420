"""The status page: each environment's desired vs running state in a browser, `/api/status`
(JSON) and `/metrics` (Prometheus) from one small HTTP server."""
