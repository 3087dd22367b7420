"""URLs as the policy pack judges them: parsed once, here, into scheme, host and port.

Rego has no URL parser, and substring tests on a URL are how `https://api.alpaca.markets#paper`
or `https://paper-api.alpaca.markets@api.alpaca.markets` passed as "paper" endpoints. So the
policy input carries, next to the desired state, `input.urls`: every URL-valued field's string
→ its parsed form (below), and rules compare hosts from there. The same input goes to every
engine, so the embedded engine and OPA judge the same parsed hosts.

A URL is `valid` only when every reasonable parser would read the same host out of it: no
userinfo (`user@`), no backslash, whitespace, control or percent-escape where the host is
read, a host that is a DNS name (lower-cased, trailing dot dropped, non-ASCII labels turned
into their punycode `xn--` form so a look-alike is a different host) or an IP literal, and a
port in range. Anything else is `valid: false` with a `problem`; rules refuse such URLs
outright rather than guess which host they mean.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

# URL-valued fields of an environment's spec (tests/policy/test_urls.py checks this against
# every field typed `Url` in quantmatrix/model/environment.py, so a new URL field is parsed too).
URL_FIELDS: tuple[tuple[str, str], ...] = (
    ("execution", "endpoint"),
    ("market_data", "endpoint"),
    ("api", "base_url"),
    ("ui", "url"),
)

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://(.*)$", re.IGNORECASE | re.DOTALL)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_HEXLIKE = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")  # a last label WHATWG would read as an IPv4 part
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\\\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


def _invalid(problem: str, scheme: str = "") -> dict[str, Any]:
    return {
        "valid": False,
        "problem": problem,
        "scheme": scheme,
        "host": "",
        "port": None,
        "authority": "",
        "default_port": False,
        "userinfo": False,
        "ip": False,
    }


def _dns_host(host: str) -> str | None:
    """The host as a comparable ASCII DNS name, or None if it is not one."""
    host = host.lower().removesuffix(".")
    if not host or len(host) > 253:
        return None
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels) or _HEXLIKE.match(labels[-1]):
        return None
    return host


def parse_url(raw: str) -> dict[str, Any]:
    """`raw` → {valid, problem, scheme, host, port, authority, default_port, userinfo, ip}."""
    if _UNSAFE.search(raw):
        return _invalid("contains whitespace, a control or invisible character, or a backslash")
    match = _SCHEME.match(raw)
    if not match:
        return _invalid("has no scheme://")
    scheme, rest = match.group(1).lower(), match.group(2)
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        invalid = _invalid("carries userinfo (user@host): the host is what follows '@', whatever precedes it", scheme)
        invalid["userinfo"] = True
        return invalid
    if "%" in authority:
        return _invalid("has a percent-escape in its host", scheme)
    ip = False
    if authority.startswith("["):
        host, sep, tail = authority[1:].partition("]")
        try:
            host = ipaddress.IPv6Address(host).compressed
        except ValueError:
            return _invalid("has a malformed IPv6 literal", scheme)
        if not sep or (tail and not tail.startswith(":")):
            return _invalid("has a malformed IPv6 literal", scheme)
        port_text, ip = tail[1:] if tail else "", True
    else:
        host, _, port_text = authority.partition(":")
        if ":" in port_text:
            return _invalid("has more than one ':' in its host and port", scheme)
        try:
            host, ip = str(ipaddress.IPv4Address(host)), True
        except ValueError:
            name = _dns_host(host)
            if name is None:
                return _invalid("has no valid host (a DNS name or an IP address)", scheme)
            host = name
    if port_text and not (port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536):
        return _invalid("has an invalid port", scheme)
    port = int(port_text) if port_text else DEFAULT_PORTS.get(scheme)
    default = port is not None and port == DEFAULT_PORTS.get(scheme)
    shown = f"[{host}]" if ":" in host else host
    return {
        "valid": True,
        "problem": "",
        "scheme": scheme,
        "host": host,
        "port": port,
        "authority": f"{shown}:{port}" if port is not None else shown,
        "default_port": default,
        "userinfo": False,
        "ip": ip,
    }


def _url_strings(specs: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    for spec in specs:
        for section, field in URL_FIELDS:
            block = spec.get(section)
            value = block.get(field) if isinstance(block, Mapping) else None
            if isinstance(value, str):
                yield value


def parsed_urls(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`input.urls`: every URL field's string in the environments and base layers → parsed."""
    specs = [
        doc.get("spec") or {}
        for section in ("environments", "declared", "bases")
        for doc in (document.get(section) or {}).values()
        if isinstance(doc, Mapping)
    ]
    return {raw: parse_url(raw) for raw in dict.fromkeys(_url_strings(specs))}
