"""The one error boundary: known errors become messages and exit codes, anything else a
short notice plus the path of a log file holding the traceback (never a traceback on screen)."""

from __future__ import annotations

import io
import os
import sys
import tempfile
import traceback

import click

from quantmatrix.cli.output import echo, style
from quantmatrix.errors import ExitCode, QMError
from quantmatrix.redaction import redact_text
from quantmatrix.render.inert import one_line

# Libraries of the extras (pyproject.toml), which the gate installs without: module → extra.
EXTRAS = {
    **dict.fromkeys(("sqlalchemy", "alembic", "redis", "httpx", "psycopg", "holidays", "prometheus_client"), "runtime"),
    **dict.fromkeys(("opa_client", "requests"), "opa"),
}


def report_problems(error: QMError) -> None:
    for problem in error.problems:
        where = problem.location()
        echo(
            (f"{style(where, 'cyan')}: " if where else "")
            + (f"{one_line(problem.path)}: " if problem.path else "")
            + one_line(problem.message),
            err=True,
        )
    noun = "problem" if len(error.problems) == 1 else "problems"
    echo(style(f"{len(error.problems)} {noun}", "red"), err=True)


def _log_crash() -> str:
    fd, path = tempfile.mkstemp(prefix="qm-crash-", suffix=".log")
    with os.fdopen(fd, "w") as log:  # a log is stored output too: redacted, never a secret
        log.write(redact_text(f"qm {' '.join(sys.argv[1:])}\n{traceback.format_exc()}"))
    return path


def run(group: click.Group, argv: list[str] | None, prog_name: str = "qm") -> int:
    try:
        # standalone_mode=False makes click *return* the code of a `click.exceptions.Exit`
        code = group.main(args=argv, prog_name=prog_name, standalone_mode=False)
        if isinstance(code, int):
            return code
    except QMError as error:
        report_problems(error)
        return int(error.exit_code)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        echo("Aborted.", err=True)
        return int(ExitCode.INVALID)
    except click.ClickException as error:  # usage errors echo arguments: through the net too
        shown = io.StringIO()
        error.show(file=shown)
        echo(shown.getvalue(), err=True, nl=False)
        return int(ExitCode.INVALID)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except KeyboardInterrupt:
        echo("Interrupted.", err=True)
        return 130
    except ModuleNotFoundError as error:
        extra = EXTRAS.get((error.name or "").split(".")[0])
        if extra is None:
            return _crash(error)
        echo(
            f"this needs the {extra} extra ({error.name} is not installed): pip install 'quantmatrix-deploy[{extra}]'",
            err=True,
        )
        return int(ExitCode.INVALID)
    except Exception as error:  # the edge: a bug, reported without a traceback on screen
        return _crash(error)
    return int(ExitCode.OK)


def _crash(error: Exception) -> int:
    path = _log_crash()
    # echo makes the path inert too: TMPDIR may hold anything
    echo(f"An unexpected error has occurred: {type(error).__name__}. Details: {path}", err=True)
    return int(ExitCode.INTERNAL)
