"""`qm checks ENV`: run the health, smoke and trading-safety checks against a running system."""

from __future__ import annotations

import os

import click

from quantmatrix.cli.options import path_argument, ref_option
from quantmatrix.cli.output import echo
from quantmatrix.errors import ConfigError, ExitCode, Problem


@click.command()
@click.argument("environment")
@path_argument
@ref_option
@click.option("--api-url", default=None, help="Base URL of the API (default: the environment's api.base_url).")
@click.option("--ui-url", default=None, help="URL of the UI (default: the environment's ui.url).")
@click.option("--check", "names", multiple=True, metavar="NAME", help="Run only these checks (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--store-url",
    envvar="QM_CHECKS_STORE_URL",
    default=None,
    help="Record the results in this state store (prefer the env var: the URL holds credentials).",
)
@click.option(
    "--deployment", "deployment_id", default=None, help="With --store-url: the deployment the results belong to."
)
def checks(
    environment: str,
    path: str,
    ref: str | None,
    api_url: str | None,
    ui_url: str | None,
    names: tuple[str, ...],
    fmt: str,
    store_url: str | None,
    deployment_id: str | None,
) -> None:
    """Run the guide's §12 checks for ENVIRONMENT. Exit 0 all pass, 1 some fail, 3 the API is unreachable.

    Each component must run the version its release pins (health.versions).

    Redis and PostgreSQL are probed when QM_CHECKS_REDIS_URL / QM_CHECKS_POSTGRES_URL are set
    (environment variables: URLs hold credentials); a required service without one fails.
    Timeouts, retries, backoff and deadlines come from the environment's runtime.checks.
    With --store-url the results are recorded in the state store (check_results)."""
    from quantmatrix.repo.lookup import environment_named
    from quantmatrix.runtime.checks import CHECKS, Target, run_checks, settings_for
    from quantmatrix.runtime.checks.probes import postgres_probe, redis_probe
    from quantmatrix.runtime.checks.render import render_json, render_text
    from quantmatrix.usecases.load import load_state

    state = load_state(path, ref).state
    desired = environment_named(state, environment)
    unknown = [name for name in names if name not in CHECKS]
    if unknown:
        raise ConfigError(
            Problem(subject="--check", message=f"unknown check(s) {', '.join(unknown)} (known: {', '.join(CHECKS)})")
        )
    release = state.releases.get(desired.spec.release)
    redis_url, postgres_url = os.environ.get("QM_CHECKS_REDIS_URL"), os.environ.get("QM_CHECKS_POSTGRES_URL")
    target = Target(
        api_url or desired.spec.api.base_url,
        ui_url or desired.spec.ui.url,
        redis=redis_probe(redis_url) if redis_url else None,
        postgres=postgres_probe(postgres_url) if postgres_url else None,
        expected_versions=release.spec.components.model_dump() if release is not None else {},
    )
    results = run_checks(target, desired, settings_for(desired), names=names or None)
    if store_url:
        from quantmatrix.runtime.store import open_store, record_check_results

        store = open_store(store_url)
        try:
            record_check_results(store, environment, results, deployment_id)
        finally:
            store.close()
    echo(render_json(results) if fmt == "json" else render_text(results))
    api = next((r for r in results if r.name == "health.api"), None)
    if api is not None and api.status == "missing":
        raise click.exceptions.Exit(int(ExitCode.UNAVAILABLE))
    if not all(r.passed for r in results):
        raise click.exceptions.Exit(int(ExitCode.VIOLATIONS))
