"""QuantMatrix Deploy: version-pinned desired state, policy gate and reconciler for QuantMatrix."""

__version__ = "0.1.0"
