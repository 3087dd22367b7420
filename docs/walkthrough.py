"""Regenerates docs/walkthrough.md: a paper release, its promotion, and live, with real output.

    .venv/bin/python docs/walkthrough.py [--out docs/walkthrough.md] [--facts FILE] [--postgres URL]

Every command of the walkthrough runs for real, as its own `qm` process, in a temporary copy
of this repository (its own git history), against:
- PostgreSQL: two databases of its own on the server (`--postgres`, default
  QM_TEST_POSTGRES_URL or postgres@127.0.0.1:5432), one per environment, as paper and live
  keep their state apart; dropped at the end;
- Redis: a private `redis-server` on a free port (so the sample's key prefixes `qm:paper:` and
  `qm:live:` stay as they are), killed by pid at the end;
- the sandbox platform: paper and live run it under the process driver, on fixed ports picked
  free at the start (the sandbox API learns where its peers are only on fixed ports), under
  expiring waivers of QM-RUN-002 (the way an exception is made on purpose).

The clock is the one thing simulated: each `qm` runs under libfaketime (the `libfaketime`
package of the test extra, LD_PRELOAD) at a chosen moment of a fixed week, so that the deploy
windows and paper's observation window behave as they would on those days; the platform's
processes run on the real clock. The story ends with `qm down live` and `qm down paper`;
whatever a failed run left is killed by pid (the process driver's state files). `--keep`
leaves the temporary directory for a look; `--facts FILE` writes every command with its exit
code and duration.

`run_walkthrough(inspect=...)` is what tests/test_walkthrough.py calls: `inspect(walk)` runs
before the clean-up, while the stores and Redis still hold what the commands wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("environments", "releases", "migrations", "policies")
PG_DEFAULT = os.environ.get("QM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")

# The simulated week (UTC; New York is UTC-5 in December): XNYS trades 09:30-16:00 EST.
MONDAY_MORNING = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 EST: the release is prepared
MONDAY_EVENING = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # 17:30 EST: paper's window (close + 15 min)
TUESDAY_MORNING = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 EST: paper still observed
TUESDAY_EVENING = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)  # 17:30 EST: paper's session over
WEDNESDAY_MORNING = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 10:00 EST: live's window is closed
WEDNESDAY_EVENING = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)  # 18:00 EST: live's window (close + 60 min)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def faketime_library() -> str:
    """The libfaketime shared library the `libfaketime` package ships."""
    import libfaketime  # type: ignore[import-untyped]

    path = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
    if not path.is_file():
        raise SystemExit(f"libfaketime's library is missing at {path}")
    return str(path)


@dataclass
class Run:
    """One command as the reader sees it, with its real output and exit code."""

    shown: str
    code: int
    output: str
    at: datetime
    seconds: float = 0.0


@dataclass
class Walk:
    tmp: Path
    repo: Path
    env: dict[str, str]
    databases: dict[str, str]  # environment -> URL
    redis_url: str
    password: str  # of every store and Redis URL: must never be shown
    runs: list[Run] = field(default_factory=list)
    doc: list[str] = field(default_factory=list)
    pending: list[Run] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    processes: set[tuple[int, int]] = field(default_factory=set)  # (pid, start time) of the platform's
    _phase: tuple[datetime, float] = (MONDAY_MORNING, 0.0)

    # --- the clock -------------------------------------------------------------------------
    def at(self, moment: datetime) -> None:
        """From now on commands run at `moment`, plus the real time spent since."""
        self._phase = (moment, time.monotonic())

    def now(self) -> datetime:
        start, since = self._phase
        return (start + timedelta(seconds=time.monotonic() - since)).replace(microsecond=0)

    def _clock_env(self) -> dict[str, str]:
        return {**self.env, "FAKETIME": "@" + self.now().strftime("%Y-%m-%d %H:%M:%S")}

    # --- running ------------------------------------------------------------------------------
    def qm(self, *args: str, expect: int = 0, answer: str | None = None) -> Run:
        """`qm ARGS` in the repository copy at the simulated time; `answer` is typed at a
        terminal when the command prompts (live's confirmation), so it runs on a pty."""
        moment, began = self.now(), time.monotonic()
        argv = [sys.executable, "-m", "quantmatrix", *args]
        if answer is None:
            done = subprocess.run(
                argv, cwd=self.repo, env=self._clock_env(), capture_output=True, text=True, timeout=180
            )
            code, output = done.returncode, done.stdout + done.stderr
        else:
            code, output = self._on_terminal(argv, answer)
        run = Run(
            "qm " + " ".join(_quote(a) for a in args), code, self._clean(output), moment, time.monotonic() - began
        )
        self.runs.append(run)
        if code != expect:
            raise SystemExit(f"walkthrough: `{run.shown}` exited {code}, expected {expect}:\n{run.output}")
        return run

    def note_processes(self) -> None:
        """Remember the platform's processes (the process driver's state files) to stop them,
        or to prove them stopped, whatever happens later."""
        self.processes.update(_platform(self.repo))

    def _on_terminal(self, argv: list[str], answer: str) -> tuple[int, str]:
        """Run on a pseudo-terminal (stdin, stdout and stderr), type `answer` at the prompt;
        the transcript is what the operator's terminal shows, typed answer included."""
        master, slave = pty.openpty()
        process = subprocess.Popen(argv, cwd=self.repo, env=self._clock_env(), stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        chunks: list[bytes] = []
        answered = False
        deadline = time.monotonic() + 180
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([master], [], [], 0.2)
                if ready:
                    try:
                        data = os.read(master, 65536)
                    except OSError:  # the child closed the terminal
                        break
                    if not data:
                        break
                    chunks.append(data)
                    if not answered and b"to apply to LIVE" in b"".join(chunks):
                        os.write(master, answer.encode() + b"\n")
                        answered = True
                elif process.poll() is not None:
                    break
        finally:
            os.close(master)
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
        return process.returncode, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")

    def _clean(self, output: str) -> str:
        """Run-specific names (the temporary directory, the databases, the free ports) become
        placeholders, so that a regenerated walkthrough differs only where the run did."""
        output = output.replace(str(self.tmp), "/tmp/qm-walkthrough")
        for environment, url in self.databases.items():
            output = output.replace(url.rsplit("/", 1)[1], f"qm_walkthrough_{environment}")
        return output

    # --- the document -------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.doc.append(text.strip("\n") + "\n")

    def git(self, *args: str) -> str:
        stamp = self.now().strftime("%Y-%m-%dT%H:%M:%S+0000")
        env = {**self.env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        done = subprocess.run(["git", *args], cwd=self.repo, env=env, capture_output=True, text=True, check=True)
        return done.stdout

    def shell(self, *args: str) -> None:
        """A git command the reader types too: shown with the next `qm` block."""
        run = Run("git " + " ".join(_quote(a) for a in args), 0, self.git(*args), self.now())
        self.runs.append(run)
        self.pending.append(run)

    def show(self, *args: str, expect: int = 0, keep: tuple[int, int] | None = None, answer: str | None = None) -> Run:
        """Run `qm ARGS` and put it in the document with its output (and the git commands typed
        since the last block). `keep=(head, tail)`: only those first and last lines, "…" between."""
        run = self.qm(*args, expect=expect, answer=answer)
        lines: list[str] = []
        for shown in [*self.pending, run]:
            lines.append(f"$ {shown.shown}")
            body = shown.output.rstrip("\n").split("\n") if shown.output.strip() else []
            if shown is run and keep is not None and len(body) > sum(keep):
                body = [*body[: keep[0]], "…", *body[len(body) - keep[1] :]]
            lines.extend(body)
        if run.code:
            lines.extend(["$ echo $?", str(run.code)])
        self.pending.clear()
        self.doc.append("```\n" + "\n".join(lines) + "\n```\n")
        return run

    def flush(self) -> None:
        """The git commands typed since the last block, as a block of their own."""
        if self.pending:
            self.doc.append("```\n" + "\n".join(f"$ {run.shown}" for run in self.pending) + "\n```\n")
            self.pending.clear()

    def file(self, path: str, start: str | None = None, end: str | None = None, lang: str = "yaml") -> None:
        """A file of the repository copy as it is now (from the line holding `start` up to the
        one before the line holding `end`)."""
        lines = (self.repo / path).read_text().split("\n")
        first = next(i for i, line in enumerate(lines) if start in line) if start else 0
        last = next(i for i, line in enumerate(lines) if i > first and end in line) if end else len(lines)
        text = "\n".join(lines[first:last]).rstrip("\n")
        self.doc.append(f"`{path}`{' (excerpt)' if start or end else ''}:\n\n```{lang}\n{self._clean(text)}\n```\n")


def _quote(arg: str) -> str:
    return arg if re.fullmatch(r"[A-Za-z0-9_.,:/=@%+-]+", arg) else "'" + arg.replace("'", "'\\''") + "'"


# --- the machine: a copy of the repository, its databases, its Redis ------------------------------

SANDBOX_RUNTIME = """  runtime:
    driver: process                 # the sandbox platform on this machine (see the waivers)
    process:
      components: {{api: {{port: {0}}}, workers: {{port: {1}}}, ui: {{port: {2}}}}}
"""


def _on_this_machine(repo: Path, secrets_dir: Path, expires: str) -> None:
    """Paper and live run the sandbox platform on free ports instead of Kubernetes, under
    waivers of QM-RUN-002; live's PostgreSQL and Redis URLs are secret files under
    `secrets_dir` (the catalog's providers moved there)."""
    for name in ("paper", "live"):
        path = repo / "environments" / f"{name}.yaml"
        text = path.read_text()
        start, end = text.index("  runtime:"), text.index("    checks:")
        runtime = SANDBOX_RUNTIME.format(*(free_port() for _ in range(3)))
        path.write_text(text[:start] + runtime + text[end:])
    catalog = repo / "environments" / "secrets.yaml"
    text = catalog.read_text()
    for file in ("qm-live-postgres-url", "qm-live-redis-url"):  # QM_LIVE_POSTGRES_URL, QM_LIVE_REDIS_URL
        old = f"provider: {{file: /run/secrets/{file}}}"
        assert old in text, old
        text = text.replace(old, f"provider: {{file: {secrets_dir / file}}}")
    catalog.write_text(text)
    waivers = "".join(
        f"  - {{rule: QM-RUN-002, target: environments.{name}.spec.runtime.process.components.{component},"
        f" reason: walkthrough on the sandbox platform, approver: sam.cto, expires: {expires}}}\n"
        for name in ("paper", "live")
        for component in ("api", "workers", "ui")
    )
    path = repo / "policies" / "waivers.yaml"
    path.write_text(path.read_text().replace("waivers: []\n", "waivers:\n" + waivers))


@contextmanager
def machine(postgres: str, keep: bool = False) -> Iterator[Walk]:
    """The temporary repository, two databases, a private Redis; all removed afterwards."""
    from sqlalchemy import create_engine, make_url, text

    tmp = Path(tempfile.mkdtemp(prefix="qm-walkthrough-"))
    repo = tmp / "repo"
    secrets_dir = tmp / "run" / "secrets"
    secrets_dir.mkdir(parents=True, mode=0o700)
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    suffix = secrets.token_hex(4)
    databases = {name: f"qm_walk_{suffix}_{name}" for name in ("paper", "live")}
    password = "w" + secrets.token_urlsafe(12)  # in every URL, so that a leak would show (trust auth ignores it)
    redis_port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--requirepass", password],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    created: list[str] = []
    walk: Walk | None = None
    try:
        with admin.connect() as conn:
            for database in databases.values():
                conn.execute(text(f'CREATE DATABASE "{database}"'))
                created.append(database)
        urls = {
            name: make_url(postgres).set(database=db, password=password).render_as_string(hide_password=False)
            for name, db in databases.items()
        }
        redis_url = f"redis://:{password}@127.0.0.1:{redis_port}/0"
        _wait_for_redis(redis_port)
        for folder in FOLDERS:
            shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
        (repo / ".gitignore").write_text(".qm/\n")
        _on_this_machine(repo, secrets_dir, "2027-01-31")
        for file, value in (("qm-live-postgres-url", urls["live"]), ("qm-live-redis-url", redis_url)):
            (secrets_dir / file).write_text(value + "\n")
            (secrets_dir / file).chmod(0o600)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "NO_COLOR": "1",
            "COLUMNS": "120",
            "LD_PRELOAD": faketime_library(),
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME_NO_CACHE": "1",
            "GIT_AUTHOR_NAME": "Li Eng",
            "GIT_AUTHOR_EMAIL": "li.eng@quantmatrix.invalid",
            "GIT_COMMITTER_NAME": "Li Eng",
            "GIT_COMMITTER_EMAIL": "li.eng@quantmatrix.invalid",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "QM_PAPER_POSTGRES_URL": urls["paper"],
            "QM_PAPER_REDIS_URL": redis_url,
        }
        walk = Walk(tmp=tmp, repo=repo, env=env, databases=urls, redis_url=redis_url, password=password)
        walk.at(MONDAY_MORNING - timedelta(days=3))
        walk.git("init", "-q", "-b", "main")
        walk.git("add", "-A")
        walk.git("commit", "-qm", "QuantMatrix desired state; paper and live on this machine's sandbox platform")
        yield walk
    finally:
        _sweep(walk, repo)  # the story ends with `qm down`; whatever a failed run left, by pid
        redis.kill()
        redis.wait(timeout=30)
        with admin.connect() as conn:
            for database in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
        if keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _wait_for_redis(port: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(64):  # +PONG, or -NOAUTH: it answers
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"redis-server on port {port} did not answer")


def _platform(repo: Path) -> set[tuple[int, int]]:
    """(pid, start time) of every process a process-driver state file under `repo` names."""
    from quantmatrix.runtime.drivers.process import ProcessState

    found: set[tuple[int, int]] = set()
    for state_file in (repo / ".qm").glob("*/*.json"):
        try:
            state = ProcessState.model_validate_json(state_file.read_bytes())
        except ValueError:
            continue
        found.update((p.pid, p.started) for p in (state, state.previous) if p is not None)
    return found


def _sweep(walk: Walk | None, repo: Path) -> None:
    """Every platform process seen or still named by a state file, by pid, if still ours."""
    from quantmatrix.runtime.drivers import procs

    for pid, started in _platform(repo) | (walk.processes if walk is not None else set()):
        if procs.is_ours(pid, started):
            os.kill(pid, signal.SIGKILL)


# --- the story --------------------------------------------------------------------------------

INTRO = """
# Walkthrough: from a paper release to live

A release goes from a pull request to paper, earns its evidence there, is promoted, and goes
live, with the gates of the deployment guide on the way. Every output below is **real**: the
commands ran as shown, in order, and their output is pasted unedited except where a line reads
"…" (lines left out of a long block). The file is generated by
[`docs/walkthrough.py`](walkthrough.py), which does the whole thing from scratch on this
machine and cleans up after itself; `tests/test_walkthrough.py` runs it end to end and checks
the facts a reader relies on, so this page cannot rot silently. Regenerate it with:

```sh
.venv/bin/python docs/walkthrough.py            # writes docs/walkthrough.md; a minute or two
```

## What runs here, and what stands in for production

The script works in a temporary copy of this repository (its own git history, `main` and the
pull-request branches below). Three things are changed for this machine, in the first commit,
before the walkthrough starts:

- **The platform.** Paper and live run Kubernetes through the command driver in the sample.
  Here they run the **sandbox platform** (`qm sandbox serve`: one process per component, in the
  environment's mode, with its dry-run broker and demo feed in memory) under the process
  driver, on free ports of 127.0.0.1. The policy gate refuses the sandbox for paper and live
  (QM-RUN-002), so the copy carries six expiring waivers, one per environment and component:
  an exception made on purpose, visible in every `qm check` below.
- **The services.** Paper and live each have a PostgreSQL database of their own on the local
  server (state store, journal, records, trading schema) and share a private `redis-server` on
  a free port (control keys under `qm:paper:` and `qm:live:`, mirrored from each store).
  Paper's URLs are the environment variables its catalog names (`QM_PAPER_POSTGRES_URL`,
  `QM_PAPER_REDIS_URL`); live's are **live-scoped secret files**, the catalog's providers moved
  from `/run/secrets/…` to a directory of the run. Every URL carries a random password (the
  Redis server requires it; PostgreSQL's local trust authentication ignores it), so that a
  leak would show: `qm` names a store with its password masked (`***`), and the test checks
  that the password is in no output and no stored row. Database names and the
  temporary directory are shown as `qm_walkthrough_paper`, `qm_walkthrough_live` and
  `/tmp/qm-walkthrough` (the script replaces the run's random names); ports are the run's.
- **The clock.** Paper's evidence is only evidence once its observation window is over (the
  end of the next session), and live deploys only outside market hours. So every `qm` command
  runs under [libfaketime](https://github.com/wolfcw/libfaketime) (the `libfaketime` package of
  the test extra, through `LD_PRELOAD`) at a moment of one week in New York: Monday
  30 November 2026 to Wednesday 2 December, EST (UTC-5), the clock running on from there. The
  platform's processes, PostgreSQL and Redis keep the real time.

Why this is still an honest run of live: `qm` cannot tell the difference. Live's desired state
is the sample's (mode live, its risk limits, blocked symbols, approvals, staffing, deploy
window, heightened monitoring); its secrets resolve in live's scope only; every gate — the
policy gate on the applied commit, the deploy window on the XNYS calendar, the paper evidence
in paper's store, the typed confirmation — the lock, the journal, the migrations, the checks
and the records are the real code against real PostgreSQL and Redis. What is not here is a
broker: the sandbox's dry-run broker answers instead, so no order leaves the machine, and the
checks (mode shown, blocked symbols refused, risk limits loaded, reconciliation) run against it.
"""


def _edit_release(walk: Walk, release: str) -> None:
    edit(
        walk,
        release,
        "  name: 2026.12.0\n",
        "  name: 2026.12.0\n  description: Order entry latency fix in api and workers 3.4.0.\n",
    )
    edit(walk, release, "    api: 3.3.1\n    workers: 3.3.2\n", "    api: 3.4.0\n    workers: 3.4.0\n")
    edit(walk, release, "    config: []\n", "    config: [api and workers 3.4.0 (order entry latency fix)]\n")
    edit(
        walk,
        release,
        "  checklist: {}\n",
        "  checklist:\n    release_change_checklist: {by: li.eng, at: 2026-11-30, reference: RCC-2026.12.0}\n",
    )


def _record_paper_evidence(walk: Walk, release: str, paper_id: str) -> None:
    edit(
        walk,
        release,
        "  validation: {}\n",
        "  validation:\n"
        "    paper:\n"
        "      environment: paper\n"
        f"      deployment: {paper_id}\n"
        "      started: 2026-11-30\n"
        "      completed: 2026-12-01\n"
        "      result: passed\n"
        "      checks: {startup_flow: true, account_summary_matches_broker: true, order_placement: true,\n"
        "               order_cancel: true, fills_captured: true, positions_reconcile: true,\n"
        "               end_of_day_reconciliation: true, emergency_halt_tested: true}\n"
        "      approved: {by: maria.head-of-trading, at: 2026-12-01, reference: GOLIVE-15}\n",
    )
    edit(
        walk,
        release,
        "    rollback_plan_reviewed: {by: dana.ops, at: 2026-11-30}\n",
        "    rollback_plan_reviewed: {by: dana.ops, at: 2026-11-30}\n"
        "    production_readiness_review: {by: sam.cto, at: 2026-12-01, reference: PRR-2026-12}\n",
    )


def edit(walk: Walk, file: str, old: str, new: str) -> None:
    """An engineer's edit: `old` (exactly once in `file`) becomes `new`."""
    path = walk.repo / file
    text = path.read_text()
    if text.count(old) != 1:
        raise SystemExit(f"walkthrough: {old!r} is not in {file} exactly once")
    path.write_text(text.replace(old, new))


CHECK_FAILS = (8, 2)  # `qm check`: the findings and the first waiver, then the verdict
CHECK_PASSES = (7, 2)


def story(walk: Walk) -> None:
    release = "releases/2026.12.0.yaml"
    walk.say(INTRO)
    walk.say("The sandbox platform in paper and live (the same block in both files, each with its own ports):")
    walk.file("environments/paper.yaml", "  runtime:", "    checks:")
    walk.file("policies/waivers.yaml", "waivers:")

    walk.at(MONDAY_MORNING)
    walk.say("""
## Monday 10:00 EST: the release, as a pull request

Paper runs 2026.11.1 and live 2026.11.0 in the desired state; nothing is deployed yet on this
machine. The engineer scaffolds 2026.12.0 from the newest release on a branch:
""")
    walk.show("validate")
    walk.shell("switch", "-q", "-c", "release-2026.12.0")
    walk.show("release", "new", "2026.12.0")
    _edit_release(walk, release)
    walk.say("""
Then edits it: the new api and workers versions, what changes, and the release change
checklist (guide §5). No migration this time, so the database revision stays where 2026.11.1
left it:
""")
    walk.file(release)
    walk.say("Paper gets it first (a non-live promotion needs no evidence):")
    walk.show("promote", "2026.12.0", "--to", "paper")
    walk.say("""
The pull request's gate is `qm check --base main` (the `policy` workflow): validation, every
rule of the pack over the whole desired state, and the delta rules over the change. It fails:
""")
    walk.shell("add", "-A")
    walk.shell("commit", "-qm", "release 2026.12.0, to paper")
    walk.show("check", "--base", "main", expect=1, keep=CHECK_FAILS)
    edit(
        walk,
        release,
        "RCC-2026.12.0}\n",
        "RCC-2026.12.0}\n    rollback_plan_reviewed: {by: dana.ops, at: 2026-11-30}\n",
    )
    walk.say("""
A release that runs somewhere needs its rollback plan reviewed (`rollback_plan_reviewed`, guide
§13). With the review recorded the gate passes, and `qm diff` is what reviewers read (the
`pr-summary` workflow posts it as markdown):
""")
    walk.shell("commit", "-qam", "release 2026.12.0: rollback plan reviewed")
    walk.show("check", "--base", "main", keep=CHECK_PASSES)
    walk.show("diff", "--base", "main")
    walk.say("The pull request is reviewed and merged:")
    walk.shell("switch", "-q", "main")
    walk.shell("merge", "-q", "--ff-only", "release-2026.12.0")
    walk.show("validate")

    walk.at(MONDAY_EVENING)
    walk.say("""
## Monday 17:30 EST: paper

Paper deploys outside market hours like live (`allow: market_closed`, 15 minutes' margin), so
that a restart never cuts the session observed as evidence. After the close the operator looks
at the plan: the guide's §11 order, trading paused (REDUCING for paper) before the first
service changes and enabled only after the checks and the reconciliation:
""")
    walk.show("plan", "paper")
    walk.say("""
`--yes` confirms a non-live apply. Each step is journaled in paper's store before and after it
acts; the migrations bring the empty database to the release's revision:
""")
    apply = walk.show("apply", "paper", "--yes")
    walk.note_processes()
    found = re.search(r"deployment (dep-paper-[\w.-]+) succeeded", apply.output)
    if found is None:
        raise SystemExit("walkthrough: no paper deployment id in\n" + apply.output)
    paper_id = walk.facts["paper_deployment"] = found.group(1)
    walk.show("status", "paper")
    walk.say("""
The deployment record (guide §16) is in paper's store. Its monitoring window is paper's
"through the session": it ends at the close of the next session, Tuesday 16:00 EST.
""")
    walk.show("history", "paper")

    walk.at(TUESDAY_MORNING)
    walk.say(f"""
## Tuesday 10:00 EST: too early for live

The release is in paper and watched through Tuesday's session. A promotion to live needs the
paper record as `--evidence`, and `qm promote` looks it up in paper's state store (resolved in
paper's scope). While the observation window runs, {paper_id} is not evidence yet;
nothing is written:
""")
    walk.show("promote", "2026.12.0", "--to", "live", "--evidence", paper_id, expect=1)

    walk.at(TUESDAY_EVENING)
    walk.say(f"""
## Tuesday 17:30 EST: the promotion to live

Paper's session is over without an incident. The engineer records the paper validation in the
release (the checks of guide §8 that people verified during the session, and the head of
trading's approval), cites {paper_id}, adds the production readiness review live needs, and
promotes on a new branch:
""")
    walk.shell("switch", "-q", "-c", "live-2026.12.0")
    _record_paper_evidence(walk, release, paper_id)
    walk.file(release, "  checklist:")
    walk.show("promote", "2026.12.0", "--to", "live", "--evidence", paper_id)
    walk.say("""
The promotion moved live's pin and the strategy and analytics versions the release pins, and
nothing else. The live pull request passes the gate, which checks the live rules too (the
paper validation for the new pin, QM-CHG-007; the readiness review, QM-REL-009):
""")
    walk.shell("add", "-A")
    walk.shell("commit", "-qm", "promote 2026.12.0 to live")
    walk.show("check", "--base", "main", keep=CHECK_PASSES)
    walk.say("Reviewed and merged:")
    walk.shell("switch", "-q", "main")
    walk.shell("merge", "-q", "--ff-only", "live-2026.12.0")
    walk.flush()
    walk.say("""
Live's own preconditions are in its environment file: the go-live approvals (guide §9) and who
is on duty. `qm apply live` refuses without every approval, without an operator and an engineer
on standby (`staffing`, or `--operator`/`--engineer`), and without the paper record:
""")
    walk.file("environments/live.yaml", "  staffing:", "  runtime:")

    walk.at(WEDNESDAY_MORNING)
    walk.say("""
## Wednesday 10:00 EST: live is refused in session

Live deploys only while XNYS is closed, with an hour's margin. Readiness is decided before
anything is asked or changed, so the refusal comes at once, with the next window:
""")
    walk.show("apply", "live", expect=1, answer="live")
    walk.say("""
`--break-glass REASON` would override the window and record a `break_glass` incident with the
reason on the deployment; an upgrade that can wait for the evening does not use it.
""")

    walk.at(WEDNESDAY_EVENING)
    walk.say("""
## Wednesday 18:00 EST: live

The window is open. The plan pauses live to HALTED (never REDUCING) before the first change:
""")
    walk.show("plan", "live")
    walk.say("""
`qm apply live` has no `--yes` that skips the question: it shows the plan and asks for the
environment's name, typed at a terminal (the script types `live` on a pseudo-terminal; the
block is what the terminal showed). Readiness names the paper evidence it found in paper's
store:
""")
    live = walk.show("apply", "live", answer="live")
    walk.note_processes()
    found = re.search(r"deployment (dep-live-[\w.-]+) succeeded", live.output)
    if found is None:
        raise SystemExit("walkthrough: no live deployment id in\n" + live.output)
    walk.facts["live_deployment"] = found.group(1)
    walk.say("""
Trading went ACTIVE only in the last steps, after the health, smoke and safety checks and the
reconciliation had passed. Live is in sync, and in its heightened monitoring window (guide §14:
24 hours, and at least through the first full session after the deployment, Thursday's):
""")
    walk.show("status", "live")
    walk.say("""
The record a person files (guide §16), from live's store:
""")
    walk.show("history", "live", "--format", "markdown")

    walk.say("""
## Afterwards

The sandbox processes keep running until they are stopped; `qm down` halts trading first, then
stops ui, workers and api (the script then drops both databases and stops its Redis):
""")
    walk.show("down", "live")
    walk.show("down", "paper")


def run_walkthrough(
    postgres: str = PG_DEFAULT, keep: bool = False, inspect: Callable[[Walk], None] | None = None
) -> Walk:
    """The whole walkthrough; `inspect(walk)` runs before the clean-up (the stores still exist)."""
    with machine(postgres, keep=keep) as walk:
        story(walk)
        if inspect is not None:
            inspect(walk)
    return walk


def document(walk: Walk) -> str:
    return "\n".join(walk.doc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "walkthrough.md")
    parser.add_argument("--facts", type=Path, default=None, help="Also write each command and its exit code (JSON).")
    parser.add_argument("--postgres", default=PG_DEFAULT, help="A PostgreSQL server URL (its databases are created).")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory.")
    args = parser.parse_args()
    walk = run_walkthrough(args.postgres, keep=args.keep)
    args.out.write_text(document(walk))
    if args.facts is not None:
        runs = [{"command": r.shown, "exit": r.code, "at": r.at.isoformat(), "seconds": r.seconds} for r in walk.runs]
        args.facts.write_text(json.dumps({**walk.facts, "runs": runs}, indent=2))
    print(f"wrote {args.out}: {len(walk.runs)} commands")


if __name__ == "__main__":
    main()
