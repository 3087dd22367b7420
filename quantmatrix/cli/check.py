"""`qm check`: validation + the policy gate, rendered for people or CI."""

from __future__ import annotations

from datetime import datetime

import click

from quantmatrix.cli import completion
from quantmatrix.cli.options import gate_options, path_argument, ref_option
from quantmatrix.cli.output import echo
from quantmatrix.errors import ConfigError, ExitCode, Problem, QMError
from quantmatrix.policy.formats import FORMATS
from quantmatrix.render.inert import multiline


@click.command()
@path_argument
@ref_option
@gate_options
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="text", show_default=True)
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to FILE instead of stdout.",
)
@click.option("--fail-on-warn", is_flag=True, help="Warnings fail the gate too (exit 1).")
@click.option(
    "--waivers",
    "waivers",
    type=click.Path(dir_okay=False, exists=True),
    help="Waivers file (default: policies/waivers.yaml of the checked tree).",
)
@click.option(
    "--base",
    "base_ref",
    default=None,
    metavar="REF",
    shell_complete=completion.git_refs,
    help="Also judge the change against this git ref (delta rules, policies/change.rego).",
)
@click.option(
    "--base-pack",
    "base_pack",
    is_flag=True,
    help="With --base: also judge the head with the base ref's policy pack (settings and waivers); findings of either pack fail the gate.",
)
def check(
    path: str,
    ref: str | None,
    engine: str,
    opa_url: str | None,
    fmt: str,
    output: str | None,
    fail_on_warn: bool,
    waivers: str | None,
    today: datetime | None,
    base_ref: str | None = None,
    base_pack: bool = False,
) -> None:
    """Validate the desired state under PATH and run the policy pack over it.

    Exit 0 pass, 1 violations (denials; warnings too with --fail-on-warn), 2 invalid input,
    broken policy or engine failure (the gate fails closed), 3 OPA server unreachable.
    With --base REF --base-pack, the base ref's pack judges the head too: a pull request that
    weakens a rule cannot pass its own gate.
    """
    if base_pack and not base_ref:
        raise click.UsageError("--base-pack needs --base REF (the ref whose policy pack also judges the change)")
    try:
        report, passed = _report(path, ref, engine, opa_url, fmt, fail_on_warn, waivers, today, base_ref, base_pack)
    except QMError as error:
        if fmt != "json":
            raise
        from quantmatrix.policy.formats.json import render_error

        # the JSON consumer gets the problems too (stdout or --output); the edge still prints
        # them on stderr and exits with the error's code
        _write(render_error(error, path if ref is None else f"{path}@{ref}"), output, quiet=True)
        raise
    _write(report, output)
    if not passed:
        raise click.exceptions.Exit(int(ExitCode.VIOLATIONS))


def _report(
    path: str,
    ref: str | None,
    engine: str,
    opa_url: str | None,
    fmt: str,
    fail_on_warn: bool,
    waivers: str | None,
    today: datetime | None,
    base_ref: str | None,
    base_pack: bool,
) -> tuple[str, bool]:
    from quantmatrix.usecases.check import check as run_check

    # with --base, the base's problems are named git-style (`main:environments/live.yaml:46:5`),
    # as by `qm diff`
    day = today.date() if today else None
    result = run_check(
        path,
        ref,
        engine=engine,
        opa_url=opa_url,
        waivers=waivers,
        today=day,
        fail_on_warn=fail_on_warn,
        base_ref=base_ref,
        base_pack=base_pack,
        freeze_loaded=True,
    )
    return FORMATS[fmt].render(result), result.passed


def _write(report: str, output: str | None, quiet: bool = False) -> None:
    """The report to --output (never with the text format's colours) or stdout. `quiet`: the
    error document of a failed run, whose own write failure must not hide the first error."""
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                # a file never gets the text format's colours, and is as inert as the terminal
                handle.write(multiline(click.unstyle(report)))
        except OSError as error:
            if not quiet:
                raise ConfigError(Problem(output, message=f"cannot write the report: {error.strerror}")) from None
    else:
        echo(report, nl=False)
