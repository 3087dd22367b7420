# Guide §9 "Live Deployment Guide": live only after successful paper validation, with every
# precondition recorded, the safety controls in place, and a small first release.
package qm.rules.live

import data.qm.lib
import rego.v1

# Go-live preconditions, as [path below spec, what the guide calls it].
preconditions := [
	[["approvals", "go_live_checklist"], "live trading go-live checklist approved"],
	[["approvals", "production_readiness_review"], "production readiness review approved"],
	[["staffing", "operator"], "operator assigned"],
	[["staffing", "engineer_on_standby"], "engineer on standby"],
	[["approvals", "initial_capital_limits"], "initial capital limits approved"],
	[["approvals", "strategy_set"], "live strategy set approved"],
]

# METADATA
# title: Go-live preconditions are recorded
# description: Live deployment preconditions; the go-live checklist and production readiness review are approved, an operator is assigned, an engineer is on standby, and the initial capital limits and strategy set are approved, each recorded in the environment.
# custom:
#   id: QM-LIVE-001
#   severity: deny
#   guide: "§9 Live Deployment Guide"
deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	some [field, what] in preconditions
	rel := array.concat(["spec"], field)
	not lib.has(env, rel)
	f := {
		"id": "QM-LIVE-001",
		"msg": sprintf("live environment '%s' does not record '%s' (spec.%s): live deploys only after every precondition is met", [name, what, concat(".", field)]),
		"path": lib.nearest(env, ["environments", name], rel),
	}
}

# Live deployment checklist items recorded as approvals.
checklist := [
	["risk_limits_final_review", "risk limits reviewed one final time"],
	["broker_endpoint_verified", "live broker endpoint verified"],
	["market_data_entitlement", "market data entitlement verified"],
]

# METADATA
# title: The live deployment checklist is recorded
# description: Live deployment checklist; the final risk-limit review, the live broker endpoint verification and the market data entitlement are recorded as approvals.
# custom:
#   id: QM-LIVE-002
#   severity: deny
#   guide: "§9 Live Deployment Guide"
deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	some [field, what] in checklist
	rel := ["spec", "approvals", field]
	not lib.has(env, rel)
	f := {
		"id": "QM-LIVE-002",
		"msg": sprintf("live environment '%s' does not record '%s' (spec.approvals.%s)", [name, what, field]),
		"path": lib.nearest(env, ["environments", name], rel),
	}
}

# METADATA
# title: Live loads a blocked-symbols list
# description: Blocked symbols list loaded; live trades with a non-empty list of symbols it must never trade.
# custom:
#   id: QM-LIVE-003
#   severity: deny
#   guide: "§9 Live Deployment Guide"
deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	count(object.get(env.spec, "blocked_symbols", [])) == 0
	f := {
		"id": "QM-LIVE-003",
		"msg": sprintf("live environment '%s' has an empty blocked-symbols list: load the blocked symbols before going live", [name]),
		"path": lib.nearest(env, ["environments", name], ["spec", "blocked_symbols"]),
	}
}

# METADATA
# title: Live has the emergency halt enabled and verified
# description: Emergency halt visible and verified; live enables the emergency halt and records who verified it works, and when.
# custom:
#   id: QM-LIVE-004
#   severity: deny
#   guide: "§9 Live Deployment Guide"
deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	object.get(env.spec, ["safety", "emergency_halt", "enabled"], false) != true
	f := {
		"id": "QM-LIVE-004",
		"msg": sprintf("live environment '%s' does not enable the emergency halt", [name]),
		"path": lib.nearest(env, ["environments", name], ["spec", "safety", "emergency_halt", "enabled"]),
	}
}

deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	rel := ["spec", "safety", "emergency_halt", "verified"]
	not lib.has(env, rel)
	f := {
		"id": "QM-LIVE-004",
		"msg": sprintf("live environment '%s' does not record that the emergency halt was verified (safety.emergency_halt.verified)", [name]),
		"path": lib.nearest(env, ["environments", name], rel),
	}
}

# METADATA
# title: Live records that reconciliation paths were tested
# description: Reconciliation paths tested recently; live records who tested reconciliation and when (how recent is checked by QM-LIVE-006).
# custom:
#   id: QM-LIVE-005
#   severity: deny
#   guide: "§9 Live Deployment Guide"
deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	rel := ["spec", "safety", "reconciliation_tested"]
	not lib.has(env, rel)
	f := {
		"id": "QM-LIVE-005",
		"msg": sprintf("live environment '%s' does not record that reconciliation paths were tested (safety.reconciliation_tested)", [name]),
		"path": lib.nearest(env, ["environments", name], rel),
	}
}

# Dated live evidence that must be recent, as [path below spec, settings key, what it is].
recent_evidence := [
	[["safety", "reconciliation_tested"], "reconciliation_max_age_days", "reconciliation test"],
	[["safety", "emergency_halt", "verified"], "emergency_halt_max_age_days", "emergency halt verification"],
]

# METADATA
# title: Live safety evidence is recent
# description: Reconciliation paths tested recently, emergency halt verified; evidence older than the days policies/settings.yaml allows (or dated after today) needs renewing. Dates are measured against the gate's context.today.
# custom:
#   id: QM-LIVE-006
#   severity: warn
#   guide: "§9 Live Deployment Guide"
warn contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	some [field, key, what] in recent_evidence
	at := object.get(env.spec, array.concat(field, ["at"]), null)
	age := lib.days_between(at, lib.today)
	max_age := data.qm.settings.live_evidence[key]
	age > max_age
	f := {
		"id": "QM-LIVE-006",
		"msg": sprintf("live environment '%s' last %s is %v days old (limit %v days): test it again before deploying", [name, what, age, max_age]),
		"path": array.concat(["environments", name, "spec"], array.concat(field, ["at"])),
	}
}

warn contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	some [field, _, what] in recent_evidence
	at := object.get(env.spec, array.concat(field, ["at"]), null)
	lib.days_between(at, lib.today) < 0
	f := {
		"id": "QM-LIVE-006",
		"msg": sprintf("live environment '%s' %s is dated after today (%s): record the date it actually happened", [name, what, lib.today]),
		"path": array.concat(["environments", name, "spec"], array.concat(field, ["at"])),
	}
}

# METADATA
# title: Live trades a live account on the approved live feed
# description: Live trading executes on a live broker account with an approved live market data source.
# custom:
#   id: QM-LIVE-007
#   severity: deny
#   guide: "§9 Live Deployment Guide"
deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	env.spec.execution.account_type != "live"
	f := {
		"id": "QM-LIVE-007",
		"msg": sprintf("live environment '%s' trades a '%s' account: live executes on a live broker account", [name, env.spec.execution.account_type]),
		"path": ["environments", name, "spec", "execution", "account_type"],
	}
}

deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	env.spec.market_data.feed != "live"
	f := {
		"id": "QM-LIVE-007",
		"msg": sprintf("live environment '%s' uses the %v market data feed: live trades on the approved live feed", [name, env.spec.market_data.feed]),
		"path": ["environments", name, "spec", "market_data", "feed"],
	}
}

# METADATA
# title: Live connects to its broker's live host
# description: Live broker endpoint verified; live's broker endpoint parses to a known live host of its broker (policies/settings.yaml hosts.brokers.<broker>.live), over https or wss.
# custom:
#   id: QM-LIVE-012
#   severity: deny
#   guide: "§9 Live Deployment Checklist — live broker endpoint verified"
deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	endpoint := object.get(env.spec.execution, "endpoint", null)
	reason := live_endpoint_problem(env.spec.execution.broker, endpoint)
	f := {
		"id": "QM-LIVE-012",
		"msg": sprintf("live environment '%s' broker endpoint %s", [name, reason]),
		"path": lib.nearest(env, ["environments", name], ["spec", "execution", "endpoint"]),
	}
}

live_endpoint_problem(broker, endpoint) := "is not set: live trades through its broker's verified live endpoint" if {
	not is_string(endpoint)
} else := sprintf("is not a plain URL (it %s)", [lib.url(endpoint).problem]) if {
	not lib.url(endpoint).valid
} else := sprintf("uses %s://: a broker endpoint is https or wss", [lib.url(endpoint).scheme]) if {
	not lib.url(endpoint).scheme in {"https", "wss"}
} else := sprintf("host %s is not a known live host of broker '%s' (policies/settings.yaml hosts.brokers.%s.live)", [lib.url(endpoint).authority, broker, broker]) if {
	not lib.known_host(lib.url(endpoint), object.get(data.qm.settings, ["hosts", "brokers", broker, "live"], []))
}

# A live environment is in its first live release until it records a capital increase
# (`capital.last_increase`): that is when the guide allows exposure to grow.
first_release(env) if not lib.has(env, ["spec", "capital", "last_increase"])

# METADATA
# title: The first live release starts small
# description: First live release rules; start with small capital and a limited strategy scope, at or under the ceilings of policies/settings.yaml, until a capital increase is recorded after stable observation.
# custom:
#   id: QM-LIVE-008
#   severity: deny
#   guide: "§9 Live Deployment Guide"
deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	first_release(env)
	ceiling := data.qm.settings.first_live_release.max_capital
	is_number(env.spec.capital.limit)
	env.spec.capital.limit > ceiling
	f := {
		"id": "QM-LIVE-008",
		"msg": sprintf("live environment '%s' starts with capital.limit %v, above the first-live-release ceiling of %v: start with small capital", [name, env.spec.capital.limit, ceiling]),
		"path": ["environments", name, "spec", "capital", "limit"],
	}
}

deny contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	first_release(env)
	limit := data.qm.settings.first_live_release.max_enabled_strategies
	enabled := count([s | some s in object.get(env.spec, "strategies", []); s.enabled == true])
	enabled > limit
	f := {
		"id": "QM-LIVE-008",
		"msg": sprintf("live environment '%s' enables %d strategies in its first live release, more than %d: start with a limited strategy scope", [name, enabled, limit]),
		"path": ["environments", name, "spec", "strategies"],
	}
}

# The paper validation checks of guide §8, all of which must have passed.
paper_checks := [
	"startup_flow",
	"account_summary_matches_broker",
	"order_placement",
	"order_cancel",
	"fills_captured",
	"positions_reconcile",
	"end_of_day_reconciliation",
	"emergency_halt_tested",
]

# METADATA
# title: Live runs only releases that passed paper validation
# description: Live deployment should happen only after successful paper validation; the release live runs records a passed, approved paper validation in a paper-mode environment with every paper validation check true.
# custom:
#   id: QM-LIVE-009
#   severity: deny
#   guide: "§9 Live Deployment Guide"
deny contains f if {
	some [name, version, release] in lib.live_releases
	not lib.has(release, ["spec", "validation", "paper"])
	f := {
		"id": "QM-LIVE-009",
		"msg": sprintf("live environment '%s' runs release %s, which records no paper validation: live only after successful paper validation", [name, version]),
		"path": lib.nearest(release, ["releases", version], ["spec", "validation", "paper"]),
	}
}

deny contains f if {
	some [name, version, release] in lib.live_releases
	paper := release.spec.validation.paper
	is_object(paper)
	object.get(paper, "result", null) != "passed"
	f := {
		"id": "QM-LIVE-009",
		"msg": sprintf("live environment '%s' runs release %s, whose paper validation did not pass", [name, version]),
		"path": lib.nearest(release, ["releases", version], ["spec", "validation", "paper", "result"]),
	}
}

deny contains f if {
	some [name, version, release] in lib.live_releases
	paper := release.spec.validation.paper
	is_object(paper)
	object.get(input.environments, [object.get(paper, "environment", ""), "spec", "mode"], null) != "paper"
	f := {
		"id": "QM-LIVE-009",
		"msg": sprintf("live environment '%s' runs release %s, whose paper validation names no paper-mode environment", [name, version]),
		"path": lib.nearest(release, ["releases", version], ["spec", "validation", "paper", "environment"]),
	}
}

deny contains f if {
	some [name, version, release] in lib.live_releases
	paper := release.spec.validation.paper
	is_object(paper)
	some check in paper_checks
	object.get(paper, ["checks", check], false) != true
	f := {
		"id": "QM-LIVE-009",
		"msg": sprintf("live environment '%s' runs release %s, whose paper validation does not record '%s' as passed", [name, version, check]),
		"path": lib.nearest(release, ["releases", version], ["spec", "validation", "paper", "checks", check]),
	}
}

deny contains f if {
	some [name, version, release] in lib.live_releases
	paper := release.spec.validation.paper
	is_object(paper)
	not lib.has(paper, ["approved"])
	f := {
		"id": "QM-LIVE-009",
		"msg": sprintf("live environment '%s' runs release %s, whose paper validation has no recorded approval", [name, version]),
		"path": ["releases", version, "spec", "validation", "paper"],
	}
}

# METADATA
# title: Live runs the strategy versions its release pins
# description: The live strategy set is the one the validated release carries; every strategy live runs has the exact version its release pins (the loader checks it too).
# custom:
#   id: QM-LIVE-010
#   severity: deny
#   guide: "§9 Live Deployment Guide"
deny contains f if {
	some [name, version, release] in lib.live_releases
	some i, strategy in object.get(input.environments[name].spec, "strategies", [])
	pinned := object.get(release, ["spec", "strategies", strategy.name], null)
	strategy.version != pinned
	f := {
		"id": "QM-LIVE-010",
		"msg": sprintf("live environment '%s' runs %s %v but release %s pins %v: live runs exactly the validated strategy versions", [name, strategy.name, strategy.version, version, pinned]),
		"path": ["environments", name, "spec", "strategies", i, "version"],
	}
}

# METADATA
# title: Live is watched with heightened observation
# description: Deployment monitoring window; live gets heightened observation for the first release window and first full session.
# custom:
#   id: QM-LIVE-011
#   severity: warn
#   guide: "§14 Deployment Monitoring Window"
warn contains f if {
	some name in lib.live_envs
	env := input.environments[name]
	object.get(env.spec, ["monitoring", "intensity"], null) != "heightened"
	f := {
		"id": "QM-LIVE-011",
		"msg": sprintf("live environment '%s' is not under heightened observation: set monitoring.intensity to heightened", [name]),
		"path": lib.nearest(env, ["environments", name], ["spec", "monitoring", "intensity"]),
	}
}
