"""The OPA engine: the same pack and input, evaluated by an OPA server.

Through `opa-python-client` (requests-based, imported only when this engine runs): every
non-test module is uploaded (`PUT /v1/policies/qm/<file>`), the settings become
`data.qm.settings` (`PUT /v1/data/qm/settings`), modules of an earlier upload that the pack
no longer has are deleted, and `data.qm.rules` is queried with the input
(`POST /v1/data/qm/rules`). An unreachable server is `RuntimeUnavailable` (exit 3: still not
a pass, but says "infrastructure", not "your change"); a module the server rejects is a
`PolicyError` at its `file:line:col`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from quantmatrix.errors import PolicyError, Problem, RuntimeUnavailable
from quantmatrix.policy.pack import Pack

POLICY_PREFIX = "qm/"  # ids of the modules we own on the server
TIMEOUT_SECONDS = 30.0  # a 1,000-environment input is several MB


def _client(url: str) -> Any:
    from opa_client import OpaClient

    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PolicyError(Problem(subject="--opa-url", message=f"not an http(s) URL: {url!r}"))
    port = parts.port or (443 if parts.scheme == "https" else 8181)
    return OpaClient(host=parts.hostname, port=port, ssl=parts.scheme == "https", timeout=TIMEOUT_SECONDS, retries=0)


def _server_problems(body: Any, files: dict[str, str]) -> list[Problem]:
    """OPA's `{"errors": [{"message", "location": {"file", "row", "col"}}]}` → problems."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        message = body.get("message") if isinstance(body, dict) else None
        return [Problem(subject="opa", message=str(message or body))]
    problems = []
    for error in errors:
        where = error.get("location") or {}
        file = files.get(where.get("file", ""), where.get("file") or "opa")
        problems.append(
            Problem(
                file, int(where.get("row") or 0), int(where.get("col") or 0), "", str(error.get("message", "error"))
            )
        )
    return problems


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"message": f"HTTP {response.status_code}"}


def _policy_ids(client: Any) -> list[str]:
    """Ids of the modules on the server. Not `client.get_policies_list()`: it asks for
    `/v1/policies/` and OPA's router only lists at `/v1/policies` (no trailing slash). So one
    plain `requests` call, configured from the client's public settings (URL, headers with
    any token, client certificate, timeout) rather than its private session."""
    import requests

    response = requests.get(
        f"{client.root_url}/policies", headers=client.headers, cert=client.cert, timeout=client.timeout
    )
    response.raise_for_status()
    return [p["id"] for p in response.json().get("result", []) if isinstance(p, dict) and "id" in p]


def _upload(client: Any, pack: Pack) -> None:
    """Replace our modules on the server with the pack's.

    OPA compiles each module against those already loaded, so a module calling a function of
    a module not uploaded yet is refused: upload in passes until nothing more goes in.
    """
    from opa_client.errors import RegoParseError

    ids = {f"{POLICY_PREFIX}{path}": path for path, _ in pack.modules}
    texts = dict(pack.modules)
    for stale in _policy_ids(client):
        if stale.startswith(POLICY_PREFIX) and stale not in ids:
            client.delete_policy(stale)
    pending = list(ids)
    while pending:
        refused: dict[str, list[Problem]] = {}
        for policy_id in pending:
            try:
                client.update_policy_from_string(texts[ids[policy_id]], policy_id, rego_compat=False)
            except RegoParseError as error:
                refused[policy_id] = _server_problems({"errors": error.errors, "message": error.message}, ids)
        if len(refused) == len(pending):
            raise PolicyError([problem for problems in refused.values() for problem in problems])
        pending = list(refused)
    client.update_or_create_data(dict(pack.settings), "qm/settings")


def evaluate(pack: Pack, input_json: str, *, url: str | None = None) -> dict[str, Any]:
    """`data.qm.rules` for the input, in one query to the server at `url`."""
    import requests
    from opa_client import errors as opa_errors

    refusals = (
        opa_errors.DeletePolicyError,
        opa_errors.PolicyNotFoundError,
        opa_errors.RegoParseError,
        opa_errors.TypeException,
    )
    if not url:
        raise PolicyError(
            Problem(subject="--opa-url", message="the opa engine needs --opa-url (e.g. http://localhost:8181)")
        )
    client = _client(url)
    try:
        if not client.check_health():
            raise RuntimeUnavailable(Problem(subject=url, message="OPA server is not reachable or not healthy"))
        _upload(client, pack)
        try:
            body = client.query_rule(json.loads(input_json), "qm/rules")
        except requests.exceptions.HTTPError as error:
            raise PolicyError(
                _server_problems(_json(error.response), {f"{POLICY_PREFIX}{p}": p for p, _ in pack.modules})
            ) from None
    except refusals as error:
        raise PolicyError(
            Problem(subject=url, message=f"OPA refused the request: {getattr(error, 'message', error)}")
        ) from None
    except requests.exceptions.ConnectionError:
        raise RuntimeUnavailable(Problem(subject=url, message="OPA server is not reachable")) from None
    except requests.exceptions.RequestException as error:
        raise PolicyError(Problem(subject=url, message=f"OPA request failed: {type(error).__name__}")) from None
    except (ValueError, json.JSONDecodeError):
        raise PolicyError(Problem(subject=url, message="OPA answered with something that is not JSON")) from None
    finally:
        client.close_connection()
    result = body.get("result")
    return result if isinstance(result, dict) else {}
