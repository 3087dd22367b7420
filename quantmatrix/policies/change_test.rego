# Unit tests of the delta rules (change.rego): each rule fires on its delta, stays silent when
# the evidence is recorded, and stays silent when `input.change` is absent or lacks the delta.
package qm.rules.change

import rego.v1

# --- fixtures: a head state with live and paper on release 2.0.0 --------------------------

reviewed_checklist := {
	"risk_changes_reviewed": {"by": "omar.risk", "at": "2026-11-30"},
	"migrations_reviewed": {"by": "ana.dba", "at": "2026-11-30"},
}

passed := {"paper": {"environment": "paper", "result": "passed"}}

release(checklist, validation) := {"spec": {"checklist": checklist, "validation": validation}}

live_spec := {
	"mode": "live",
	"release": "2.0.0",
	"capital": {"limit": 75000, "last_increase": {"at": "2026-11-30", "previous_limit": 50000}},
	"strategies": [{"name": "momentum", "enabled": true}, {"name": "pairs", "enabled": true}],
	"blocked_symbols": ["AMC"],
	"approvals": {
		"strategy_set": {"by": "maria", "at": "2026-11-30"},
		"broker_endpoint_verified": {"by": "li", "at": "2026-11-30"},
	},
}

base_live_spec := {
	"capital": {"limit": 50000, "observed_since": "2026-10-01"},
	"approvals": {
		"strategy_set": {"by": "maria", "at": "2026-11-11"},
		"broker_endpoint_verified": {"by": "li", "at": "2026-11-11"},
	},
}

head(rel, live) := {
	"context": {"today": "2026-12-01"},
	"environments": {"live": {"spec": live}, "paper": {"spec": {"mode": "paper", "release": "2.0.0"}}},
	"releases": {"2.0.0": rel},
}

open_release := release({}, {})

good_release := release(reviewed_checklist, passed)

with_change(state, change) := object.union(state, {"change": change})

live_change(fields) := live_change_on(base_live_spec, fields)

live_change_on(base, fields) := {"environments": {"live": object.union(object.union({"status": "changed", "mode": "live"}, fields), {"base": base})}, "releases": {}}

with_capital(capital) := object.union(object.remove(live_spec, ["capital"]), {"capital": capital})

paper_change(fields) := {"environments": {"paper": object.union({"status": "changed", "mode": "paper"}, fields)}, "releases": {}}

delta(path, old, new, risky, relative) := {"path": path, "old": old, "new": new, "increases_risk": risky, "relative": relative}

live_path(rest) := array.concat(["environments", "live", "spec"], rest)

loss_raised := {"risk": {"max_daily_loss": delta(live_path(["risk", "max_daily_loss"]), 1500, 2000, true, 0.3333)}}

loss_lowered := {"risk": {"max_daily_loss": delta(live_path(["risk", "max_daily_loss"]), 2000, 1500, false, -0.25)}}

capital_raised := {"capital": delta(live_path(["capital", "limit"]), 50000, 75000, true, 0.5)}

ids(findings, id) := [f | some f in findings; f.id == id]

fires(id, input_doc) if count(ids(deny, id)) > 0 with input as input_doc

silent(input_doc) if {
	count(deny) == 0 with input as input_doc
	count(warn) == 0 with input as input_doc
}

# --- silence without a change -------------------------------------------------------------

test_no_change_document_is_silent if {
	silent(head(open_release, object.union(live_spec, {"strategies": []})))
}

test_change_without_deltas_is_silent if {
	silent(with_change(head(open_release, live_spec), live_change({"risk": {}, "capital": null, "release": null, "mode_change": null, "strategies": {"added": {}, "removed": {}, "changed": {}, "newly_enabled": [], "capital_increased": []}, "blocked_symbols": {"added": [], "removed": [], "path": live_path(["blocked_symbols"])}, "connections": []})))
}

# --- QM-CHG-001 risk limit raised ---------------------------------------------------------

test_raised_limit_without_risk_review_denied if {
	found := ids(deny, "QM-CHG-001") with input as with_change(head(open_release, live_spec), live_change(loss_raised))
	count(found) == 1
	found[0].path == live_path(["risk", "max_daily_loss"])
	contains(found[0].msg, "1500 → 2000 (+33.3%)")
}

test_raised_limit_with_risk_review_allowed if {
	count(ids(deny, "QM-CHG-001")) == 0 with input as with_change(head(good_release, live_spec), live_change(loss_raised))
}

test_lowered_limit_needs_no_review if {
	count(ids(deny, "QM-CHG-001")) == 0 with input as with_change(head(open_release, live_spec), live_change(loss_lowered))
}

# --- QM-CHG-002 capital raised ------------------------------------------------------------

test_raised_capital_without_risk_review_denied if {
	fires("QM-CHG-002", with_change(head(open_release, live_spec), paper_change({"capital": delta(["environments", "paper", "spec", "capital", "limit"], 1, 2, true, 1)})))
}

test_raised_strategy_capital_without_risk_review_denied if {
	change := paper_change({"strategies": {"changed": {"momentum": {"capital": delta(["environments", "paper", "spec", "strategies", 0, "capital"], 10, 20, true, 1)}}}})
	found := ids(deny, "QM-CHG-002") with input as with_change(head(open_release, live_spec), change)
	found[0].path == ["environments", "paper", "spec", "strategies", 0, "capital"]
}

test_raised_capital_with_risk_review_allowed if {
	count(ids(deny, "QM-CHG-002")) == 0 with input as with_change(head(good_release, live_spec), paper_change({"capital": delta(["environments", "paper", "spec", "capital", "limit"], 1, 2, true, 1)}))
}

# --- QM-CHG-003 blocked symbol removed ----------------------------------------------------

unblocked := {"blocked_symbols": {"added": [], "removed": ["GME"], "path": live_path(["blocked_symbols"])}}

test_unblocked_symbol_without_risk_review_denied if {
	fires("QM-CHG-003", with_change(head(open_release, live_spec), live_change(unblocked)))
}

test_unblocked_symbol_with_risk_review_allowed if {
	count(ids(deny, "QM-CHG-003")) == 0 with input as with_change(head(good_release, live_spec), live_change(unblocked))
}

test_blocking_more_symbols_needs_no_review if {
	change := live_change({"blocked_symbols": {"added": ["NKLA"], "removed": [], "path": live_path(["blocked_symbols"])}})
	count(ids(deny, "QM-CHG-003")) == 0 with input as with_change(head(open_release, live_spec), change)
}

# --- QM-CHG-004 observation period before a live capital increase --------------------------

test_live_capital_raise_after_short_observation_denied if {
	change := live_change_on({"capital": {"limit": 50000, "observed_since": "2026-11-25"}}, capital_raised)
	found := ids(deny, "QM-CHG-004") with input as with_change(head(good_release, live_spec), change)
	contains(found[0].msg, "after 6 days of observation")
}

test_live_capital_raise_without_recorded_observation_denied if {
	change := live_change_on({"capital": {"limit": 50000}}, capital_raised)
	found := ids(deny, "QM-CHG-004") with input as with_change(head(good_release, live_spec), change)
	contains(found[0].msg, "no observation period recorded")
}

test_live_capital_raise_after_long_observation_allowed if {
	count(ids(deny, "QM-CHG-004")) == 0 with input as with_change(head(good_release, live_spec), live_change(capital_raised))
}

test_live_capital_observation_measured_from_last_increase if {
	change := live_change_on({"capital": {"limit": 50000, "last_increase": {"at": "2026-11-28", "previous_limit": 40000}}}, capital_raised)
	count(ids(deny, "QM-CHG-004")) == 1 with input as with_change(head(good_release, live_spec), change)
}

test_observation_days_come_from_settings if {
	count(ids(deny, "QM-CHG-004")) == 1 with input as with_change(head(good_release, live_spec), live_change(capital_raised))
		with data.qm.settings.change.min_observation_days as 90
}

# --- QM-CHG-005 last_increase records the previous limit ----------------------------------

test_live_capital_raise_without_previous_limit_denied if {
	spec := with_capital({"limit": 75000})
	found := ids(deny, "QM-CHG-005") with input as with_change(head(good_release, spec), live_change(capital_raised))
	found[0].path == live_path(["capital"])
}

test_live_capital_raise_with_wrong_previous_limit_denied if {
	spec := with_capital({"limit": 75000, "last_increase": {"at": "2026-11-30", "previous_limit": 60000}})
	found := ids(deny, "QM-CHG-005") with input as with_change(head(good_release, spec), live_change(capital_raised))
	found[0].path == live_path(["capital", "last_increase", "previous_limit"])
}

test_live_capital_raise_recording_previous_limit_allowed if {
	silent(with_change(head(good_release, live_spec), live_change(capital_raised)))
}

# --- QM-CHG-006 migrations reviewed -------------------------------------------------------

migrating := {"environments": {}, "releases": {"2.0.0": {
	"status": "added", "compared_to": "1.0.0", "migrations_added": true,
	"revision": delta(["releases", "2.0.0", "spec", "database", "revision"], "0002_a", "0003_b", false, null),
	"changes": [],
}}}

test_release_adding_migrations_without_review_denied if {
	found := ids(deny, "QM-CHG-006") with input as with_change(head(open_release, live_spec), migrating)
	found[0].path == ["releases", "2.0.0", "spec", "checklist"]
	contains(found[0].msg, "0002_a → 0003_b")
}

test_release_adding_migrations_with_review_allowed if {
	silent(with_change(head(good_release, live_spec), migrating))
}

test_release_without_migrations_needs_no_review if {
	change := {"environments": {}, "releases": {"2.0.0": {"status": "changed", "migrations_added": false, "revision": null, "changes": []}}}
	silent(with_change(head(open_release, live_spec), change))
}

# --- QM-CHG-007 live pin moves only to a release that passed paper -------------------------

pin_moved := {"release": delta(live_path(["release"]), "1.0.0", "2.0.0", false, null)}

test_live_pin_to_release_without_paper_validation_denied if {
	found := ids(deny, "QM-CHG-007") with input as with_change(head(release(reviewed_checklist, {}), live_spec), live_change(pin_moved))
	found[0].path == live_path(["release"])
}

test_live_pin_to_release_that_failed_paper_denied if {
	failed := release(reviewed_checklist, {"paper": {"environment": "paper", "result": "failed"}})
	fires("QM-CHG-007", with_change(head(failed, live_spec), live_change(pin_moved)))
}

test_live_pin_to_release_that_passed_paper_allowed if {
	silent(with_change(head(good_release, live_spec), live_change(pin_moved)))
}

test_paper_pin_change_needs_no_paper_evidence if {
	change := paper_change({"release": delta(["environments", "paper", "spec", "release"], "1.0.0", "2.0.0", false, null)})
	silent(with_change(head(open_release, live_spec), change))
}

# --- QM-CHG-008 strategy switched on in live ----------------------------------------------

switched_on := {"strategies": {"added": {}, "removed": {}, "changed": {}, "newly_enabled": ["pairs"], "capital_increased": []}}

test_strategy_enabled_in_live_without_renewed_approval_denied if {
	spec := object.union(live_spec, {"approvals": {"strategy_set": {"by": "maria", "at": "2026-11-11"}}})
	found := ids(deny, "QM-CHG-008") with input as with_change(head(good_release, spec), live_change(switched_on))
	found[0].path == live_path(["strategies", 1])
}

test_strategy_enabled_in_live_with_renewed_approval_allowed if {
	silent(with_change(head(good_release, live_spec), live_change(switched_on)))
}

test_strategy_enabled_in_paper_needs_no_approval if {
	silent(with_change(head(good_release, live_spec), paper_change(switched_on)))
}

# --- QM-CHG-009 live connections re-verified ----------------------------------------------

endpoint_moved := {"connections": [delta(live_path(["execution", "endpoint"]), "https://a", "https://b", false, null)]}

test_live_broker_endpoint_change_without_verification_denied if {
	spec := object.union(live_spec, {"approvals": {"broker_endpoint_verified": {"by": "li", "at": "2026-11-11"}}})
	fires("QM-CHG-009", with_change(head(good_release, spec), live_change(endpoint_moved)))
}

test_live_broker_endpoint_change_with_verification_allowed if {
	silent(with_change(head(good_release, live_spec), live_change(endpoint_moved)))
}

test_live_redis_change_needs_no_broker_verification if {
	change := live_change({"connections": [delta(live_path(["redis", "key_prefix"]), "a", "b", false, null)]})
	spec := object.union(live_spec, {"approvals": {"broker_endpoint_verified": {"by": "li", "at": "2026-11-11"}}})
	silent(with_change(head(good_release, spec), change))
}

# --- QM-CHG-010 mode change ---------------------------------------------------------------

test_mode_change_denied if {
	change := paper_change({"mode_change": delta(["environments", "paper", "spec", "mode"], "local", "paper", true, null)})
	fires("QM-CHG-010", with_change(head(good_release, live_spec), change))
}

# --- QM-CHG-011 live exposure in steps (warn) ---------------------------------------------

test_large_live_step_warned if {
	doubled := {"risk": {"max_daily_loss": delta(live_path(["risk", "max_daily_loss"]), 1000, 2000, true, 1)}}
	found := [f | some f in warn; f.id == "QM-CHG-011"] with input as with_change(head(good_release, live_spec), live_change(doubled))
	contains(found[0].msg, "risk.max_daily_loss raised 1000 → 2000 (+100%)")
}

test_small_live_step_not_warned if {
	count(warn) == 0 with input as with_change(head(good_release, live_spec), live_change(loss_raised))
}

test_large_paper_step_not_warned if {
	change := paper_change({"risk": {"max_daily_loss": delta(["environments", "paper", "spec", "risk", "max_daily_loss"], 1000, 5000, true, 4)}})
	count(warn) == 0 with input as with_change(head(good_release, live_spec), change)
}

# --- the secret catalog (QM-CHG-012, QM-CHG-013) -------------------------------------------

secret_change(name, old_scope, new_scope, provider) := {"environments": {}, "releases": {}, "secrets": {name: {
	"status": "changed",
	"path": ["secrets", name],
	"scope": {"old": old_scope, "new": new_scope},
	"toward_live": false,
	"provider": provider,
	"changes": [],
}}}

env_moved := [delta(["secrets", "QM_PAPER_KEY", "provider", "env"], "QM_PAPER_KEY", "QM_LIVE_KEY", false, null)]

catalog_state := head(good_release, live_spec)

test_secret_scope_paper_to_live_denied if {
	fs := deny with input as with_change(catalog_state, secret_change("QM_PAPER_KEY", "paper", "live", []))
	some f in fs
	f.id == "QM-CHG-012"
	f.path == ["secrets", "QM_PAPER_KEY", "scope"]
	contains(f.msg, "paper → live")
}

test_secret_scope_live_to_local_denied if {
	fires("QM-CHG-012", with_change(catalog_state, secret_change("QM_LIVE_KEY", "live", "local", [])))
}

test_secret_scope_between_non_live_scopes_silent if {
	silent(with_change(catalog_state, secret_change("QM_LOCAL_KEY", "local", "paper", [])))
}

test_secret_added_live_silent if {
	change := {"environments": {}, "releases": {}, "secrets": {"QM_NEW": {"status": "added", "path": ["secrets", "QM_NEW"], "scope": {"old": null, "new": "live"}, "provider": [], "changes": []}}}
	silent(with_change(catalog_state, change))
}

test_secret_provider_change_warned if {
	fs := warn with input as with_change(catalog_state, secret_change("QM_PAPER_KEY", "paper", "paper", env_moved))
	some f in fs
	f.id == "QM-CHG-013"
	f.path == ["secrets", "QM_PAPER_KEY", "provider", "env"]
}

test_secret_without_provider_change_silent if {
	count([f | some f in warn; f.id == "QM-CHG-013"]) == 0 with input as with_change(catalog_state, secret_change("QM_PAPER_KEY", "paper", "paper", []))
}
