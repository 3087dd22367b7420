"""`qm`: the command line. Thin: parse arguments, call one library function, render.

Commands live in their own modules and are imported only when invoked, so that
`qm validate` starts fast and never imports SQLAlchemy, redis or httpx. Adding a command is
one module plus one entry in `COMMANDS`.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from quantmatrix import __version__
from quantmatrix.cli.edge import run

# name → "module:attribute" of the click command
COMMANDS: dict[str, str] = {
    "validate": "quantmatrix.cli.validate:validate",
    "render": "quantmatrix.cli.render:render",
    "schema": "quantmatrix.cli.schema:schema",
    "check": "quantmatrix.cli.check:check",
    "policy": "quantmatrix.cli.policy:policy",
    "diff": "quantmatrix.cli.diff:diff",
    "release": "quantmatrix.cli.release:release",
    "promote": "quantmatrix.cli.promote:promote",
    "plan": "quantmatrix.cli.plan:plan",
    "apply": "quantmatrix.cli.apply:apply",
    "status": "quantmatrix.cli.status:status",
    "rollback": "quantmatrix.cli.rollback:rollback",
    "halt": "quantmatrix.cli.operate:halt",
    "resume": "quantmatrix.cli.operate:resume",
    "down": "quantmatrix.cli.operate:down",
    "reconcile": "quantmatrix.cli.reconcile:reconcile",
    "sandbox": "quantmatrix.cli.sandbox:sandbox",
    "checks": "quantmatrix.cli.checks:checks",
    "history": "quantmatrix.cli.history:history",
    "serve": "quantmatrix.cli.serve:serve",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qm")
def cli() -> None:
    """QuantMatrix Deploy: validate version-pinned environments and releases, run the policy
    gate over them, review and propose release changes, and reconcile the running system:
    `plan`, `apply`, `status` (with `checks` and `sandbox`, they need the runtime extra).

    \b
    Exit codes:
      0   ok
      1   policy violations (or changes, with qm diff --exit-code); refused (qm apply)
      2   invalid input or usage, broken policy, engine failure
      3   a service the command needs is unavailable (e.g. the OPA server), or another
          apply holds the environment's lock
      4   the deployment failed (qm apply): the message says what state it left
      5   the plan changes something (qm plan --detailed-exitcode)
      70  internal error: a bug (the traceback is in the log file named on stderr)

    Shell completion: eval "$(_QM_COMPLETE=bash_source qm)" (zsh_source, fish_source).
    """


def main(argv: list[str] | None = None) -> None:
    # `quantmatrix` is an alias: named as invoked, so that its completion script
    # (`_QUANTMATRIX_COMPLETE=bash_source quantmatrix`) registers for `quantmatrix`, not `qm`
    invoked = os.path.basename(sys.argv[0]) if sys.argv else ""
    sys.exit(run(cli, argv, prog_name="quantmatrix" if invoked == "quantmatrix" else "qm"))
