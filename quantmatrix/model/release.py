"""A release manifest: everything guide §4 says to identify, plus §5/§10/§13/§16 evidence.

Nothing floats: every version is exact.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from quantmatrix.model.common import (
    API_VERSION,
    ApiVersion,
    Approval,
    Metadata,
    Moment,
    Name,
    StrictModel,
    Text,
    Version,
)


class Components(StrictModel):
    api: Version
    workers: Version
    ui: Version


class Database(StrictModel):
    """The alembic revision the schema must be at, and what the migrations do to it (guide §10)."""

    revision: str = Field(pattern=r"^[0-9A-Za-z_]+$", description="Alembic revision id the release needs.")
    backward_compatible: bool | None = Field(
        None, description="Old application versions still work on the new schema. Required when migrations change."
    )
    reversible: bool | None = Field(None, description="The migrations have a tested downgrade.")
    backup_confirmed: Approval | None = Field(None, description="Backup plan confirmed before migrating.")


class Analytics(StrictModel):
    logic_version: Version


class Changes(StrictModel):
    """What the release changes (guide §16), one line per change. Empty lists mean 'none'."""

    config: list[Text] = Field(default_factory=list)
    migrations: list[Text] = Field(default_factory=list)
    strategies: list[Text] = Field(default_factory=list)
    risk: list[Text] = Field(default_factory=list)


class Rollback(StrictModel):
    """Guide §13: every deployment has a rollback plan."""

    previous: Version | None = Field(description="Release to return to; null only for the first release.")
    migrations_reversible: bool = Field(description="Whether the schema can go back to the previous revision.")
    plan: Text = Field(description="How to roll back, in the operator's words.")


class Checklist(StrictModel):
    """Release-readiness evidence of guide §5. Left open, the policy gate demands it."""

    release_change_checklist: Approval | None = None
    production_readiness_review: Approval | None = None
    migrations_reviewed: Approval | None = None
    risk_changes_reviewed: Approval | None = None
    rollback_plan_reviewed: Approval | None = None


class PaperValidation(StrictModel):
    """Evidence that the release ran in paper and passed (guide §8 'Paper Validation', §17)."""

    environment: Name = Field(description="The paper environment it ran in.")
    deployment: Text | None = Field(None, description="Id of the paper deployment record in the state store.")
    started: Moment
    completed: Moment
    result: Literal["passed", "failed"]
    checks: dict[
        Literal[
            "startup_flow",
            "account_summary_matches_broker",
            "order_placement",
            "order_cancel",
            "fills_captured",
            "positions_reconcile",
            "end_of_day_reconciliation",
            "emergency_halt_tested",
        ],
        bool,
    ] = Field(default_factory=dict)
    approved: Approval | None = None


class Validation(StrictModel):
    paper: PaperValidation | None = None


class ReleaseSpec(StrictModel):
    components: Components
    config_version: str = Field(
        pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$", description="Version of the configuration set."
    )
    database: Database
    strategies: dict[Name, Version] = Field(description="Strategy versions this release pins.")
    analytics: Analytics
    changes: Changes = Field(default_factory=Changes)
    rollback: Rollback
    checklist: Checklist = Field(default_factory=Checklist)
    validation: Validation = Field(default_factory=Validation)


class ReleaseMetadata(Metadata):
    name: Version = Field(description="The release version; must match the file name.")


class Release(StrictModel):
    """`releases/<version>.yaml`; `metadata.name` is the release version."""

    apiVersion: ApiVersion = Field(description=f"Always {API_VERSION}.")
    kind: Literal["Release"]
    metadata: ReleaseMetadata
    spec: ReleaseSpec
