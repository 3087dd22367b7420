# Guide §7 "Local Deployment Guide" and §8 "Paper Trading Deployment Guide": local is safe
# development on a dry-run broker and demo data; paper is the dress rehearsal for live, on a
# paper broker account, with limits, alerts and analytics set as deliberately as in live.
# (The UI banner of both is checked by QM-SEP-007.)
package qm.rules.local_paper

import data.qm.lib
import rego.v1

# METADATA
# title: Local uses the dry-run broker
# description: Local checklist, dry-run broker enabled; local runs the dry-run broker adapter on a dry-run account, with no real broker endpoint.
# custom:
#   id: QM-LOC-001
#   severity: deny
#   guide: "§7 Local Deployment Guide"
deny contains f if {
	some name, env in input.environments
	env.spec.mode == "local"
	env.spec.execution.account_type != "dry_run"
	f := {
		"id": "QM-LOC-001",
		"msg": sprintf("local environment '%s' trades a '%s' account: local execution is dry-run only (account_type: dry_run)", [name, env.spec.execution.account_type]),
		"path": ["environments", name, "spec", "execution", "account_type"],
	}
}

deny contains f if {
	some name, env in input.environments
	env.spec.mode == "local"
	not env.spec.execution.broker in data.qm.settings.brokers.dry_run
	f := {
		"id": "QM-LOC-001",
		"msg": sprintf("local environment '%s' uses broker '%s', which is not a dry-run broker (policies/settings.yaml brokers.dry_run)", [name, env.spec.execution.broker]),
		"path": ["environments", name, "spec", "execution", "broker"],
	}
}

deny contains f if {
	some name, env in input.environments
	env.spec.mode == "local"
	not lib.simulated_endpoint(object.get(env.spec.execution, "endpoint", null))
	f := {
		"id": "QM-LOC-001",
		"msg": sprintf("local environment '%s' points its broker at a real endpoint: the dry-run broker needs none", [name]),
		"path": ["environments", name, "spec", "execution", "endpoint"],
	}
}

# METADATA
# title: Local uses demo or non-live market data
# description: Local market data is a demo feed or a non-live feed; the live feed needs a live entitlement that local must never hold.
# custom:
#   id: QM-LOC-002
#   severity: deny
#   guide: "§7 Local Deployment Guide"
deny contains f if {
	some name, env in input.environments
	env.spec.mode == "local"
	env.spec.market_data.feed == "live"
	f := {
		"id": "QM-LOC-002",
		"msg": sprintf("local environment '%s' uses the live market data feed: use the demo feed or a non-live one", [name]),
		"path": ["environments", name, "spec", "market_data", "feed"],
	}
}

# METADATA
# title: Paper uses a paper broker account with paper credentials
# description: Paper trading executes on a paper broker account, never a live one, with the paper broker credentials configured.
# custom:
#   id: QM-PAP-001
#   severity: deny
#   guide: "§8 Paper Trading Deployment Guide"
deny contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	env.spec.execution.account_type != "paper"
	f := {
		"id": "QM-PAP-001",
		"msg": sprintf("paper environment '%s' trades a '%s' account: paper executes on a paper broker account (account_type: paper)", [name, env.spec.execution.account_type]),
		"path": ["environments", name, "spec", "execution", "account_type"],
	}
}

deny contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	count(object.get(env.spec.execution, "credentials", {})) == 0
	f := {
		"id": "QM-PAP-001",
		"msg": sprintf("paper environment '%s' has no paper broker credentials configured", [name]),
		"path": lib.nearest(env, ["environments", name], ["spec", "execution", "credentials"]),
	}
}

# METADATA
# title: Paper uses a paper broker endpoint
# description: Paper broker endpoint verified; the endpoint parses to a known paper host of its broker (policies/settings.yaml hosts.brokers.<broker>.paper), over https or wss, never a live host; the URL's path, query or fragment do not count.
# custom:
#   id: QM-PAP-002
#   severity: deny
#   guide: "§8 Paper Trading Deployment Guide"
deny contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	endpoint := object.get(env.spec.execution, "endpoint", null)
	is_string(endpoint)
	reason := endpoint_problem(env.spec.execution.broker, lib.url(endpoint))
	f := {
		"id": "QM-PAP-002",
		"msg": sprintf("paper environment '%s' broker endpoint %s: paper uses a paper broker endpoint", [name, reason]),
		"path": ["environments", name, "spec", "execution", "endpoint"],
	}
}

deny contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	not is_string(object.get(env.spec.execution, "endpoint", null))
	f := {
		"id": "QM-PAP-002",
		"msg": sprintf("paper environment '%s' sets no broker endpoint: paper uses a verified paper broker endpoint", [name]),
		"path": ["environments", name, "spec", "execution"],
	}
}

# Why a paper broker endpoint is refused (undefined when it is a known paper host): judged on
# the parsed URL (lib.url), so a path, query, fragment or userinfo saying "paper" changes nothing.
endpoint_problem(broker, u) := sprintf("is not a plain URL (it %s)", [u.problem]) if {
	not u.valid
} else := sprintf("is a live broker endpoint (host %s, a live host of broker '%s')", [u.host, lib.live_broker_of(u)]) if {
	lib.live_broker_of(u)
} else := sprintf("uses %s://: a broker endpoint is https or wss", [u.scheme]) if {
	not u.scheme in {"https", "wss"}
} else := sprintf("host %s is not a known paper host of broker '%s' (policies/settings.yaml hosts.brokers.%s.paper)", [u.authority, broker, broker]) if {
	not lib.known_host(u, object.get(data.qm.settings, ["hosts", "brokers", broker, "paper"], []))
}

# Limits paper must set in its own file (guide §8 "risk limits configured intentionally").
paper_limits := [
	["risk", "currency"],
	["risk", "max_order_notional"],
	["risk", "max_position_notional"],
	["risk", "max_gross_exposure"],
	["risk", "max_daily_loss"],
	["risk", "max_orders_per_minute"],
	["capital", "limit"],
]

# [field, its section below the document, the field below the document] of each limit, built once.
paper_limit_paths := [[field, ["spec", field[0]], array.concat(["spec"], field)] | some field in paper_limits]

# METADATA
# title: Paper sets its risk limits in its own file
# description: Risk limits configured intentionally; every paper risk limit and its capital limit are written in the paper environment's file, not inherited from the base layer. (A file without any risk block is reported by QM-CFG-004.)
# custom:
#   id: QM-PAP-003
#   severity: deny
#   guide: "§8 Paper Trading Deployment Guide"
deny contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	doc := input.declared[name]
	some [field, section, rel] in paper_limit_paths
	lib.has(doc, section)
	not lib.has(doc, rel)
	f := {
		"id": "QM-PAP-003",
		"msg": sprintf("paper environment '%s' does not set %s in its own file: configure paper risk limits intentionally", [name, concat(".", field)]),
		"path": lib.nearest(doc, ["declared", name], rel),
	}
}

deny contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	doc := input.declared[name]
	lib.has(doc, ["spec"])
	not lib.has(doc, ["spec", "capital"])
	f := {
		"id": "QM-PAP-003",
		"msg": sprintf("paper environment '%s' does not set its capital limit in its own file: configure paper risk limits intentionally", [name]),
		"path": ["declared", name, "spec"],
	}
}

# METADATA
# title: Paper has alerts active
# description: Alerts active; paper behaves as close to live as possible, so operators hear about what goes wrong.
# custom:
#   id: QM-PAP-004
#   severity: deny
#   guide: "§8 Paper Trading Deployment Guide"
deny contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	object.get(env.spec, ["alerts", "enabled"], false) != true
	f := {
		"id": "QM-PAP-004",
		"msg": sprintf("paper environment '%s' does not enable alerts: alerts must be active in paper", [name]),
		"path": lib.nearest(env, ["environments", name], ["spec", "alerts", "enabled"]),
	}
}

deny contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	env.spec.alerts.enabled == true
	count(object.get(env.spec.alerts, "channels", [])) == 0
	f := {
		"id": "QM-PAP-004",
		"msg": sprintf("paper environment '%s' enables alerts but sends them nowhere: list at least one channel", [name]),
		"path": ["environments", name, "spec", "alerts"],
	}
}

# METADATA
# title: Paper has analytics capture active
# description: Analytics capture active; paper is where strategy behaviour is measured before live, so analytics run and capture.
# custom:
#   id: QM-PAP-005
#   severity: deny
#   guide: "§8 Paper Trading Deployment Guide"
deny contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	some field in ["enabled", "capture"]
	object.get(env.spec, ["analytics", field], false) != true
	f := {
		"id": "QM-PAP-005",
		"msg": sprintf("paper environment '%s' does not set analytics.%s: analytics capture must be active in paper", [name, field]),
		"path": lib.nearest(env, ["environments", name], ["spec", "analytics", field]),
	}
}

# METADATA
# title: Paper uses a real or paper-compatible data source
# description: Paper behaves as close to live as possible; its market data is the live or delayed feed, not the demo feed or historical replay.
# custom:
#   id: QM-PAP-006
#   severity: warn
#   guide: "§8 Paper Trading Deployment Guide"
warn contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	not env.spec.market_data.feed in {"live", "delayed"}
	f := {
		"id": "QM-PAP-006",
		"msg": sprintf("paper environment '%s' uses the %v market data feed: paper should behave as close to live as possible (live or delayed feed)", [name, env.spec.market_data.feed]),
		"path": ["environments", name, "spec", "market_data", "feed"],
	}
}

# METADATA
# title: Paper is actively observed
# description: Deployment monitoring window; paper deployments get active observation through the session.
# custom:
#   id: QM-PAP-007
#   severity: warn
#   guide: "§14 Deployment Monitoring Window"
warn contains f if {
	some name, env in input.environments
	env.spec.mode == "paper"
	not object.get(env.spec, ["monitoring", "intensity"], null) in {"active", "heightened"}
	f := {
		"id": "QM-PAP-007",
		"msg": sprintf("paper environment '%s' is not actively observed: set monitoring.intensity to active", [name]),
		"path": lib.nearest(env, ["environments", name], ["spec", "monitoring", "intensity"]),
	}
}
