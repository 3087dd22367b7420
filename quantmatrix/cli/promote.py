"""`qm promote`: pin an environment to a release (paper evidence required for live)."""

from __future__ import annotations

import click

from quantmatrix.cli import completion
from quantmatrix.cli.options import path_argument
from quantmatrix.cli.output import echo, style


@click.command()
@click.argument("release", shell_complete=completion.releases)
@path_argument
@click.option("--to", "environment", required=True, metavar="ENV", shell_complete=completion.environments, help="Environment whose release pin moves.")
@click.option("--evidence", metavar="ID|FILE", help="Paper deployment record id (or a YAML evidence block); required for live.")
@click.option("--dry-run", is_flag=True, help="Show the edits and check they validate, write nothing.")
def promote(release: str, path: str, environment: str, evidence: str | None, dry_run: bool) -> None:
    """Pin ENV to RELEASE: spec.release, the strategy versions and the analytics logic version
    the release pins, edited in the environment's file with comments and formatting kept.

    A live environment needs --evidence matching the release's passed paper validation
    (exit 1 when refused). The result is validated before it is written (exit 2 if invalid).
    """
    from quantmatrix.release.promote import promote as run_promotion

    done = run_promotion(path, release, environment, evidence, dry_run=dry_run)
    if not done.edits:
        echo(f"{environment} already runs {release}: nothing to change")
        return
    verb = "would pin" if dry_run else "pinned"
    echo(f"{style(verb, 'green')} {environment} to {release} (was {done.previous}) in {done.file}")
    width = max(len(label) for label, _, _ in done.edits)
    for label, old, new in done.edits:
        echo(f"  {label:<{width}}  {old} → {new}")
    if done.evidence:
        echo(f"evidence: paper deployment {done.evidence} matches releases/{release} validation.paper (passed)")
