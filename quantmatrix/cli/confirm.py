"""The confirmation `qm apply` and `qm rollback` ask before they change a running system:
`--yes` skips it except for live, which needs the environment's name typed at a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from quantmatrix.errors import Problem, Refused
from quantmatrix.reconcile.render import plan_text
from quantmatrix.reconcile.steps import Plan
from quantmatrix.render.terminal import echo


def plan_confirmation(
    command: str, environment: str, *, live: bool, yes: bool, question: str, live_prompt: str
) -> Callable[[Plan], bool]:
    """A `confirm(plan)` for the apply path; `question` and `live_prompt` may use `{release}`."""

    def confirm(the_plan: Plan) -> bool:
        if yes and not live:
            return True
        echo(plan_text(the_plan), nl=False)
        if not sys.stdin.isatty():
            live_note = " (live also needs typing the environment name at a terminal)" if live else ""
            raise Refused(Problem(subject=command, message="no terminal to confirm on: pass --yes" + live_note))
        if live:
            typed = click.prompt(live_prompt.format(release=the_plan.release), default="", show_default=False)
            return bool(typed == environment)
        return click.confirm(question.format(release=the_plan.release), default=False)

    return confirm
