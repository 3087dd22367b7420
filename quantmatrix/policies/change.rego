# Delta rules: what a pull request changes, not only where it ends up. They read
# `input.change`, the semantic diff against the base branch that `qm check --base REF` (and the
# PR summary of `qm diff`) put in the input; its shape is documented in
# quantmatrix/diff/document.py. Without `--base` there is no `input.change` and every rule here
# is silent. Each rule reports at the changed value in the HEAD state, so the finding lands on
# the line the pull request edited.
package qm.rules.change

import data.qm.lib
import rego.v1

# Thresholds (policies/settings.yaml, key `change`), with the defaults used when unset.
min_observation_days := object.get(data.qm.settings, ["change", "min_observation_days"], 14)

max_step_increase := object.get(data.qm.settings, ["change", "max_step_increase"], 0.5)

# Environments the change touches, with their entry of `input.change.environments`.
changed_envs[name] := c if some name, c in input.change.environments

# The release an environment runs in HEAD, and whether its checklist records `item`.
head_release(name) := input.environments[name].spec.release

reviewed(name, item) if lib.has(input.releases[head_release(name)], ["spec", "checklist", item, "by"])

# "+33.3%" for a delta with a relative change, "" otherwise.
pct(d) := sprintf(" (+%v%%)", [round(d.relative * 1000) / 10]) if {
	is_number(d.relative)
	d.relative >= 0
} else := sprintf(" (%v%%)", [round(d.relative * 1000) / 10]) if {
	is_number(d.relative)
} else := ""

# An approval recorded in HEAD that is newer than the one in BASE (or new): re-approved in
# this change.
renewed(name, key) if {
	at := input.environments[name].spec.approvals[key].at
	lib.date_ns(at)
	not lib.has(changed_envs[name].base, ["approvals", key, "at"])
}

renewed(name, key) if {
	at := input.environments[name].spec.approvals[key].at
	lib.date_ns(at) > lib.date_ns(changed_envs[name].base.approvals[key].at)
}

# METADATA
# title: A raised risk limit needs a risk review
# description: A pull request that raises a risk limit of any environment (or sets limits for a new one) must go with a release that records checklist.risk_changes_reviewed, the release the environment runs in the head.
# custom:
#   id: QM-CHG-001
#   severity: deny
#   guide: "§5 Prerequisites — Readiness: risk changes reviewed"
deny contains f if {
	some name, c in changed_envs
	some limit, d in c.risk
	d.increases_risk
	not reviewed(name, "risk_changes_reviewed")
	f := {
		"id": "QM-CHG-001",
		"msg": sprintf("%s: %s raised %v → %v%s; release %s, which %s runs, records no checklist.risk_changes_reviewed", [name, limit, d.old, d.new, pct(d), head_release(name), name]),
		"path": d.path,
	}
}

# METADATA
# title: Raised capital needs a risk review
# description: More capital for an environment (capital.limit) or for an enabled strategy is a risk change; the release the environment runs must record checklist.risk_changes_reviewed.
# custom:
#   id: QM-CHG-002
#   severity: deny
#   guide: "§5 Prerequisites — Readiness: risk changes reviewed"
deny contains f if {
	some name, c in changed_envs
	c.capital.increases_risk
	not reviewed(name, "risk_changes_reviewed")
	f := {
		"id": "QM-CHG-002",
		"msg": sprintf("%s: capital limit raised %v → %v%s; release %s records no checklist.risk_changes_reviewed", [name, c.capital.old, c.capital.new, pct(c.capital), head_release(name)]),
		"path": c.capital.path,
	}
}

deny contains f if {
	some name, c in changed_envs
	some strategy, s in c.strategies.changed
	s.capital.increases_risk
	not reviewed(name, "risk_changes_reviewed")
	f := {
		"id": "QM-CHG-002",
		"msg": sprintf("%s: capital of strategy %s raised %v → %v%s; release %s records no checklist.risk_changes_reviewed", [name, strategy, s.capital.old, s.capital.new, pct(s.capital), head_release(name)]),
		"path": s.capital.path,
	}
}

# METADATA
# title: Unblocking a symbol needs a risk review
# description: Removing a symbol from blocked_symbols lets the strategies trade it again; the release the environment runs must record checklist.risk_changes_reviewed.
# custom:
#   id: QM-CHG-003
#   severity: deny
#   guide: "§9 Live Deployment Checklist — blocked symbols list loaded"
deny contains f if {
	some name, c in changed_envs
	c.status != "removed"
	count(c.blocked_symbols.removed) > 0
	not reviewed(name, "risk_changes_reviewed")
	f := {
		"id": "QM-CHG-003",
		"msg": sprintf("%s: %s no longer blocked; release %s records no checklist.risk_changes_reviewed", [name, concat(", ", c.blocked_symbols.removed), head_release(name)]),
		"path": c.blocked_symbols.path,
	}
}

# METADATA
# title: Live capital is raised only after stable observation
# description: A live capital increase needs a recorded observation period (capital.observed_since, else the date of the previous increase) of at least change.min_observation_days before today, as it stood before this change.
# custom:
#   id: QM-CHG-004
#   severity: deny
#   guide: "§9 First Live Release Rules — increase exposure only after stable observation"
deny contains f if {
	some name, c in changed_envs
	c.mode == "live"
	c.status == "changed"
	c.capital.increases_risk
	lib.today
	not observation_start(c.base)
	f := {
		"id": "QM-CHG-004",
		"msg": sprintf("%s: capital raised %v → %v with no observation period recorded (capital.observed_since or capital.last_increase.at before this change)", [name, c.capital.old, c.capital.new]),
		"path": c.capital.path,
	}
}

deny contains f if {
	some name, c in changed_envs
	c.mode == "live"
	c.status == "changed"
	c.capital.increases_risk
	start := observation_start(c.base)
	days := lib.days_between(start, lib.today)
	days < min_observation_days
	f := {
		"id": "QM-CHG-004",
		"msg": sprintf("%s: capital raised %v → %v after %v days of observation (since %s); at least %v are required", [name, c.capital.old, c.capital.new, days, start, min_observation_days]),
		"path": c.capital.path,
	}
}

# Start of the observation period, in the base state: observed_since, else the last increase.
observation_start(base) := base.capital.observed_since if {
	lib.date_ns(base.capital.observed_since)
} else := base.capital.last_increase.at if {
	lib.date_ns(base.capital.last_increase.at)
}

# METADATA
# title: A live capital increase records the previous limit
# description: When live capital is raised, capital.last_increase must record the limit it replaces (previous_limit) and when (at), so the next increase can be measured from it.
# custom:
#   id: QM-CHG-005
#   severity: deny
#   guide: "§9 First Live Release Rules; §16 Deployment Documentation Checklist"
deny contains f if {
	some name, c in changed_envs
	c.mode == "live"
	c.status == "changed"
	c.capital.increases_risk
	recorded := object.get(input.environments[name].spec.capital, ["last_increase", "previous_limit"], null)
	recorded != c.capital.old
	f := {
		"id": "QM-CHG-005",
		"msg": sprintf("%s: capital raised %v → %v but capital.last_increase.previous_limit is %v, not %v", [name, c.capital.old, c.capital.new, recorded, c.capital.old]),
		"path": lib.nearest(input.environments[name], ["environments", name], ["spec", "capital", "last_increase", "previous_limit"]),
	}
}

# METADATA
# title: A release that adds migrations records the migrations review
# description: A new or changed release whose database revision moves, or whose changes.migrations gains entries, must record checklist.migrations_reviewed.
# custom:
#   id: QM-CHG-006
#   severity: deny
#   guide: "§10 Database Migration Procedure — migration reviewed"
deny contains f if {
	some version, r in input.change.releases
	r.status != "removed"
	r.migrations_added
	not lib.has(input.releases[version], ["spec", "checklist", "migrations_reviewed", "by"])
	f := {
		"id": "QM-CHG-006",
		"msg": sprintf("release %s adds migrations%s but records no checklist.migrations_reviewed", [version, revision_note(r)]),
		"path": lib.nearest(input.releases[version], ["releases", version], ["spec", "checklist", "migrations_reviewed"]),
	}
}

revision_note(r) := sprintf(" (database revision %v → %v)", [r.revision.old, r.revision.new]) if {
	r.revision
} else := ""

# METADATA
# title: Live moves only to a release that passed paper
# description: Changing the release live runs is a promotion; the new release must record a passed paper validation in a paper environment (validation.paper).
# custom:
#   id: QM-CHG-007
#   severity: deny
#   guide: "§9 Live Deployment Guide — only after successful paper validation"
deny contains f if {
	some name, c in changed_envs
	c.mode == "live"
	c.release.new
	not passed_paper(c.release.new)
	f := {
		"id": "QM-CHG-007",
		"msg": sprintf("%s: release pin %v → %v, but release %v records no passed paper validation (validation.paper.result: passed in a paper environment)", [name, c.release.old, c.release.new, c.release.new]),
		"path": c.release.path,
	}
}

passed_paper(version) if {
	paper := input.releases[version].spec.validation.paper
	paper.result == "passed"
	input.environments[paper.environment].spec.mode == "paper"
}

# METADATA
# title: A strategy switched on in live needs a renewed strategy-set approval
# description: Adding an enabled strategy to live, or enabling one, changes the approved live strategy set; approvals.strategy_set must be re-recorded (dated after the base's) in the same change.
# custom:
#   id: QM-CHG-008
#   severity: deny
#   guide: "§9 Live Deployment Preconditions — live strategy set approved"
deny contains f if {
	some name, c in changed_envs
	c.mode == "live"
	some strategy in c.strategies.newly_enabled
	not renewed(name, "strategy_set")
	some i, s in input.environments[name].spec.strategies
	s.name == strategy
	f := {
		"id": "QM-CHG-008",
		"msg": sprintf("%s: strategy %s is switched on, but approvals.strategy_set was not renewed in this change", [name, strategy]),
		"path": ["environments", name, "spec", "strategies", i],
	}
}

# METADATA
# title: Live connections changed need re-verification
# description: A new live broker endpoint, account or adapter needs approvals.broker_endpoint_verified renewed; a new live market data provider, feed or endpoint needs approvals.market_data_entitlement renewed.
# custom:
#   id: QM-CHG-009
#   severity: deny
#   guide: "§9 Live Deployment Checklist — live broker endpoint verified, market data entitlement verified"
deny contains f if {
	some name, c in changed_envs
	c.mode == "live"
	c.status == "changed"
	some d in c.connections
	approval := verification[d.path[3]]
	d.path[4] in verified_fields[d.path[3]]
	not renewed(name, approval)
	f := {
		"id": "QM-CHG-009",
		"msg": sprintf("%s: %s.%s changed %v → %v, but approvals.%s was not renewed in this change", [name, d.path[3], d.path[4], d.old, d.new, approval]),
		"path": d.path,
	}
}

verification := {"execution": "broker_endpoint_verified", "market_data": "market_data_entitlement"}

verified_fields := {"execution": {"broker", "account", "endpoint"}, "market_data": {"provider", "feed", "endpoint"}}

# METADATA
# title: An environment does not change mode in place
# description: Switching an existing environment's mode carries its credentials, connections and state across the separation of environments; create a new environment for the new mode instead.
# custom:
#   id: QM-CHG-010
#   severity: deny
#   guide: "§3 Environment Separation Rules — keep environments clearly separated"
deny contains f if {
	some name, c in changed_envs
	c.mode_change
	f := {
		"id": "QM-CHG-010",
		"msg": sprintf("%s: mode changes %v → %v; create a separate environment for %v instead", [name, c.mode_change.old, c.mode_change.new, c.mode_change.new]),
		"path": c.mode_change.path,
	}
}

# METADATA
# title: Live exposure grows in steps
# description: A live risk limit or capital limit raised by more than change.max_step_increase (a fraction) in one change; raise exposure in monitored steps.
# custom:
#   id: QM-CHG-011
#   severity: warn
#   guide: "§17 Recommended path — limited live rollout, monitored expansion"
warn contains f if {
	some name, c in changed_envs
	c.mode == "live"
	some d in live_raises(c)
	d.relative > max_step_increase
	f := {
		"id": "QM-CHG-011",
		"msg": sprintf("%s: %s raised %v → %v%s in one step, more than %v%% at once; raise live exposure in monitored steps", [name, concat(".", array.slice(d.path, 3, count(d.path))), d.old, d.new, pct(d), round(max_step_increase * 100)]),
		"path": d.path,
	}
}

live_raises(c) := {d | some d in c.risk; d.increases_risk} | {c.capital | c.capital.increases_risk}

# Catalog entries the change touches (`input.change.secrets`, names and scopes only).
changed_secrets[name] := s if some name, s in input.change.secrets

# METADATA
# title: A secret does not move toward live in place
# description: Live secrets exist only for live, and paper and live credentials are stored separately; an existing catalog secret whose scope moves to live (or away from live) carries a credential across the separation. Declare a new secret for the new scope instead.
# custom:
#   id: QM-CHG-012
#   severity: deny
#   guide: "§3 Environment Separation Rules — paper and live credentials stored separately"
deny contains f if {
	some name, s in changed_secrets
	s.status == "changed"
	s.scope.old != s.scope.new
	"live" in {s.scope.old, s.scope.new}
	f := {
		"id": "QM-CHG-012",
		"msg": sprintf("secret %s: scope changes %v → %v; a credential never crosses into or out of live: declare a new secret for the %v scope", [name, s.scope.old, s.scope.new, s.scope.new]),
		"path": array.concat(s.path, ["scope"]),
	}
}

# METADATA
# title: A secret's provider change is flagged
# description: Broker, Redis and PostgreSQL credentials are available to authorized users only; where a catalog secret is read from (its environment variable or file) changed, so the new location must be provisioned and restricted, and the old one retired.
# custom:
#   id: QM-CHG-013
#   severity: warn
#   guide: "§5 Prerequisites — credentials available to authorized users only"
warn contains f if {
	some name, s in changed_secrets
	s.status == "changed"
	count(s.provider) > 0
	some d in s.provider
	f := {
		"id": "QM-CHG-013",
		"msg": sprintf("secret %s (scope %v): provider.%v changes; provision and restrict the new location and retire the old one", [name, s.scope.new, d.path[count(d.path) - 1]]),
		"path": d.path,
	}
}
