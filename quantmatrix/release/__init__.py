"""Proposing and promoting releases: scaffold a manifest, move an environment's pin."""
