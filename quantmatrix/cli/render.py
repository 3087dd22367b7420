"""`qm render ENV`: the effective environment after layering. Secret references stay references;
a pasted secret (a key or a value, or anything under a credential-named key) is `<redacted>`."""

from __future__ import annotations

import io
import json

import click

from quantmatrix.cli import completion
from quantmatrix.cli.options import path_argument, ref_option
from quantmatrix.cli.output import echo


@click.command()
@click.argument("environment", shell_complete=completion.environments)
@path_argument
@ref_option
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
def render(environment: str, path: str, ref: str | None, fmt: str) -> None:
    """Print the effective ENVIRONMENT (its file merged over its base layers)."""
    from quantmatrix.state import thaw
    from quantmatrix.usecases.environment import effective_document
    from quantmatrix.usecases.load import load_state

    state = load_state(path, ref).state
    data, layered = effective_document(state, environment)
    if fmt == "json":
        echo(json.dumps(data, indent=2))
        return
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    # keep the file's key order (ruamel.yaml's own annotation of the attribute is its default, None)
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    out = io.StringIO()
    yaml.dump(thaw(data), out)  # the representer wants plain dicts and lists
    layers = " over ".join(layer.file for layer in layered.layers)
    echo(f"# effective environment '{environment}' from {state.source}: {layers}\n---\n{out.getvalue()}", nl=False)
