"""Editing desired-state files in place: round-trip YAML, validated and atomic writes."""
