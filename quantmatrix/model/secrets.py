"""The secret catalog: every secret the environments may reference, with its scope.

It is also the documentation of every environment variable a deployment needs (guide §6).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from quantmatrix.model.common import API_VERSION, ApiVersion, Metadata, ModeField, SecretName, StrictModel, Text


class SecretProvider(StrictModel):
    """How the secret reaches the process: an environment variable or a mounted file."""

    env: str | None = Field(None, pattern=r"^[A-Z][A-Z0-9_]*$", description="Environment variable holding the value.")
    file: str | None = Field(None, min_length=1, description="Path of a file holding the value.")

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretProvider:
        if (self.env is None) == (self.file is None):
            raise ValueError("set exactly one of 'env' or 'file'")
        return self


class SecretEntry(StrictModel):
    scope: ModeField = Field(description="The only environment mode allowed to use this secret.")
    description: Text
    provider: SecretProvider
    owner: Text | None = Field(None, description="Team or person who rotates it.")


class SecretCatalogSpec(StrictModel):
    secrets: dict[SecretName, SecretEntry]


class SecretCatalog(StrictModel):
    """`environments/secrets.yaml`, or one of the files in `environments/secrets/`: together they
    are one catalog (the loader merges them; a name may be declared only once)."""

    apiVersion: ApiVersion = Field(description=f"Always {API_VERSION}.")
    kind: Literal["SecretCatalog"]
    metadata: Metadata
    spec: SecretCatalogSpec
