"""`qm history ENV`: the deployment records of guide §16, newest first, every one kept."""

from __future__ import annotations

import click

from quantmatrix.cli.options import path_argument
from quantmatrix.cli.output import echo

MAX_LIMIT = 1_000_000  # = quantmatrix.reconcile.history.MAX_LIMIT (not imported: the CLI loads lazily)

store_option = click.option(
    "--store", "store_url", metavar="URL", help="Read this state store instead of the environment's own."
)


@click.command()
@click.argument("environment")
@path_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    default=None,
    metavar="N",
    help="Only the N newest records (default: all).",
)
@click.option(
    "--offset",
    type=click.IntRange(0, MAX_LIMIT),
    default=0,
    show_default=True,
    metavar="N",
    help="Skip the N newest (page with --limit).",
)
@click.option(
    "--since", metavar="DATE", help="Only deployments started at or after DATE (YYYY-MM-DD or ISO 8601, UTC)."
)
@store_option
def history(
    environment: str, path: str, fmt: str, limit: int | None, offset: int, since: str | None, store_url: str | None
) -> None:
    """The deployment records of ENVIRONMENT: release, when, who, commit, configuration,
    migration and strategy changes, validation results, incidents, rollback, monitoring
    window. `--format markdown` is the record to file. Exit 0, 2 invalid input, 3 unavailable."""
    from quantmatrix.reconcile.history import History, load_history, parse_since
    from quantmatrix.reconcile.history_formats import FORMATS
    from quantmatrix.runtime.targets import open_environment_store, open_store_url
    from quantmatrix.usecases.load import load_state

    moment = parse_since(since) if since is not None else None
    # with --store the desired state is not needed: an operator may hold only the store's URL
    store = (
        open_store_url(store_url)
        if store_url is not None
        else open_environment_store(load_state(path).state, environment, path)
    )
    if store is None:
        found = History(environment, "no store yet", (), 0, limit, offset, moment)
    else:
        try:
            found = load_history(store, environment, limit=limit, offset=offset, since=moment)
        finally:
            store.close()
    echo(FORMATS[fmt](found), nl=False)
