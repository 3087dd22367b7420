"""A real process for the lock tests: `python lock_holder.py TARGET ENVIRONMENT`.

Tries the apply lock once. Prints `WON <pid>` and holds it until its standard input closes
(or it is killed), or prints `HELD <message>` and exits 3. TARGET is a PostgreSQL URL or a
directory (file lock)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from quantmatrix.reconcile.lock import LockHeld, acquire_apply_lock, this_process


def main(target_text: str, environment: str) -> int:
    target: str | Path = target_text if "://" in target_text else Path(target_text)
    try:
        with acquire_apply_lock(target, environment, this_process("apply", datetime.now(UTC))) as lock:
            print(f"WON {lock.holder.pid}", flush=True)
            sys.stdin.read()  # hold until the test closes our stdin
    except LockHeld as error:
        print(f"HELD {error}", flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
