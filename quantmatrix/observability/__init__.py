"""What the reconciler tells the outside: Prometheus metrics and structured logs."""
