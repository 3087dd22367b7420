"""The secret resolver: providers, refusals at run time, and a value type that never prints."""

from __future__ import annotations

import copy
import json
import logging
import os
import pickle
import traceback
from pathlib import Path
from typing import Any

import pytest
from canary import Canary

from quantmatrix.errors import ExitCode
from quantmatrix.model.secrets import SecretCatalog
from quantmatrix.runtime.secrets import (
    MAX_FILE_BYTES,
    RedactingFilter,
    SecretMissing,
    SecretRefused,
    SecretValue,
    connection_url,
    redact,
    resolve_secret,
)

ROOT = Path(__file__).resolve().parents[2]


def catalog(**entries: dict[str, Any]) -> SecretCatalog:
    return SecretCatalog.model_validate(
        {
            "apiVersion": "quantmatrix.io/v1",
            "kind": "SecretCatalog",
            "metadata": {"name": "secrets"},
            "spec": {"secrets": entries},
        }
    )


def env_entry(var: str, scope: str = "paper") -> dict[str, Any]:
    return {"scope": scope, "description": "d", "provider": {"env": var}}


def file_entry(path: Path | str, scope: str = "live") -> dict[str, Any]:
    return {"scope": scope, "description": "d", "provider": {"file": str(path)}}


# --- providers --------------------------------------------------------------------------


def test_an_environment_variable_in_scope_resolves() -> None:
    secret = resolve_secret(
        catalog(QM_A=env_entry("QM_A_VAR")), "QM_A", mode="paper", environ={"QM_A_VAR": "s3cr3t-value"}
    )
    assert secret.reveal() == "s3cr3t-value" and secret.name == "QM_A"


def test_a_file_resolves_with_one_trailing_newline_stripped(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("line1\nline2\n\n")
    secret = resolve_secret(catalog(QM_F=file_entry(tmp_path / "key")), "QM_F", mode="live")
    assert secret.reveal() == "line1\nline2\n"  # a PEM key keeps its inner newlines


def test_a_kubernetes_style_symlink_inside_the_secret_directory_resolves(tmp_path: Path) -> None:
    (tmp_path / "..data").mkdir()
    (tmp_path / "..data" / "key").write_text("from-k8s")
    (tmp_path / "key").symlink_to("..data/key")
    assert resolve_secret(catalog(QM_F=file_entry(tmp_path / "key")), "QM_F", mode="live").reveal() == "from-k8s"


# --- refusals ---------------------------------------------------------------------------


def test_a_secret_out_of_scope_is_refused_even_when_its_value_is_there() -> None:
    live = catalog(QM_LIVE_KEY=env_entry("QM_LIVE_KEY", scope="live"))
    with pytest.raises(SecretRefused) as caught:
        resolve_secret(live, "QM_LIVE_KEY", mode="local", environ={"QM_LIVE_KEY": "live-key-value"})
    assert caught.value.exit_code == ExitCode.VIOLATIONS
    [problem] = caught.value.problems
    assert problem.path == "spec.secrets.QM_LIVE_KEY"
    assert (
        problem.message
        == "secret QM_LIVE_KEY is scoped to live, not local: refused (a local environment cannot use it)"
    )
    assert "live-key-value" not in str(caught.value)


@pytest.mark.parametrize("mode", ["local", "paper", "backtest"])
def test_every_sample_live_secret_is_refused_to_every_other_mode(mode: str) -> None:
    from quantmatrix.repo.loader import load

    state = load(ROOT)
    assert state.catalog is not None
    live_names = [n for n, e in state.catalog.spec.secrets.items() if e.scope.value == "live"]
    assert live_names
    for name in live_names:
        with pytest.raises(SecretRefused):
            resolve_secret(state.catalog, name, mode=mode, environ={})


def test_a_name_not_in_the_catalog_is_refused() -> None:
    with pytest.raises(SecretRefused, match="QM_NOPE is not declared in the catalog"):
        resolve_secret(catalog(), "QM_NOPE", mode="paper", environ={"QM_NOPE": "x"})


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError):
        resolve_secret(catalog(QM_A=env_entry("QM_A")), "QM_A", mode="production", environ={"QM_A": "x"})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "secret QM_A is not set: export QM_A_VAR"),
        ({"QM_A_VAR": ""}, "is empty"),
        ({"QM_A_VAR": " \n"}, "is empty"),
    ],
)
def test_missing_or_empty_values_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SecretMissing, match=message) as caught:
        resolve_secret(catalog(QM_A=env_entry("QM_A_VAR")), "QM_A", mode="paper", environ=environ)
    assert caught.value.exit_code == ExitCode.INVALID


def _file_problem(tmp_path: Path, path: Path | str) -> str:
    with pytest.raises(SecretMissing) as caught:
        resolve_secret(catalog(QM_F=file_entry(path)), "QM_F", mode="live")
    return caught.value.problems[0].message


def test_hostile_secret_files_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "shadow").write_text("not-for-you")
    secrets_dir = tmp_path / "run-secrets"
    secrets_dir.mkdir()
    (secrets_dir / "escape").symlink_to(outside / "shadow")
    (secrets_dir / "loop").symlink_to(secrets_dir / "loop")
    (secrets_dir / "big").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    (secrets_dir / "binary").write_bytes(b"\xff\xfe\x00")
    (secrets_dir / "empty").write_text("\n")
    (secrets_dir / "dir").mkdir()
    os.mkfifo(secrets_dir / "fifo")  # a FIFO would block a naive open(): refused without blocking
    assert "symlink out of its directory" in _file_problem(tmp_path, secrets_dir / "escape")
    assert "does not exist" in _file_problem(tmp_path, secrets_dir / "loop")
    assert "does not exist" in _file_problem(tmp_path, secrets_dir / "absent")
    assert "larger than 65536 bytes" in _file_problem(tmp_path, secrets_dir / "big")
    assert "not UTF-8" in _file_problem(tmp_path, secrets_dir / "binary")
    assert "is empty" in _file_problem(tmp_path, secrets_dir / "empty")
    assert "not a regular file" in _file_problem(tmp_path, secrets_dir / "dir")
    assert "not a regular file" in _file_problem(tmp_path, secrets_dir / "fifo")
    assert "not an absolute path" in _file_problem(tmp_path, "run-secrets/big")
    assert "not-for-you" not in _file_problem(tmp_path, secrets_dir / "escape")


# --- the value never prints -------------------------------------------------------------


def test_a_secret_value_never_prints(canary: Canary) -> None:
    secret = canary.resolve()
    shown = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret:>40}",
        "%s %r" % (secret, secret),  # noqa: UP031  (one way a value prints)
        format(secret, ""),
    ]
    shown += [repr([secret]), repr({"k": secret}), str(ValueError(secret)), str(ValueError("x", secret))]
    canary.assert_absent(*shown, where="printing")
    assert str(secret) == "<secret QM_CANARY_SECRET>"
    with pytest.raises(TypeError, match="not JSON serializable"):
        json.dumps({"url": secret})
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(secret)
    assert copy.deepcopy({"s": secret})["s"] is secret  # copying keeps the one object, never a pickled form
    with pytest.raises(TypeError):
        _ = "prefix" + secret  # type: ignore[operator]
    assert not hasattr(secret, "__dict__")


def test_a_traceback_with_locals_does_not_show_the_value(canary: Canary) -> None:
    def fails(secret: SecretValue) -> None:
        raise RuntimeError(f"could not connect with {secret}")

    try:
        fails(canary.resolve())
    except RuntimeError as error:
        text = "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())
    assert "could not connect with <secret QM_CANARY_SECRET>" in text
    canary.assert_absent(text, where="traceback with locals")


def test_connection_url_hides_the_password_and_never_quotes_a_bad_url(canary: Canary, make_canary: Any) -> None:
    url = connection_url(canary.resolve())
    assert url.password == canary.value.split(":")[2].split("@")[0]
    assert url.host == "127.0.0.1" and url.database == "qm"
    canary.assert_absent(str(url), repr(url), where="sqlalchemy URL")
    bad = make_canary(mode="paper", name="QM_BAD_URL")  # a bare token is no URL
    with pytest.raises(SecretMissing, match="secret QM_BAD_URL is not a valid database URL") as caught:
        connection_url(bad.resolve())
    text = "".join(traceback.format_exception(caught.value))
    bad.assert_absent(text, where="the error of a malformed URL")


# --- redaction --------------------------------------------------------------------------


def test_redact_replaces_every_resolved_value_even_a_short_one(
    make_canary: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QM_SHORT", "pw42")
    short = resolve_secret(catalog(QM_SHORT=env_entry("QM_SHORT")), "QM_SHORT", mode="paper")
    url = make_canary(mode="paper", url=True).resolve()
    password = url.reveal().split(":")[2].split("@")[0]
    text = redact(f"login pw42 to {url.reveal()} then {password} alone")
    assert "pw42" not in text and password not in text and "<redacted>" in text
    del short


def test_a_value_no_longer_held_is_no_longer_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    monkeypatch.setenv("QM_TMP", "ephemeral-value-7")
    secret = resolve_secret(catalog(QM_TMP=env_entry("QM_TMP")), "QM_TMP", mode="paper")
    assert "ephemeral-value-7" not in redact("ephemeral-value-7")
    del secret
    gc.collect()
    assert redact("ephemeral-value-7") == "ephemeral-value-7"  # weakly held: the registry does not keep values alive


def test_the_filter_redacts_messages_arguments_tracebacks_and_extras(
    canary: Canary, caplog: pytest.LogCaptureFixture
) -> None:
    secret = canary.resolve()
    logger = logging.getLogger("qm.test.redaction")
    caplog.handler.addFilter(RedactingFilter())
    logger.warning("connecting to %s", secret.reveal())  # the mistake the filter exists for
    logger.warning("url=" + secret.reveal(), extra={"dsn": secret.reveal()})
    try:
        raise ConnectionError(f"refused: {secret.reveal()}")
    except ConnectionError:
        logger.exception("connect failed")
    logger.warning("bad %d format", "args")  # unformattable: kept, not raised
    assert len(caplog.records) == 4
    canary.assert_absent(caplog.text, *(str(vars(r)) for r in caplog.records), where="caplog")
    assert "connecting to <redacted>" in caplog.text and "ConnectionError: refused: <redacted>" in caplog.text
    assert caplog.records[1].dsn == "<redacted>"


def test_the_filter_redacts_what_the_detectors_flag_even_if_never_resolved(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RedactingFilter())
    logging.getLogger("qm.test.redaction").warning("dsn is postgresql://qm:hunter2-never-resolved@db.internal/qm")
    assert (
        "hunter2-never-resolved" not in caplog.text and "<redacted>" in caplog.text
    )  # how much of the URL goes is the detectors' call
