"""Every model field the diff treats specially, named once through a typed accessor.

The generic leaf comparison walks the effective documents — the values as loaded, which is
what the change document reports and the policies read — so everything it sorts into a
section, skips or reads as a unit is a path here, taken from the models
(`quantmatrix.model.paths.field_path`): renaming a model field fails mypy and the import of
this module, not the diff. `NAMED` lists every path by model, for the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic

from quantmatrix.model.common import Approval
from quantmatrix.model.environment import Environment, EnvironmentMetadata, EnvironmentSpec, Strategy
from quantmatrix.model.paths import Model, field_path
from quantmatrix.model.release import Release, ReleaseSpec
from quantmatrix.model.secrets import SecretEntry

Fields = tuple[str, ...]


class _Named(Generic[Model]):
    """The paths of one model the diff names, recorded as they are made."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.paths: list[Fields] = []

    def __call__(self, read: Callable[[Model], object]) -> Fields:
        path = field_path(self.model, read)
        self.paths.append(path)
        return path


_environment, _metadata = _Named(Environment), _Named(EnvironmentMetadata)
_spec, _strategy = _Named(EnvironmentSpec), _Named(Strategy)
_release, _release_spec = _Named(Release), _Named(ReleaseSpec)
_approval, _secret = _Named(Approval), _Named(SecretEntry)

# an environment document
SPEC = _environment(lambda e: e.spec)
METADATA = _environment(lambda e: e.metadata)
NAME = _metadata(lambda m: m.name)  # the document's identity, not a change of it

# its spec, by section of the diff
MODE = _spec(lambda s: s.mode)
RELEASE = _spec(lambda s: s.release)
RISK = _spec(lambda s: s.risk)  # every limit in it but the currency
RISK_CURRENCY = _spec(lambda s: s.risk.currency)
CAPITAL = _spec(lambda s: s.capital)
CAPITAL_LIMIT = _spec(lambda s: s.capital.limit)
ANALYTICS_LOGIC_VERSION = _spec(lambda s: s.analytics.logic_version)
ROUTES_LIVE_ORDERS = _spec(lambda s: s.execution.routes_live_orders)
CREDENTIALS = (_spec(lambda s: s.execution.credentials), _spec(lambda s: s.market_data.credentials))
CONNECTIONS = (  # whole sections, and the fields of execution and market data that say where to connect
    _spec(lambda s: s.redis),
    _spec(lambda s: s.postgres),
    _spec(lambda s: s.api),
    _spec(lambda s: s.execution.broker),
    _spec(lambda s: s.execution.account_type),
    _spec(lambda s: s.execution.account),
    _spec(lambda s: s.execution.endpoint),
    ROUTES_LIVE_ORDERS,
    _spec(lambda s: s.market_data.provider),
    _spec(lambda s: s.market_data.feed),
    _spec(lambda s: s.market_data.endpoint),
)
STRATEGIES = _spec(lambda s: s.strategies)  # matched by name (a diff of their own)
BLOCKED_SYMBOLS = _spec(lambda s: s.blocked_symbols)  # compared as sets

# a strategy: the fields `StrategyDiff` has a place for; any other lands in its `other`
STRATEGY_NAME = _strategy(lambda s: s.name)
STRATEGY_VERSION = _strategy(lambda s: s.version)
STRATEGY_CAPITAL = _strategy(lambda s: s.capital)
STRATEGY_ENABLED = _strategy(lambda s: s.enabled)
STRATEGY_PARAMS = _strategy(lambda s: s.params)
STRATEGY_FIELDS = (STRATEGY_NAME, STRATEGY_VERSION, STRATEGY_CAPITAL, STRATEGY_ENABLED, STRATEGY_PARAMS)

# a release manifest
RELEASE_ENVELOPE = (_release(lambda r: r.apiVersion), _release(lambda r: r.kind))  # the same for every release
RELEASE_SPEC = _release(lambda r: r.spec)
RELEASE_METADATA = _release(lambda r: r.metadata)
RELEASE_NAME = _release(lambda r: r.metadata.name)
RELEASE_COMPONENTS = _release_spec(lambda s: s.components)
CONFIG_VERSION = _release_spec(lambda s: s.config_version)
DATABASE = _release_spec(lambda s: s.database)
DATABASE_REVISION = _release_spec(lambda s: s.database.revision)
# what a release runs: an added release is compared with its predecessor for these
RELEASE_PINNED = (
    RELEASE_COMPONENTS,
    CONFIG_VERSION,
    DATABASE,
    _release_spec(lambda s: s.strategies),
    _release_spec(lambda s: s.analytics),
)
MIGRATIONS_LISTED = _release_spec(lambda s: s.changes.migrations)

# an approval record is compared as one value; a catalog entry's scope decides who may use it
APPROVAL = (_approval(lambda a: a.by), _approval(lambda a: a.at))  # the fields every record has
SECRET_SCOPE = _secret(lambda e: e.scope)

NAMED = (_environment, _metadata, _spec, _strategy, _release, _release_spec, _approval, _secret)


def under(path: tuple[object, ...], prefix: Fields) -> bool:
    """`path` is `prefix` or lies inside it."""
    return path[: len(prefix)] == prefix
