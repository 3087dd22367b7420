"""`qm history`: every record, newest first, in text, JSON and markdown (checked as a CommonMark
parser reads it); paging and filters on query; hostile content stays inert and no secret shows;
bad input exits 2, an unreachable store 3, never a traceback."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from quantmatrix.runtime.store import open_store
from quantmatrix.runtime.store.deployments import finish_deployment, start_deployment
from quantmatrix.runtime.store.events import record_check_results, record_incident

sys.path.insert(0, str(Path(__file__).parent))  # importlib mode: the shared helper
from fresh_store import url_for  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "runtime"))  # the shared check-result shape
from check_shape import CheckShape as Check  # noqa: E402

T0 = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
TOKEN = "ghp_Q8vR2mXk4LpT7nWc9ZsB3yHd6FjA1eUo5iKq"
HOSTILE = f"\x1b]0;pwned\x07\x1b[2J <img src=x onerror=alert(1)> [click](https://evil.example) **APPROVED** @everyone | # head `tick` \u202e token {TOKEN}"
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path):
    yield from url_for(request.param, tmp_path, request)


def deploy(
    store, release: str, at: datetime, *, status: str = "succeeded", hostile: bool = False, environment: str = "paper"
) -> str:
    text = HOSTILE if hostile else "ok"
    dep = start_deployment(
        store,
        environment,
        release,
        previous_release="2026.11.0",
        operator="dana.ops",
        engineer="li.eng",
        commit="c0ffee" * 6 + "abcd",
        config_version="cfg-1",
        config_changes=[f"Risk limits max_daily_loss: 5,000 → 7,500 {text}"],
        migration_changes=[],
        strategy_changes=["Strategies momentum_breakout version: 1.4.0 → 1.4.2"],
        mode="paper",
        break_glass_reason=text if hostile else None,
        now=at,
    )
    record_check_results(
        store,
        environment,
        [
            Check("health.api", "health", True, 0.012, "healthy", "healthy"),
            Check("safety.mode_displayed", "safety", status == "succeeded", 0.2, text),
        ],
        dep,
        now=at,
    )
    if hostile or status != "succeeded":
        record_incident(
            store,
            environment,
            "deploy_failed",
            f"step failed: {text}",
            detail=text,
            deployment_id=dep,
            recorded_by="qm",
            now=at,
        )
    finish_deployment(
        store,
        dep,
        status,
        summary=f"applied {release}: {text}",
        rollback_used=status == "rolled_back",
        monitoring_until=at + timedelta(hours=20),
        monitoring_intensity="active",
        monitoring_basis="end of the next XNYS session",
        now=at + timedelta(minutes=4, seconds=30),
    )
    return dep


def test_text_shows_every_field_of_guide_16(url: str, qm) -> None:
    store = open_store(url)
    dep = deploy(store, "2026.11.1", T0)
    code, out, err = qm("history", "paper", "--store", url)
    assert code == 0, err
    for fact in (
        dep,
        "succeeded",
        "2026.11.0 → 2026.11.1 [paper]",
        "started     2026-11-20 21:00:00 UTC",
        "finished 2026-11-20 21:04:30 UTC (4m 30s)",
        "operator    dana.ops   engineer li.eng",
        "c0ffee",
        "cfg-1",
        "max_daily_loss: 5,000 → 7,500",
        "momentum_breakout version: 1.4.0 → 1.4.2",
        "validation  2 passed, 0 failed",
        "incidents   none",
        "rollback    no",
        "monitoring  active until 2026-11-21 17:00:00 UTC (end of the next XNYS session)",
    ):
        assert fact in out, fact
    store.close()


def test_json_is_every_record_with_its_checks_and_incidents(url: str, qm) -> None:
    store = open_store(url)
    good = deploy(store, "2026.11.1", T0)
    bad = deploy(store, "2026.11.1", T0 + timedelta(days=1), status="rolled_back")
    deploy(store, "2026.11.1", T0, environment="live")  # another environment: not listed
    code, out, _ = qm("history", "paper", "--store", url, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["environment"] == "paper" and doc["total"] == 2
    assert [d["id"] for d in doc["deployments"]] == [bad, good]  # newest first
    newest = doc["deployments"][0]
    assert newest["rollback_used"] is True and newest["status"] == "rolled_back"
    assert [c["passed"] for c in newest["validation"]] == [True, False]
    assert newest["incidents"][0]["kind"] == "deploy_failed"
    assert newest["started_at"] == "2026-11-21T21:00:00Z" and newest["monitoring_intensity"] == "active"
    store.close()


def test_markdown_is_a_record_to_file_and_stays_inert(url: str, qm) -> None:
    store = open_store(url)
    deploy(store, "2026.11.0", T0)
    deploy(store, "2026.11.1", T0 + timedelta(days=2), status="failed", hostile=True)
    forged = start_deployment(
        store, "paper", "2026.11.1", config_changes=["- nested", "1. ordered"], now=T0 + timedelta(days=3)
    )
    finish_deployment(store, forged, "failed", summary="# forged heading\n---", now=T0 + timedelta(days=3))
    code, out, err = qm("history", "paper", "--store", url, "--format", "markdown")
    assert code == 0, err
    assert "forged heading" in out
    assert TOKEN not in out and TOKEN[4:20] not in out
    assert not UNSAFE.search(out), "a control or bidi character reached the markdown"
    tokens = MarkdownIt("commonmark").enable("table").parse(out)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in (t.children or [])}
    assert not kinds & {
        "html_inline",
        "html_block",
        "link_open",
        "image",
        "em_open",
        "strong_open",
        "hr",
        "ordered_list_open",
    }
    assert [t.tag for t in tokens if t.type == "heading_open"].count("h1") == 1  # the title only: no forged heading
    assert max(t.level for t in tokens if t.type == "bullet_list_open") == 0  # no list nested by a value
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    assert (
        len(headings) == 3
        and forged in headings[0]
        and "dep-paper-2026.11.1-1" in headings[1]
        and "dep-paper-2026.11.0-1" in headings[2]
    )
    sections = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h3"]
    assert (
        sections.count("Changes") == 3
        and sections.count("Validation results") == 3
        and sections.count("Incidents") == 3
    )
    # every table row has the header's number of cells: no value broke a table
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(rows) >= 2 * 13
    cells_per_table = []
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            end = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
            per_row: list[int] = []
            for j in range(i, end):
                if tokens[j].type == "tr_open":
                    per_row.append(0)
                elif tokens[j].type in ("th_open", "td_open"):
                    per_row[-1] += 1
            cells_per_table.append(per_row)
    assert cells_per_table and all(len(set(rows)) == 1 for rows in cells_per_table)
    text = "".join(c.content for t in tokens for c in (t.children or []) if c.type == "text")
    assert "<img src=x onerror=alert(1)>" in text  # shown as text, not as HTML
    assert "**APPROVED**" in text and "[click](https://evil.example)" in text
    store.close()


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings(k), *strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_text_and_json_carry_no_secret_and_no_raw_control_character(sqlite_url: str, qm, fmt: str) -> None:
    store = open_store(sqlite_url)
    deploy(store, "2026.11.1", T0, status="failed", hostile=True)
    code, out, err = qm("history", "paper", "--store", sqlite_url, "--format", fmt)
    assert code == 0, err
    assert TOKEN not in out and TOKEN[4:20] not in out and not UNSAFE.search(out)
    if fmt == "json":  # what a consumer decodes is visible text too, not the raw character
        decoded = "\n".join(strings(json.loads(out)))
        assert not UNSAFE.search(decoded) and "\\x1b]0;pwned" in decoded and TOKEN not in decoded
    store.close()


def test_every_record_is_kept_and_limit_offset_since_narrow_the_query(sqlite_url: str, qm) -> None:
    store = open_store(sqlite_url)
    ids = [
        start_deployment(store, "paper", "2026.11.1", mode="paper", now=T0 + timedelta(minutes=i)) for i in range(520)
    ]
    # checks and incidents are read per page in chunks of 500 ids: one on each side of the cut
    record_check_results(store, "paper", [Check("health.api", "health", True, 0.01, "first")], ids[0], now=T0)
    record_check_results(store, "paper", [Check("health.api", "health", False, 0.01, "last")], ids[-1], now=T0)
    record_incident(store, "paper", "break_glass", "middle", deployment_id=ids[260], now=T0)
    code, out, _ = qm("history", "paper", "--store", sqlite_url, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["total"] == 520 and [d["id"] for d in doc["deployments"]] == ids[::-1]
    by_id = {d["id"]: d for d in doc["deployments"]}
    assert [c["message"] for c in by_id[ids[0]]["validation"]] == ["first"] and [
        c["message"] for c in by_id[ids[-1]]["validation"]
    ] == ["last"]
    assert [i["summary"] for i in by_id[ids[260]]["incidents"]] == ["middle"]
    assert sum(len(d["validation"]) + len(d["incidents"]) for d in doc["deployments"]) == 3
    doc = json.loads(qm("history", "paper", "--store", sqlite_url, "--format", "json", "--limit", "10")[1])
    assert doc["total"] == 520 and [d["id"] for d in doc["deployments"]] == ids[:-11:-1]
    doc = json.loads(
        qm("history", "paper", "--store", sqlite_url, "--format", "json", "--limit", "5", "--offset", "515")[1]
    )
    assert [d["id"] for d in doc["deployments"]] == ids[4::-1]
    doc = json.loads(
        qm(
            "history",
            "paper",
            "--store",
            sqlite_url,
            "--format",
            "json",
            "--since",
            (T0 + timedelta(minutes=470)).isoformat(),
        )[1]
    )
    assert doc["total"] == 50 and len(doc["deployments"]) == 50
    code, out, _ = qm("history", "paper", "--store", sqlite_url, "--limit", "3")
    assert code == 0 and "520 deployments; showing 1-3, newest first" in out
    store.close()


def test_many_records_on_each_backend(url: str, qm) -> None:
    store = open_store(url)
    for i in range(120):
        start_deployment(store, "paper", "2026.11.1", mode="paper", now=T0 + timedelta(minutes=i))
    doc = json.loads(qm("history", "paper", "--store", url, "--format", "json")[1])
    assert doc["total"] == 120 and len(doc["deployments"]) == 120
    assert (
        len(json.loads(qm("history", "paper", "--store", url, "--format", "json", "--limit", "7")[1])["deployments"])
        == 7
    )
    store.close()


def test_local_reads_its_embedded_store_and_never_creates_one(sample_repo: Path, qm) -> None:
    db = sample_repo / ".qm" / "local" / "state.db"
    code, out, err = qm("history", "local", str(sample_repo))
    assert code == 0, err
    assert "no deployments recorded" in out and not db.exists()
    store = open_store(f"sqlite:///{db}")
    dep = start_deployment(store, "local", "2026.11.1", mode="local", now=T0)
    store.close()
    code, out, _ = qm("history", "local", str(sample_repo))
    assert code == 0 and dep in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["paper"], "secret QM_PAPER_POSTGRES_URL is not set: export QM_PAPER_POSTGRES_URL"),
        (["staging"], "no environment 'staging'"),
        (["local", "--since", "yesterday"], "--since: expected a date"),
        (["local", "--limit", "0"], "Invalid value for '--limit'"),
        (["local", "--offset", "-1"], "Invalid value for '--offset'"),
        (["local", "--store", "mysql://x/y"], "unsupported database"),
        (["local", "--store", "not a url"], "not a database URL"),
        (["local", "--store", "sqlite:////nonexistent/qm/state.db"], "no state store at /nonexistent/qm/state.db"),
        (["local", "--format", "html"], "Invalid value for '--format'"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(
    sample_repo: Path, qm, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.delenv("QM_PAPER_POSTGRES_URL", raising=False)
    code, out, err = qm("history", *args[:1], str(sample_repo), *args[1:])
    assert code == 2 and message in err, err
    assert "Traceback" not in err and out == ""


def test_paper_reads_the_store_its_runtime_section_names(
    url: str, sample_repo: Path, qm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """paper's runtime.store.url is {secret: QM_PAPER_POSTGRES_URL}: resolved in paper's scope."""
    store = open_store(url)
    dep = deploy(store, "2026.11.1", T0)
    store.close()
    monkeypatch.setenv("QM_PAPER_POSTGRES_URL", url)
    code, out, err = qm("history", "paper", str(sample_repo))
    assert code == 0 and dep in out, err
    password = "pw-that-must-not-show"
    monkeypatch.setenv("QM_PAPER_POSTGRES_URL", f"postgresql://qm:{password}@127.0.0.1:1/qm")
    code, _, err = qm("history", "paper", str(sample_repo))
    assert code == 3 and password not in err


def test_an_unreachable_store_is_exit_3_without_its_password(qm) -> None:
    code, _, err = qm("history", "paper", "--store", "postgresql://qm:s3cretpw@127.0.0.1:1/qm")
    assert code == 3 and "unavailable" in err and "s3cretpw" not in err
