"""Argument types shared by the bench scripts: argparse turns a bad value into a one-line
usage error (exit 2) before anything is written or timed."""

from __future__ import annotations

import argparse
from pathlib import Path


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def sizes(text: str) -> list[int]:
    """A comma-separated list of environment counts, e.g. 250,500,1000."""
    values = [positive_int(part.strip()) for part in text.split(",") if part.strip()]
    if not values:
        raise argparse.ArgumentTypeError(f"expected environment counts such as 250,500,1000, got {text!r}")
    return values


def new_directory(text: str) -> Path:
    """A folder to write a repository into: it may exist only if empty (never overwrite)."""
    path = Path(text)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise argparse.ArgumentTypeError(f"{text} exists and is not an empty folder")
    return path
