"""`qm promote`: pin an environment to a release (paper evidence required for live)."""

from __future__ import annotations

import click

from quantmatrix.cli import completion
from quantmatrix.cli.options import path_argument
from quantmatrix.cli.output import echo, style


@click.command()
@click.argument("release", shell_complete=completion.releases)
@path_argument
@click.option(
    "--to",
    "environment",
    required=True,
    metavar="ENV",
    shell_complete=completion.environments,
    help="Environment whose release pin moves.",
)
@click.option(
    "--evidence", metavar="ID|FILE", help="Paper deployment record id (or a YAML evidence block); required for live."
)
@click.option(
    "--store",
    "store_url",
    metavar="URL",
    help="Look --evidence up in this state store (default: the paper environment's own, when it can be read here).",
)
@click.option(
    "--max-evidence-age",
    "max_age_days",
    type=click.IntRange(1, 3650),
    default=30,
    show_default=True,
    metavar="DAYS",
    help="With --store: the paper deployment must have finished within DAYS.",
)
@click.option("--dry-run", is_flag=True, help="Show the edits and check they validate, write nothing.")
def promote(
    release: str,
    path: str,
    environment: str,
    evidence: str | None,
    store_url: str | None,
    max_age_days: int,
    dry_run: bool,
) -> None:
    """Pin ENV to RELEASE: spec.release, the strategy versions and the analytics logic version
    the release pins, edited in the environment's file with comments and formatting kept.

    A live environment needs --evidence: a paper deployment id, looked up in the paper
    environment's state store (or --store URL): succeeded, every validation result passed,
    observed, recent. Where that store cannot be read here (its URL secret unset), the id must
    match the release's passed paper validation in its manifest. Exit 1 when refused, 2 if
    the input or the result is invalid, 3 if the store is unreachable; nothing is written then.
    """
    from datetime import timedelta

    from quantmatrix.usecases.promote import promote as run_promotion

    done = run_promotion(
        path, release, environment, evidence, dry_run=dry_run, store_url=store_url, max_age=timedelta(days=max_age_days)
    )
    if not done.edits:
        echo(f"{environment} already runs {release}: nothing to change")
        return
    verb = "would pin" if dry_run else "pinned"
    echo(f"{style(verb, 'green')} {environment} to {release} (was {done.previous}) in {done.file}")
    width = max(len(label) for label, _, _ in done.edits)
    for label, old, new in done.edits:
        echo(f"  {label:<{width}}  {old} → {new}")
    if done.evidence and done.evidence_source.startswith("the state store"):
        echo(
            f"evidence: paper deployment {done.evidence} in {done.evidence_source} (succeeded, every validation result passed)"
        )
    elif done.evidence:
        echo(f"evidence: paper deployment {done.evidence} matches releases/{release} validation.paper (passed)")
