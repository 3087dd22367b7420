"""Ordering release versions (semver, which covers the CalVer releases use: 2026.11.0)."""

from __future__ import annotations

import re

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")

_MAX_LENGTH = 128  # model.common.MAX_VERSION_LENGTH: longer never converts thousands of digits

# (is a version, (major, minor, patch), 1 unless a pre-release, pre-release parts, text)
VersionKey = tuple[int, tuple[int, ...], int, tuple[tuple[int, int, str], ...], str]


def version_key(version: str) -> VersionKey:
    """Sort key in semver precedence: 2026.9.0 < 2026.10.0, 1.0.0-rc.1 < 1.0.0.
    Strings that are not versions sort first, by text."""
    match = _VERSION.match(version) if len(version) <= _MAX_LENGTH else None
    if not match:
        return (0, (), 0, (), version)
    major, minor, patch, pre = match.groups()
    pre_key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    return (1, (int(major), int(minor), int(patch)), 0 if pre else 1, pre_key, version)


def highest(versions: list[str] | tuple[str, ...]) -> str | None:
    return max(versions, key=version_key) if versions else None
