"""`qm diff`: what a change does to each environment and release, semantically."""

from __future__ import annotations

from datetime import datetime

import click

from quantmatrix.cli import completion
from quantmatrix.cli.edge import report_problems
from quantmatrix.cli.options import gate_options, path_argument
from quantmatrix.cli.output import echo
from quantmatrix.errors import ExitCode


@click.command()
@path_argument
@click.option(
    "--base",
    "base_ref",
    required=True,
    metavar="REF",
    shell_complete=completion.git_refs,
    help="Compare against this git ref (e.g. main, origin/main).",
)
@click.option(
    "--head",
    "head_ref",
    default=None,
    metavar="REF",
    shell_complete=completion.git_refs,
    help="Compare this git ref (default: the work tree).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are changes, 0 when there are none (like git diff).")
@click.option(
    "--check/--no-check",
    "with_check",
    default=True,
    show_default=True,
    help="markdown: include the policy gate on the head, with the change.",
)
@gate_options
def diff(
    path: str,
    base_ref: str,
    head_ref: str | None,
    fmt: str,
    exit_code: bool,
    with_check: bool,
    engine: str,
    opa_url: str | None,
    today: datetime | None,
) -> None:
    """Semantic diff of the desired state under PATH: BASE → HEAD, per environment (effective,
    after layering; live first) and per release.

    `--format markdown` is the pull-request summary, with the policy gate's result (`qm check
    --base --base-pack`: the head judged by its own pack and by the base's). Exit 0 whether or not there are changes (1 with --exit-code when there are);
    2 on invalid input; with markdown, 2 also when the gate cannot run (the summary says why).
    """
    from quantmatrix.usecases.diff import review

    markdown = fmt == "markdown"
    day = today.date() if today else None
    reviewed = review(
        path, base_ref, head_ref, judge=markdown and with_check, engine=engine, opa_url=opa_url, today=day
    )
    judged = reviewed.judged
    if markdown:
        from quantmatrix.diff.markdown import render_markdown

        result, note = (judged.result, judged.note) if judged is not None else (None, "")
        echo(render_markdown(reviewed.diff, result, note), nl=False)
    elif fmt == "json":
        from quantmatrix.diff.json import render_json

        echo(render_json(reviewed.diff), nl=False)
    else:
        from quantmatrix.diff.text import render_text

        echo(render_text(reviewed.diff), nl=False)
    if judged is not None and judged.failure is not None:
        report_problems(judged.failure)
        raise click.exceptions.Exit(int(judged.failure.exit_code))
    if exit_code and not reviewed.diff.empty:
        raise click.exceptions.Exit(int(ExitCode.VIOLATIONS))
