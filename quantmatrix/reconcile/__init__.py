"""The reconciler: brings a running environment in line with its desired state (issue 10)."""
