# Guide §3 "Environment Separation Rules" (mandatory): local never uses live execution
# credentials, backtest can never route live orders, paper and live credentials are stored
# separately, the UI names the mode, and defaults favour non-live operation.
package qm.rules.separation

import data.qm.lib
import rego.v1

# METADATA
# title: An environment uses only secrets of its own scope
# description: Each secret in the catalog has one scope; an environment may reference only secrets of its own mode, so live secrets exist only in live and never leak into lower environments.
# custom:
#   id: QM-SEP-001
#   severity: deny
#   guide: "§3 Environment Separation Rules"
deny contains f if {
	some name, env in input.environments
	out_of_scope := {s | some s in lib.referenced_names(lib.env_json[name]); input.secrets[s].scope != env.spec.mode}
	count(out_of_scope) > 0
	some [p, secret] in lib.secret_refs(env.spec)
	secret in out_of_scope
	scope := input.secrets[secret].scope
	f := {
		"id": "QM-SEP-001",
		"msg": sprintf("environment '%s' (mode %s) uses secret %s of scope %s: an environment may only use secrets of its own scope%s", [name, env.spec.mode, secret, scope, live_note(scope)]),
		"path": array.concat(["environments", name, "spec"], p),
	}
}

live_note(scope) := "; live secrets exist only for live" if {
	scope == "live"
} else := ""

# METADATA
# title: Backtest can never route live orders
# description: Backtesting is historical replay on a simulator; it trades a simulated account through a simulated broker, holds no broker credentials and has no real broker endpoint.
# custom:
#   id: QM-SEP-002
#   severity: deny
#   guide: "§3 Environment Separation Rules"
deny contains f if {
	some name, env in input.environments
	env.spec.mode == "backtest"
	env.spec.execution.account_type != "simulated"
	f := {
		"id": "QM-SEP-002",
		"msg": sprintf("backtest environment '%s' trades a '%s' account: backtest execution is simulated only (account_type: simulated)", [name, env.spec.execution.account_type]),
		"path": ["environments", name, "spec", "execution", "account_type"],
	}
}

deny contains f if {
	some name, env in input.environments
	env.spec.mode == "backtest"
	not env.spec.execution.broker in data.qm.settings.brokers.simulated
	f := {
		"id": "QM-SEP-002",
		"msg": sprintf("backtest environment '%s' uses broker '%s', which is not a simulated broker (policies/settings.yaml brokers.simulated)", [name, env.spec.execution.broker]),
		"path": ["environments", name, "spec", "execution", "broker"],
	}
}

deny contains f if {
	some name, env in input.environments
	env.spec.mode == "backtest"
	count(object.get(env.spec.execution, "credentials", {})) > 0
	f := {
		"id": "QM-SEP-002",
		"msg": sprintf("backtest environment '%s' holds broker credentials: a simulated broker needs none, and without them it cannot reach a real broker", [name]),
		"path": ["environments", name, "spec", "execution", "credentials"],
	}
}

deny contains f if {
	some name, env in input.environments
	env.spec.mode == "backtest"
	not lib.simulated_endpoint(object.get(env.spec.execution, "endpoint", null))
	f := {
		"id": "QM-SEP-002",
		"msg": sprintf("backtest environment '%s' points its broker at a real endpoint: use a sim:// endpoint or none", [name]),
		"path": ["environments", name, "spec", "execution", "endpoint"],
	}
}

# METADATA
# title: Local never holds broker credentials
# description: Local must never use live execution credentials; it is dry-run only, so it needs no broker credentials at all and holds none.
# custom:
#   id: QM-SEP-003
#   severity: deny
#   guide: "§3 Environment Separation Rules"
deny contains f if {
	some name, env in input.environments
	env.spec.mode == "local"
	count(object.get(env.spec.execution, "credentials", {})) > 0
	f := {
		"id": "QM-SEP-003",
		"msg": sprintf("local environment '%s' holds broker credentials: local is dry-run only and must never use execution credentials", [name]),
		"path": ["environments", name, "spec", "execution", "credentials"],
	}
}

# METADATA
# title: Only live may route live orders
# description: Avoid accidental live trading; routes_live_orders may be true in a live environment only, so local, paper and backtest can never reach a live market.
# custom:
#   id: QM-SEP-004
#   severity: deny
#   guide: "§3 Environment Separation Rules"
deny contains f if {
	some name, env in input.environments
	env.spec.mode != "live"
	env.spec.execution.routes_live_orders == true
	f := {
		"id": "QM-SEP-004",
		"msg": sprintf("environment '%s' (mode %s) sets routes_live_orders: true; only live may route live orders", [name, env.spec.mode]),
		"path": ["environments", name, "spec", "execution", "routes_live_orders"],
	}
}

# METADATA
# title: Paper and live credentials and connections are separate
# description: Paper and live credentials must be stored separately; no other environment shares live's broker account or endpoint, Redis key prefix, API or UI URL (URLs compared by parsed host and port).
# custom:
#   id: QM-SEP-005
#   severity: deny
#   guide: "§3 Environment Separation Rules"
deny contains f if {
	some name, env in input.environments
	env.spec.mode != "live"
	some field in lib.separate_fields
	value := object.get(env.spec, field, null)
	value != null
	[field, lib.connection_value(field, value)] in lib.live_connections
	some live_name, live in input.environments
	live.spec.mode == "live"
	lib.connection_value(field, value) == lib.connection_value(field, object.get(live.spec, field, null))
	f := {
		"id": "QM-SEP-005",
		"msg": sprintf("environment '%s' (mode %s) shares %s with live environment '%s': paper and live credentials and connections must be separate", [name, env.spec.mode, concat(".", field), live_name]),
		"path": array.concat(["environments", name, "spec"], field),
	}
}

# METADATA
# title: Secrets of different scopes are stored separately
# description: Two catalog entries of different scopes read from the same environment variable or file would be one stored credential; paper and live credentials must be stored separately.
# custom:
#   id: QM-SEP-006
#   severity: deny
#   guide: "§3 Environment Separation Rules"
deny contains f if {
	shared_providers
	some a, entry in input.secrets
	some kind in ["env", "file"]
	value := object.get(entry, ["provider", kind], null)
	value != null
	some scope in {"local", "paper", "live", "backtest"} - {entry.scope}
	[kind, value, scope] in lib.provider_scopes
	some b, other in input.secrets
	other.scope == scope
	value == object.get(other, ["provider", kind], null)
	f := {
		"id": "QM-SEP-006",
		"msg": sprintf("secret %s (scope %s) is read from the same %s as secret %s (scope %s): credentials of different scopes must be stored separately", [a, entry.scope, provider_kind[kind], b, other.scope]),
		"path": ["secrets", a, "provider", kind],
	}
}

provider_kind := {"env": "environment variable", "file": "file"}

# Screen: some provider (kind and value) is read by entries of more than one scope, i.e.
# lib.provider_scopes holds more [kind, value, scope] triples than distinct [kind, value].
shared_providers if count(lib.provider_scopes) > count({[kind, value] | some [kind, value, _] in lib.provider_scopes})

# METADATA
# title: The UI banner names the mode
# description: The UI must clearly indicate the current mode; the banner names the environment's mode, and only a live environment's banner may say LIVE.
# custom:
#   id: QM-SEP-007
#   severity: deny
#   guide: "§3 Environment Separation Rules"
deny contains f if {
	some name, env in input.environments
	banner := env.spec.ui.banner
	is_string(banner)
	not contains(lower(banner), lower(env.spec.mode))
	f := {
		"id": "QM-SEP-007",
		"msg": sprintf("the UI banner of environment '%s' does not name its mode '%s': the UI must clearly indicate the current mode", [name, env.spec.mode]),
		"path": ["environments", name, "spec", "ui", "banner"],
	}
}

deny contains f if {
	some name, env in input.environments
	env.spec.mode != "live"
	is_string(env.spec.ui.banner)
	regex.match(`(?i)\blive\b`, env.spec.ui.banner)
	f := {
		"id": "QM-SEP-007",
		"msg": sprintf("the UI banner of environment '%s' (mode %s) says LIVE: only a live environment may", [name, env.spec.mode]),
		"path": ["environments", name, "spec", "ui", "banner"],
	}
}

deny contains f if {
	some name, env in input.environments
	not is_string(object.get(env.spec, ["ui", "banner"], null))
	f := {
		"id": "QM-SEP-007",
		"msg": sprintf("environment '%s' sets no UI banner: the UI must clearly indicate the current mode", [name]),
		"path": lib.nearest(env, ["environments", name], ["spec", "ui", "banner"]),
	}
}

# What a base layer must never default to, as [path below spec, forbidden values, why].
live_defaults := [
	[["mode"], {"live"}, "a live mode"],
	[["execution", "routes_live_orders"], {true}, "routing live orders"],
	[["execution", "account_type"], {"live", "paper"}, "a real broker account"],
	[["market_data", "feed"], {"live"}, "the live market data feed"],
]

# METADATA
# title: Defaults favour non-live operation
# description: Deployment defaults must favour non-live operation; a base layer every environment extends never defaults to live mode, live order routing, a real broker account or endpoint, the live feed, or any credential.
# custom:
#   id: QM-SEP-008
#   severity: deny
#   guide: "§3 Environment Separation Rules"
deny contains f if {
	some name, base in input.bases
	some [field, forbidden, what] in live_defaults
	object.get(base, array.concat(["spec"], field), null) in forbidden
	f := {
		"id": "QM-SEP-008",
		"msg": sprintf("base layer '%s' defaults %s to %s: defaults must favour non-live operation", [name, concat(".", field), what]),
		"path": array.concat(["bases", name, "spec"], field),
	}
}

deny contains f if {
	some name, base in input.bases
	not lib.simulated_endpoint(object.get(base, ["spec", "execution", "endpoint"], null))
	f := {
		"id": "QM-SEP-008",
		"msg": sprintf("base layer '%s' defaults execution.endpoint to a real broker endpoint: defaults must favour non-live operation", [name]),
		"path": ["bases", name, "spec", "execution", "endpoint"],
	}
}

deny contains f if {
	some name, base in input.bases
	some [p, secret] in lib.secret_refs(object.get(base, "spec", {}))
	f := {
		"id": "QM-SEP-008",
		"msg": sprintf("base layer '%s' references secret %s: every environment extending it would inherit the credential; set credentials in each environment's own file", [name, secret]),
		"path": array.concat(["bases", name, "spec"], p),
	}
}

# METADATA
# title: No non-live environment points at a live host
# description: Local must never use live execution and backtest can never route live orders; no URL of a non-live environment or of a base layer is on a broker's live host (policies/settings.yaml hosts.brokers.*.live), whatever its path, query, fragment, port or case.
# custom:
#   id: QM-SEP-009
#   severity: deny
#   guide: "§3 Environment Separation Rules"
deny contains f if {
	some section, docs in lib.config_files
	some name, doc in docs
	not live_file(section, name)
	some field in lib.url_fields
	raw := object.get(doc, array.concat(["spec"], field), null)
	is_string(raw)
	broker := lib.live_broker_of(lib.url(raw))
	f := {
		"id": "QM-SEP-009",
		"msg": sprintf("%s '%s' field spec.%s points at host %s, a live host of broker '%s': only live may reach a live broker", [file_kind[section], name, concat(".", field), lib.url(raw).host, broker]),
		"path": array.concat([section, name, "spec"], field),
	}
}

file_kind := {"declared": "environment", "bases": "base layer"}

live_file(section, name) if {
	section == "declared"
	input.environments[name].spec.mode == "live"
}

# METADATA
# title: Market data comes from a known host of its provider and feed
# description: Market data is a demo, non-live, paper-compatible or approved live source per environment; a market data endpoint is a host listed for its provider and the environment's feed (policies/settings.yaml hosts.market_data.<provider>.<feed>), compared by parsed host and port.
# custom:
#   id: QM-SEP-010
#   severity: deny
#   guide: "§2 Supported Environments — market data per environment"
deny contains f if {
	some name, env in input.environments
	raw := object.get(env.spec, ["market_data", "endpoint"], null)
	is_string(raw)
	provider := env.spec.market_data.provider
	feed := env.spec.market_data.feed
	reason := market_data_problem(lib.url(raw), provider, feed)
	f := {
		"id": "QM-SEP-010",
		"msg": sprintf("environment '%s' market data endpoint %s", [name, reason]),
		"path": ["environments", name, "spec", "market_data", "endpoint"],
	}
}

market_data_problem(u, provider, feed) := sprintf("is not a plain URL (it %s)", [u.problem]) if {
	not u.valid
} else := sprintf("host %s is not a known %s host of provider '%s' (policies/settings.yaml hosts.market_data.%s.%s)", [u.authority, feed, provider, provider, feed]) if {
	not lib.known_host(u, object.get(data.qm.settings, ["hosts", "market_data", provider, feed], []))
}
