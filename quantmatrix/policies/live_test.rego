package qm.rules.live

import data.qm.fixtures as fx
import rego.v1

denials(inp) := fs if {
	fs := deny with input as inp with data.qm.settings as fx.settings
}

warnings(inp) := fs if {
	fs := warn with input as inp with data.qm.settings as fx.settings
}

test_good_state_has_no_live_findings if {
	count(denials(fx.good)) == 0
	count(warnings(fx.good)) == 0
}

# QM-LIVE-001 ------------------------------------------------------------------------------

test_live001_each_missing_precondition_denied if {
	every case in [
		["approvals/go_live_checklist", "approvals"],
		["approvals/production_readiness_review", "approvals"],
		["approvals/initial_capital_limits", "approvals"],
		["approvals/strategy_set", "approvals"],
		["staffing/operator", "staffing"],
		["staffing/engineer_on_standby", "staffing"],
	] {
		fs := denials(fx.without(concat("/", ["/environments/live/spec", case[0]])))
		fx.fired(fs, "QM-LIVE-001", ["environments", "live", "spec", case[1]])
	}
}

test_live001_no_approvals_at_all_points_at_spec if {
	fs := denials(fx.without("/environments/live/spec/approvals"))
	fx.fired(fs, "QM-LIVE-001", ["environments", "live", "spec"])
}

test_live001_null_approval_denied if {
	fs := denials(fx.with_value("/environments/live/spec/approvals/go_live_checklist", null))
	fx.fired(fs, "QM-LIVE-001", ["environments", "live", "spec", "approvals", "go_live_checklist"])
}

test_live001_paper_needs_no_go_live_approvals if {
	fx.silent(denials(fx.good), "QM-LIVE-001")
	not fx.good.environments.paper.spec.approvals
}

# QM-LIVE-002 ------------------------------------------------------------------------------

test_live002_each_missing_checklist_item_denied if {
	every item in ["risk_limits_final_review", "broker_endpoint_verified", "market_data_entitlement"] {
		fs := denials(fx.without(concat("/", ["/environments/live/spec/approvals", item])))
		fx.fired(fs, "QM-LIVE-002", ["environments", "live", "spec", "approvals"])
	}
}

# QM-LIVE-003 ------------------------------------------------------------------------------

test_live003_empty_blocked_symbols_denied if {
	fs := denials(fx.with_value("/environments/live/spec/blocked_symbols", []))
	fx.fired(fs, "QM-LIVE-003", ["environments", "live", "spec", "blocked_symbols"])
}

test_live003_missing_blocked_symbols_denied if {
	fs := denials(fx.without("/environments/live/spec/blocked_symbols"))
	fx.fired(fs, "QM-LIVE-003", ["environments", "live", "spec"])
}

# QM-LIVE-004 ------------------------------------------------------------------------------

test_live004_emergency_halt_disabled_denied if {
	fs := denials(fx.with_value("/environments/live/spec/safety/emergency_halt/enabled", false))
	fx.fired(fs, "QM-LIVE-004", ["environments", "live", "spec", "safety", "emergency_halt", "enabled"])
}

test_live004_emergency_halt_unverified_denied if {
	fs := denials(fx.without("/environments/live/spec/safety/emergency_halt/verified"))
	fx.fired(fs, "QM-LIVE-004", ["environments", "live", "spec", "safety", "emergency_halt"])
}

# QM-LIVE-005 ------------------------------------------------------------------------------

test_live005_reconciliation_untested_denied if {
	fs := denials(fx.without("/environments/live/spec/safety/reconciliation_tested"))
	fx.fired(fs, "QM-LIVE-005", ["environments", "live", "spec", "safety"])
}

# QM-LIVE-006 ------------------------------------------------------------------------------

test_live006_stale_reconciliation_warned if {
	fs := warnings(fx.with_value("/context/today", "2027-01-15"))
	fx.fired(fs, "QM-LIVE-006", ["environments", "live", "spec", "safety", "reconciliation_tested", "at"])
	fx.fired(fs, "QM-LIVE-006", ["environments", "live", "spec", "safety", "emergency_halt", "verified", "at"])
}

test_live006_evidence_within_the_window_silent if {
	# 2026-11-11 + 30 days
	fx.silent(warnings(fx.with_value("/context/today", "2026-12-11")), "QM-LIVE-006")
}

test_live006_evidence_dated_after_today_warned if {
	fs := warnings(fx.with_value("/environments/live/spec/safety/reconciliation_tested/at", "2026-12-01"))
	fx.fired(fs, "QM-LIVE-006", ["environments", "live", "spec", "safety", "reconciliation_tested", "at"])
}

test_live006_silent_without_a_date_to_compare if {
	fx.silent(warnings(fx.without("/context")), "QM-LIVE-006")
}

# QM-LIVE-007 ------------------------------------------------------------------------------

test_live007_live_on_paper_account_denied if {
	fs := denials(fx.with_value("/environments/live/spec/execution/account_type", "paper"))
	fx.fired(fs, "QM-LIVE-007", ["environments", "live", "spec", "execution", "account_type"])
}

test_live007_live_on_delayed_feed_denied if {
	fs := denials(fx.with_value("/environments/live/spec/market_data/feed", "delayed"))
	fx.fired(fs, "QM-LIVE-007", ["environments", "live", "spec", "market_data", "feed"])
}

# QM-LIVE-008 ------------------------------------------------------------------------------

test_live008_first_release_capital_above_ceiling_denied if {
	fs := denials(fx.with_value("/environments/live/spec/capital/limit", 60000))
	fx.fired(fs, "QM-LIVE-008", ["environments", "live", "spec", "capital", "limit"])
}

test_live008_first_release_too_many_strategies_denied if {
	inp := fx.patched([{"op": "add", "path": "/environments/live/spec/strategies/-", "value": fx.strategy("pairs_stat_arb", "0.9.0", 0)}])
	fs := denials(inp)
	fx.fired(fs, "QM-LIVE-008", ["environments", "live", "spec", "strategies"])
}

test_live008_disabled_strategies_do_not_count if {
	inp := fx.patched([{"op": "add", "path": "/environments/live/spec/strategies/-", "value": {"name": "pairs_stat_arb", "version": "0.9.0", "capital": 0, "enabled": false}}])
	fx.silent(denials(inp), "QM-LIVE-008")
}

test_live008_after_a_recorded_increase_the_ceiling_no_longer_applies if {
	inp := fx.patched([
		{"op": "replace", "path": "/environments/live/spec/capital/limit", "value": 60000},
		{"op": "add", "path": "/environments/live/spec/capital/last_increase", "value": {"at": "2026-11-20", "previous_limit": 50000}},
	])
	fx.silent(denials(inp), "QM-LIVE-008")
}

# QM-LIVE-009 ------------------------------------------------------------------------------

test_live009_release_without_paper_validation_denied if {
	fs := denials(fx.with_value("/environments/live/spec/release", "2026.11.1"))
	fx.fired(fs, "QM-LIVE-009", ["releases", "2026.11.1", "spec"])
}

test_live009_failed_paper_validation_denied if {
	fs := denials(fx.with_value("/releases/2026.11.0/spec/validation/paper/result", "failed"))
	fx.fired(fs, "QM-LIVE-009", ["releases", "2026.11.0", "spec", "validation", "paper", "result"])
}

test_live009_validation_in_a_non_paper_environment_denied if {
	fs := denials(fx.with_value("/releases/2026.11.0/spec/validation/paper/environment", "backtest"))
	fx.fired(fs, "QM-LIVE-009", ["releases", "2026.11.0", "spec", "validation", "paper", "environment"])
}

test_live009_failed_check_denied if {
	fs := denials(fx.with_value("/releases/2026.11.0/spec/validation/paper/checks/order_cancel", false))
	fx.fired(fs, "QM-LIVE-009", ["releases", "2026.11.0", "spec", "validation", "paper", "checks", "order_cancel"])
}

test_live009_missing_check_denied if {
	fs := denials(fx.without("/releases/2026.11.0/spec/validation/paper/checks/emergency_halt_tested"))
	fx.fired(fs, "QM-LIVE-009", ["releases", "2026.11.0", "spec", "validation", "paper", "checks"])
}

test_live009_unapproved_validation_denied if {
	fs := denials(fx.without("/releases/2026.11.0/spec/validation/paper/approved"))
	fx.fired(fs, "QM-LIVE-009", ["releases", "2026.11.0", "spec", "validation", "paper"])
}

test_live009_unvalidated_release_outside_live_silent if {
	fx.silent(denials(fx.good), "QM-LIVE-009")
	not fx.good.releases["2026.11.1"].spec.validation
}

# QM-LIVE-010 ------------------------------------------------------------------------------

test_live010_strategy_version_not_pinned_by_release_denied if {
	fs := denials(fx.with_value("/environments/live/spec/strategies/0/version", "1.4.2"))
	fx.fired(fs, "QM-LIVE-010", ["environments", "live", "spec", "strategies", 0, "version"])
}

test_live010_strategy_missing_from_release_denied if {
	inp := fx.patched([{"op": "add", "path": "/environments/live/spec/strategies/-", "value": {"name": "pairs_stat_arb", "version": "0.9.0", "capital": 0, "enabled": false}}])
	fx.fired(denials(inp), "QM-LIVE-010", ["environments", "live", "spec", "strategies", 2, "version"])
}

# QM-LIVE-011 ------------------------------------------------------------------------------

test_live011_live_without_heightened_monitoring_warned if {
	fs := warnings(fx.with_value("/environments/live/spec/monitoring/intensity", "active"))
	fx.fired(fs, "QM-LIVE-011", ["environments", "live", "spec", "monitoring", "intensity"])
}

test_live011_live_monitoring_missing_warned if {
	fs := warnings(fx.without("/environments/live/spec/monitoring"))
	fx.fired(fs, "QM-LIVE-011", ["environments", "live", "spec"])
}

# QM-LIVE-012 ------------------------------------------------------------------------------

live_endpoint := "/environments/live/spec/execution/endpoint"

live012_at := ["environments", "live", "spec", "execution", "endpoint"]

test_live012_live_on_paper_host_denied if {
	fs := denials(fx.with_url(live_endpoint, "https://paper-api.alpaca.markets", fx.parsed("https", "paper-api.alpaca.markets", 443)))
	fx.says(fs, "QM-LIVE-012", live012_at, "is not a known live host of broker 'alpaca'")
}

test_live012_live_on_look_alike_host_denied if {
	# https://аpi.alpaca.markets (Cyrillic а) as the parser sees it: its punycode form
	fs := denials(fx.with_url(live_endpoint, "https://\u0430pi.alpaca.markets", fx.parsed("https", "xn--pi-6kc.alpaca.markets", 443)))
	fx.fired(fs, "QM-LIVE-012", live012_at)
}

test_live012_live_on_ip_literal_denied if {
	fs := denials(fx.with_url(live_endpoint, "https://192.0.2.7", fx.parsed("https", "192.0.2.7", 443)))
	fx.fired(fs, "QM-LIVE-012", live012_at)
}

test_live012_userinfo_denied if {
	fs := denials(fx.with_url(live_endpoint, "https://api.alpaca.markets@evil.example", fx.refused("carries userinfo (user@host)", true)))
	fx.says(fs, "QM-LIVE-012", live012_at, "is not a plain URL")
}

test_live012_missing_endpoint_denied if {
	fs := denials(fx.without(live_endpoint))
	fx.fired(fs, "QM-LIVE-012", ["environments", "live", "spec", "execution"])
}

test_live012_live_host_with_path_silent if {
	fx.silent(denials(fx.with_url(live_endpoint, "https://api.alpaca.markets/v2", fx.parsed("https", "api.alpaca.markets", 443))), "QM-LIVE-012")
}
