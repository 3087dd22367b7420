"""The embedded engine: the regorus Rego interpreter, in process, no server.

regorus (Rust, `gordon-to-regorus`, pinned) rather than regopy: regopy segfaults on rules
that build messages with `sprintf` under `with input as`, and is ~100x slower. We query with
`eval_query_as_json`, because `eval_query` cannot convert sets of objects (our findings).
"""

from __future__ import annotations

import json
from typing import Any

from quantmatrix.errors import PolicyError
from quantmatrix.policy.engines.regorus_errors import rego_problem
from quantmatrix.policy.pack import Pack

RULES_QUERY = "data.qm.rules"


def new_interpreter(pack: Pack) -> Any:
    """A regorus engine with every module and `data` of the pack loaded.

    A broken module fails closed with its `file:line:col`.
    """
    import regorus

    interpreter = regorus.Engine()
    problems = []
    for path, text in pack.modules:
        try:
            interpreter.add_policy(path, text)
        except RuntimeError as error:
            problems.append(rego_problem(error, path))
    if problems:
        raise PolicyError(problems)
    interpreter.add_data_json(json.dumps(pack.data()))
    return interpreter


def query(interpreter: Any, text: str) -> tuple[bool, Any]:
    """(defined, value) of one query; evaluation errors become `PolicyError`s."""
    try:
        answer = json.loads(interpreter.eval_query_as_json(text))
    except RuntimeError as error:
        raise PolicyError(rego_problem(error)) from None
    results = answer.get("result") or []
    if not results or not results[0].get("expressions"):
        return False, None
    return True, results[0]["expressions"][0]["value"]


def evaluate(pack: Pack, input_json: str, *, url: str | None = None) -> dict[str, Any]:
    """`data.qm.rules` for the input, in one query over all packages."""
    interpreter = new_interpreter(pack)
    try:
        interpreter.set_input_json(input_json)
    except RuntimeError as error:
        raise PolicyError(rego_problem(error, "input")) from None
    defined, value = query(interpreter, RULES_QUERY)
    return value if defined and isinstance(value, dict) else {}
