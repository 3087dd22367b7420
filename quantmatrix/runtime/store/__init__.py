"""The engine's state store (SQLAlchemy 2, PostgreSQL or SQLite): control tables and use cases."""

from quantmatrix.runtime.store.deployments import (
    DeploymentRecord,
    applied_config_version,
    deployment_history,
    finish_deployment,
    get_deployment,
    last_deployment,
    record_config_applied,
    start_deployment,
)
from quantmatrix.runtime.store.engine import CONTROL_SCHEMA, Store, open_store
from quantmatrix.runtime.store.events import (
    CheckResultLike,
    append_audit,
    record_check_results,
    record_drift,
    record_incident,
    trading_history,
)
from quantmatrix.runtime.store.journal import journal_fail, journal_finish, journal_start, journal_steps

__all__ = [
    "CONTROL_SCHEMA",
    "CheckResultLike",
    "DeploymentRecord",
    "Store",
    "append_audit",
    "applied_config_version",
    "deployment_history",
    "finish_deployment",
    "get_deployment",
    "journal_fail",
    "journal_finish",
    "journal_start",
    "journal_steps",
    "last_deployment",
    "open_store",
    "record_check_results",
    "record_config_applied",
    "record_drift",
    "record_incident",
    "start_deployment",
    "trading_history",
]
