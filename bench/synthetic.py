"""A synthetic desired-state repository, shaped like the sample one, at any size.

Reusable by every benchmark (and by tests that want a big valid repository):

    from bench.synthetic import write_repo      # from the repository root
    write_repo(Path("/tmp/big"), environments=1000, strategies=20, releases=500)

or by path: `importlib.util.spec_from_file_location("synthetic", "bench/synthetic.py")`.

The result validates cleanly (`qm validate`): every environment extends `_base`, runs an
existing release, pins the strategy versions that release pins and references only secrets
declared in the catalog with its own mode as scope. Modes cycle local, live, 4× paper,
4× backtest, so a tenth of the environments are live (with approvals and blocked symbols,
like `environments/live.yaml`). Output is deterministic: same arguments, same bytes.

It is also a well-run repository: the policy pack (`policies/`) finds nothing in it on
`TODAY`, the date the check benchmark pins with `qm check --today`. Each release moves the
versions of a few strategies (a fifth of them) and names each move in `changes.strategies`,
lists its migration when the schema revision moves, and every date is at or before `TODAY`,
live safety evidence within the last four weeks. Paper and live run their services through
the command driver (kubectl) and keep their state in PostgreSQL (QM-RUN-*); local and backtest
run the sandbox defaults. Paper is actively monitored; half the live
environments are in their first live release (two strategies enabled), the other half
record a capital increase.

`noisy=True` (`--noisy`) writes the repository the first version of this generator wrote,
kept for a findings-heavy measurement: every strategy moves in every release and no release
says so (QM-REL-006 ×20 per release), paper monitoring is left `normal`, live evidence is
stale or dated after `TODAY` and every live environment enables 16 strategies in its first
live release (≈ 10.7 findings per environment).

Fleets of more than `SPLIT_CATALOG_ABOVE` environments get their secret catalog split
over `environments/secrets/team-NN.yaml` (one file per `ENVIRONMENTS_PER_TEAM` environments,
each well under the loader's 1 MiB per-file limit), as a big fleet would keep it; smaller
ones keep the single `environments/secrets.yaml`, byte for byte as before.

Run it directly to write one (`--help` for the options):
`python bench/synthetic.py [--noisy] OUT_DIR [ENVIRONMENTS [STRATEGIES [RELEASES]]]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

# The date `qm check --today` is pinned to by the benchmark (and the policy tests): every
# date the realistic repository records is at or before it.
TODAY = "2026-11-28"

STRATEGY_NAMES = (
    "momentum_breakout", "mean_reversion", "pairs_stat_arb", "vwap_reversion", "opening_range",
    "trend_following", "gap_fade", "sector_rotation", "volatility_breakout", "earnings_drift",
    "overnight_drift", "rsi_reversal", "channel_breakout", "relative_strength", "liquidity_provision",
    "index_arbitrage", "dual_momentum", "carry_basket", "news_momentum", "close_auction",
)  # fmt: skip
MODES = ("local", "live", "paper", "paper", "paper", "paper", "backtest", "backtest", "backtest", "backtest")
SECRETS = {  # mode → (suffix, where it is used, provider) of each secret an environment of that mode needs
    "local": (("REDIS_URL", "Redis URL on a developer machine (optional)", "env"),
              ("POSTGRES_URL", "PostgreSQL URL on a developer machine (optional)", "env")),
    "paper": (("BROKER_KEY_ID", "Paper broker API key id", "env"),
              ("BROKER_SECRET", "Paper broker API secret key", "file"),
              ("MARKET_DATA_KEY", "Delayed market data API key", "env"),
              ("REDIS_URL", "Redis URL (with password) of the control plane", "env"),
              ("POSTGRES_URL", "PostgreSQL URL (with password) of the database", "env")),
    "live": (("BROKER_KEY_ID", "LIVE broker API key id; authorized users only", "file"),
             ("BROKER_SECRET", "LIVE broker API secret key; authorized users only", "file"),
             ("MARKET_DATA_KEY", "Real-time market data entitlement key", "file"),
             ("REDIS_URL", "Redis URL (with password) of the live control plane", "file"),
             ("POSTGRES_URL", "PostgreSQL URL (with password) of the live database", "file")),
    "backtest": (("HISTORICAL_DATA_KEY", "Historical market data archive key", "env"),
                 ("POSTGRES_URL", "PostgreSQL URL of the research database", "env")),
}  # fmt: skip


def release_version(i: int) -> str:
    """CalVer like the samples: 2020.1.0, 2020.1.1, … five patches a month."""
    return f"{2020 + i // 60}.{(i // 5) % 12 + 1}.{i % 5}"


def strategy_name(k: int) -> str:
    base = STRATEGY_NAMES[k % len(STRATEGY_NAMES)]
    return base if k < len(STRATEGY_NAMES) else f"{base}_{k // len(STRATEGY_NAMES) + 1}"


def strategy_version(k: int, release: int, noisy: bool = False) -> str:
    """Strategy k's version in release `release`: it moves in every fifth release (a fifth
    of the strategies move in each), or in every release when `noisy`."""
    moves = release if noisy else (release + k % 5) // 5
    return f"{1 + k % 4}.{moves // 10}.{moves % 10}"


def analytics_version(release: int) -> str:
    return f"1.{release // 50}.{release % 50}"


def environment_name(i: int) -> str:
    return f"{MODES[i % len(MODES)]}-{i:04d}"


def _secret(env: str, suffix: str) -> str:
    return f"QM_{env.upper().replace('-', '_')}_{suffix}"


def _date(i: int, offset: int = 0, noisy: bool = False) -> str:
    """A date of 2026 spread by `i`: up to 2026-11-20 (before `TODAY`), or 2026-12-28 when `noisy`."""
    day = (i * 7 + offset) % (336 if noisy else 300)
    return f"2026-{day // 28 + 1:02d}-{day % 28 + 1:02d}"


def _recent(i: int) -> str:
    """A date 1 to 27 days before `TODAY`: live safety evidence the pack accepts as recent."""
    return (dt.date.fromisoformat(TODAY) - dt.timedelta(days=1 + i % 27)).isoformat()


def base_yaml() -> str:
    return """\
# yaml-language-server: $schema=../schemas/EnvironmentBase.schema.json
# Non-live defaults shared by every environment (synthetic).
apiVersion: quantmatrix.io/v1
kind: EnvironmentBase
metadata:
  name: _base
  description: Non-live defaults shared by every environment.
spec:
  execution:
    broker: dry-run
    account_type: dry_run
    routes_live_orders: false
  market_data:
    provider: demo
    feed: demo
  redis:
    required: false
  postgres:
    required: false
  risk:
    currency: USD
    max_order_notional: 1000
    max_position_notional: 5000
    max_gross_exposure: 10000
    max_daily_loss: 250
    max_orders_per_minute: 10
  capital:
    limit: 10000
    currency: USD
  scanner:
    enabled: true
    universe: us-equities-liquid
    interval_seconds: 60
    params:
      min_price: 5
      min_avg_volume: 500000
  analytics:
    enabled: true
    capture: true
    logic_version: 1.0.0
  alerts:
    enabled: true
    channels: ["#qm-ops"]
  safety:
    emergency_halt:
      enabled: true
  monitoring:
    intensity: normal
    window_hours: 4
"""


def _revision(i: int) -> str:
    """The alembic revision of release i: the schema moves every 25 releases."""
    return f"{i // 25:04d}_schema_{i // 25}"


def _changes(i: int, strategies: int, noisy: bool) -> tuple[str, str]:
    """(changes.migrations, changes.strategies) of release i, versus release i - 1."""
    if noisy:
        return "[]", f"[Strategy versions moved to the {release_version(i)} set]"
    migrations = f"[{_revision(i)}]" if i and _revision(i) != _revision(i - 1) else "[]"
    moved = [
        f"{strategy_name(k)} {strategy_version(k, i - 1)} → {strategy_version(k, i)}"
        for k in range(strategies)
        if i and strategy_version(k, i) != strategy_version(k, i - 1)
    ]
    return migrations, f"[{', '.join(moved)}]"


def release_yaml(i: int, strategies: int, noisy: bool = False) -> str:
    version = release_version(i)
    previous = release_version(i - 1) if i else "null"
    pins = "".join(f"    {strategy_name(k)}: {strategy_version(k, i, noisy)}\n" for k in range(strategies))
    migrations, strategy_changes = _changes(i, strategies, noisy)
    checked, started, completed = (_date(i, offset, noisy) for offset in (0, 1, 8))
    return f"""\
# yaml-language-server: $schema=../schemas/Release.schema.json
apiVersion: quantmatrix.io/v1
kind: Release
metadata:
  name: {version}
  description: Synthetic release {i}.
spec:
  components:
    api: 3.{i // 20}.{i % 20}
    workers: 3.{i // 20}.{i % 20}
    ui: 2.{i // 25}.{i % 25}
  config_version: {version}
  database:
    revision: {_revision(i)}
    backward_compatible: true
    reversible: true
    backup_confirmed: {{by: ana.dba, at: {checked}, reference: DB-{1000 + i}}}
  strategies:
{pins}  analytics:
    logic_version: {analytics_version(i)}
  changes:
    config: [Synthetic configuration change {i}]
    migrations: {migrations}
    strategies: {strategy_changes}
    risk: []
  rollback:
    previous: {previous}
    migrations_reversible: true
    plan: Halt trading, redeploy the previous release's components and strategy versions, reconcile, resume.
  checklist:
    release_change_checklist: {{by: li.eng, at: {checked}, reference: RCC-{version}}}
    production_readiness_review: {{by: sam.cto, at: {started}, reference: PRR-{version}}}
    migrations_reviewed: {{by: ana.dba, at: {checked}, reference: DB-{1000 + i}}}
    risk_changes_reviewed: {{by: omar.risk, at: {checked}, reference: RISK-{1000 + i}}}
    rollback_plan_reviewed: {{by: dana.ops, at: {checked}}}
  validation:
    paper:
      environment: paper-0002
      deployment: dep-paper-{version}-1
      started: {started}
      completed: {completed}
      result: passed
      checks:
        startup_flow: true
        account_summary_matches_broker: true
        order_placement: true
        order_cancel: true
        fills_captured: true
        positions_reconcile: true
        end_of_day_reconciliation: true
        emergency_halt_tested: true
      approved: {{by: maria.head-of-trading, at: {completed}, reference: GOLIVE-{1000 + i}}}
"""


def _execution(mode: str, name: str) -> str:
    if mode == "local":
        return f"""\
  execution:
    broker: dry-run
    account_type: dry_run
    account: {name}-dry-run
  market_data:
    provider: demo
    feed: demo
  redis:
    required: false
    url: {{secret: {_secret(name, "REDIS_URL")}}}
    key_prefix: "qm:{name}:"
  postgres:
    required: false
    url: {{secret: {_secret(name, "POSTGRES_URL")}}}
"""
    if mode == "backtest":
        return f"""\
  execution:
    broker: simulator
    account_type: simulated
    account: sim-{name}
    endpoint: sim://simulator
    routes_live_orders: false
  market_data:
    provider: replay
    feed: historical
    credentials:
      historical_data_key: {{secret: {_secret(name, "HISTORICAL_DATA_KEY")}}}
  redis:
    required: false
  postgres:
    required: true
    url: {{secret: {_secret(name, "POSTGRES_URL")}}}
"""
    live = mode == "live"
    return f"""\
  execution:
    broker: alpaca
    account_type: {mode}
    account: {"LA" if live else "PA"}-{name.upper()}
    endpoint: {"https://api.alpaca.markets" if live else "https://paper-api.alpaca.markets"}
    routes_live_orders: {"true" if live else "false"}
    credentials:
      key_id: {{secret: {_secret(name, "BROKER_KEY_ID")}}}
      secret_key: {{secret: {_secret(name, "BROKER_SECRET")}}}
  market_data:
    provider: polygon
    feed: {"live" if live else "delayed"}
    endpoint: {"wss://socket.polygon.io/stocks" if live else "wss://delayed.polygon.io/stocks"}
    credentials:
      api_key: {{secret: {_secret(name, "MARKET_DATA_KEY")}}}
  redis:
    required: true
    url: {{secret: {_secret(name, "REDIS_URL")}}}
    key_prefix: "qm:{name}:"
  postgres:
    required: true
    url: {{secret: {_secret(name, "POSTGRES_URL")}}}
  runtime:
    driver: command
    command:
      deploy: [kubectl, --context, {name}, set, image, "deployment/qm-{{component}}", "{{component}}=registry.qm.internal/quantmatrix/{{component}}:{{version}}"]
      rollout_status: [kubectl, --context, {name}, rollout, status, "deployment/qm-{{component}}", --timeout=300s]
    store:
      url: {{secret: {_secret(name, "POSTGRES_URL")}}}
"""


_LIMITS = {  # order, position, gross, daily loss, orders/min, capital
    "local": (1000, 5000, 10000, 250, 30, 10000),
    "paper": (10000, 50000, 200000, 5000, 60, 200000),
    "live": (5000, 20000, 50000, 1500, 20, 50000),
    "backtest": (100000, 500000, 2000000, 50000, 600, 1000000),
}
_BANNERS = {
    "local": "LOCAL · DRY-RUN",
    "paper": "PAPER TRADING",
    "live": "LIVE TRADING · REAL CAPITAL",
    "backtest": "BACKTEST · SIMULATED",
}


def _first_live_release(i: int, noisy: bool) -> bool:
    """Whether live environment i is still in its first live release (no capital increase
    recorded): every other live environment, or all of them when `noisy`."""
    return noisy or (i // 10) % 2 == 0


def _live_extras(i: int, noisy: bool = False) -> str:
    evidence = _date(i, noisy=True) if noisy else _recent(i)
    day = _date(i, noisy=noisy)
    return f"""\
  blocked_symbols: [GME, AMC, BBBYQ, MULN, FFIE]
  safety:
    emergency_halt:
      enabled: true
      verified: {{by: dana.ops, at: {evidence}, reference: OPS-{2000 + i}}}
    reconciliation_tested: {{by: dana.ops, at: {evidence}, reference: OPS-{2000 + i}}}
  monitoring:
    intensity: heightened
    window_hours: 24
  staffing:
    operator: dana.ops
    engineer_on_standby: li.eng
  approvals:
    go_live_checklist: {{by: maria.head-of-trading, at: {day}, reference: GOLIVE-{i}}}
    production_readiness_review: {{by: sam.cto, at: {day}, reference: PRR-{i}}}
    initial_capital_limits: {{by: maria.head-of-trading, at: {day}, reference: RISK-{i}}}
    strategy_set: {{by: maria.head-of-trading, at: {day}, reference: RISK-{i}}}
    risk_limits_final_review: {{by: omar.risk, at: {day}, reference: RISK-{i}}}
    broker_endpoint_verified: {{by: li.eng, at: {day}, reference: OPS-{2000 + i}}}
    market_data_entitlement: {{by: li.eng, at: {day}, reference: VENDOR-{i}}}
"""


def _enabled(k: int, mode: str, i: int, noisy: bool) -> bool:
    """Four strategies in five run; a live environment in its first live release runs two."""
    if mode == "live" and not noisy and _first_live_release(i, noisy):
        return k in (1, 2)
    return k % 5 != 0


def _capital(mode: str, i: int, capital: int, noisy: bool) -> str:
    increase = ""
    if mode == "live" and not _first_live_release(i, noisy):
        increase = f"    last_increase: {{at: {_date(i, noisy=noisy)}, previous_limit: {capital // 2}}}\n"
    return f"""\
  capital:
    limit: {capital}
    currency: USD
{increase}"""


def environment_yaml(i: int, strategies: int, releases: int, noisy: bool = False) -> str:
    name, mode = environment_name(i), MODES[i % len(MODES)]
    release = i % releases
    order, position, gross, loss, per_minute, capital = _LIMITS[mode]
    each = capital // max(strategies, 1)
    strategy_lines = "".join(
        f"""\
    - name: {strategy_name(k)}
      version: {strategy_version(k, release, noisy)}
      capital: {each}
      enabled: {"true" if _enabled(k, mode, i, noisy) else "false"}
      params: {{lookback_minutes: {15 + k}, threshold: 0.0{k % 9 + 1}}}
"""
        for k in range(strategies)
    )
    monitoring = "  monitoring:\n    intensity: active\n    window_hours: 8\n" if mode == "paper" and not noisy else ""
    host = "127.0.0.1" if mode == "local" else f"{name}.qm.internal"
    return (
        f"""\
# yaml-language-server: $schema=../schemas/Environment.schema.json
# Synthetic {mode} environment {i}.
apiVersion: quantmatrix.io/v1
kind: Environment
metadata:
  name: {name}
  extends: _base
  description: Synthetic {mode} environment.
  labels: {{desk: desk-{i % 17}, region: {("us", "eu", "apac")[i % 3]}}}
spec:
  mode: {mode}
  release: {release_version(release)}
"""
        + _execution(mode, name)
        + f"""\
  api:
    base_url: http://{host}:8000
  ui:
    banner: {_BANNERS[mode]}
    url: http://{host}
  risk:
    currency: USD
    max_order_notional: {order}
    max_position_notional: {position}
    max_gross_exposure: {gross}
    max_daily_loss: {loss}
    max_orders_per_minute: {per_minute}
{_capital(mode, i, capital, noisy)}  strategies:
{strategy_lines}  scanner:
    enabled: true
    universe: us-equities-liquid
    interval_seconds: 30
  analytics:
    enabled: true
    capture: true
    logic_version: {analytics_version(release)}
{monitoring}"""
        + (_live_extras(i, noisy) if mode == "live" else "")
    )


SPLIT_CATALOG_ABOVE = 1000  # environments; the 1,000-environment benchmark repository keeps one file
ENVIRONMENTS_PER_TEAM = 500  # ≈ 0.3 MiB of catalog per file


def catalog_yaml(environments: int, first: int = 0, name: str = "secrets", schema: str = "../schemas") -> str:
    """The catalog entries of environments `first` .. `environments - 1`."""
    lines = [
        f"# yaml-language-server: $schema={schema}/SecretCatalog.schema.json\n",
        f"apiVersion: quantmatrix.io/v1\nkind: SecretCatalog\nmetadata:\n  name: {name}\nspec:\n  secrets:\n",
    ]
    for i in range(first, environments):
        env, mode = environment_name(i), MODES[i % len(MODES)]
        for suffix, what, provider in SECRETS[mode]:
            secret = _secret(env, suffix)
            where = f"{{env: {secret}}}" if provider == "env" else f"{{file: /run/secrets/{secret.lower()}}}"
            lines.append(f"    {secret}: {{scope: {mode}, description: {what} of {env}., provider: {where}}}\n")
    return "".join(lines)


def write_catalog(envs: Path, environments: int, split: bool) -> None:
    """`environments/secrets.yaml`, or (split) one catalog file per team of environments."""
    if not split:
        (envs / "secrets.yaml").write_text(catalog_yaml(environments), encoding="utf-8")
        return
    (envs / "secrets").mkdir(exist_ok=True)
    for team, first in enumerate(range(0, environments, ENVIRONMENTS_PER_TEAM)):
        last = min(first + ENVIRONMENTS_PER_TEAM, environments)
        text = catalog_yaml(last, first, name=f"team-{team:02d}", schema="../../schemas")
        (envs / "secrets" / f"team-{team:02d}.yaml").write_text(text, encoding="utf-8")


def write_repo(
    root: Path,
    environments: int = 1000,
    strategies: int = 20,
    releases: int = 500,
    noisy: bool = False,
    split_catalog: bool | None = None,
) -> Path:
    """Write a valid repository (`environments/`, `releases/`) under `root`; return `root`.

    Realistic (the pack finds nothing on `TODAY`) unless `noisy` (see the module docstring).
    `split_catalog`: None splits the secret catalog above `SPLIT_CATALOG_ABOVE` environments.
    """
    root = Path(root)
    envs, rels = root / "environments", root / "releases"
    envs.mkdir(parents=True, exist_ok=True)
    rels.mkdir(parents=True, exist_ok=True)
    (envs / "_base.yaml").write_text(base_yaml(), encoding="utf-8")
    write_catalog(envs, environments, environments > SPLIT_CATALOG_ABOVE if split_catalog is None else split_catalog)
    for i in range(environments):
        (envs / f"{environment_name(i)}.yaml").write_text(
            environment_yaml(i, strategies, releases, noisy), encoding="utf-8"
        )
    for i in range(releases):
        (rels / f"{release_version(i)}.yaml").write_text(release_yaml(i, strategies, noisy), encoding="utf-8")
    return root


def main(argv: list[str] | None = None) -> None:
    from bench.args import new_directory, positive_int

    parser = argparse.ArgumentParser(
        prog="bench/synthetic.py",
        description="Write a valid synthetic desired-state repository (environments/, releases/) into OUT_DIR.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", type=new_directory, help="folder to create (or an empty one)")
    parser.add_argument("environments", metavar="ENVIRONMENTS", type=positive_int, nargs="?", default=1000)
    parser.add_argument(
        "strategies", metavar="STRATEGIES", type=positive_int, nargs="?", default=20, help="per environment"
    )
    parser.add_argument("releases", metavar="RELEASES", type=positive_int, nargs="?", default=500)
    parser.add_argument("--noisy", action="store_true", help="the findings-heavy repository of the first generator")
    catalog = parser.add_mutually_exclusive_group()
    catalog.add_argument(
        "--split-catalog", dest="split", action="store_true", default=None, help="environments/secrets/*.yaml"
    )
    catalog.add_argument("--single-catalog", dest="split", action="store_false", help="one environments/secrets.yaml")
    args = parser.parse_args(argv)
    if args.split is False and args.environments > 1700:
        parser.error(
            "one catalog file for more than 1,700 environments exceeds the loader's 1 MiB limit: use --split-catalog"
        )
    print(
        write_repo(
            args.out_dir, args.environments, args.strategies, args.releases, noisy=args.noisy, split_catalog=args.split
        )
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `bench.args` when run as a script
    main()
