package qm.rules.releases

import data.qm.fixtures as fx
import rego.v1

denials(inp) := fs if {
	fs := deny with input as inp with data.qm.settings as fx.settings
}

warnings(inp) := fs if {
	fs := warn with input as inp with data.qm.settings as fx.settings
}

test_good_state_has_no_release_findings if {
	count(denials(fx.good)) == 0
	count(warnings(fx.good)) == 0
}

# QM-REL-001 -------------------------------------------------------------------------------

test_rel001_floating_versions_denied if {
	every version in ["latest", "*", "^1.4.0", "~1.4.0", "1.x", "1.4.X", ">=1.4.0", "1.4", "v1.4.2", "1.4.0 - 1.5.0"] {
		fs := denials(fx.with_value("/releases/2026.11.1/spec/components/api", version))
		fx.fired(fs, "QM-REL-001", ["releases", "2026.11.1", "spec", "components", "api"])
	}
}

test_rel001_floating_strategy_pin_in_release_denied if {
	fs := denials(fx.with_value("/releases/2026.11.0/spec/strategies/mean_reversion", "2.x"))
	fx.fired(fs, "QM-REL-001", ["releases", "2026.11.0", "spec", "strategies", "mean_reversion"])
	fx.says(fs, "QM-REL-001", ["releases", "2026.11.0", "spec", "strategies", "mean_reversion"], "floats")
}

test_rel001_floating_environment_versions_denied if {
	fs := denials(fx.patched([
		{"op": "replace", "path": "/environments/paper/spec/strategies/1/version", "value": "latest"},
		{"op": "replace", "path": "/environments/backtest/spec/release", "value": "2026.11"},
		{"op": "replace", "path": "/environments/local/spec/analytics/logic_version", "value": "1.3.*"},
	]))
	fx.fired(fs, "QM-REL-001", ["environments", "paper", "spec", "strategies", 1, "version"])
	fx.fired(fs, "QM-REL-001", ["environments", "backtest", "spec", "release"])
	fx.fired(fs, "QM-REL-001", ["environments", "local", "spec", "analytics", "logic_version"])
}

test_rel001_numeric_version_denied if {
	fs := denials(fx.with_value("/environments/paper/spec/strategies/0/version", 1.4))
	fx.fired(fs, "QM-REL-001", ["environments", "paper", "spec", "strategies", 0, "version"])
}

test_rel001_floating_config_version_denied if {
	fs := denials(fx.with_value("/releases/2026.11.1/spec/config_version", "latest"))
	fx.fired(fs, "QM-REL-001", ["releases", "2026.11.1", "spec", "config_version"])
}

test_rel001_numeric_config_version_denied if {
	fs := denials(fx.with_value("/releases/2026.11.1/spec/config_version", 2026.11))
	fx.fired(fs, "QM-REL-001", ["releases", "2026.11.1", "spec", "config_version"])
}

test_rel001_exact_versions_silent if {
	inp := fx.patched([
		{"op": "replace", "path": "/releases/2026.11.1/spec/components/api", "value": "3.3.1-rc.1+build.7"},
		{"op": "replace", "path": "/releases/2026.11.1/spec/config_version", "value": "2026.11.1-hotfix"},
	])
	fx.silent(denials(inp), "QM-REL-001")
}

# QM-REL-002 -------------------------------------------------------------------------------

test_rel002_migrations_unreviewed_denied if {
	fs := denials(fx.without("/releases/2026.11.0/spec/checklist/migrations_reviewed"))
	fx.fired(fs, "QM-REL-002", ["releases", "2026.11.0", "spec", "checklist"])
}

test_rel002_backward_compatibility_not_stated_denied if {
	fs := denials(fx.without("/releases/2026.11.0/spec/database/backward_compatible"))
	fx.fired(fs, "QM-REL-002", ["releases", "2026.11.0", "spec", "database"])
}

test_rel002_revision_change_alone_carries_migrations if {
	# a new revision without listed migrations still needs the review
	inp := fx.with_value("/releases/2026.11.1/spec/database/revision", "0003_orders_idx")
	fx.fired(denials(inp), "QM-REL-002", ["releases", "2026.11.1", "spec", "checklist"])
	fx.fired(denials(inp), "QM-REL-002", ["releases", "2026.11.1", "spec", "database"])
}

test_rel002_release_without_migrations_silent if {
	fx.silent(denials(fx.good), "QM-REL-002")
	not fx.good.releases["2026.11.1"].spec.checklist.migrations_reviewed
}

# QM-REL-003 -------------------------------------------------------------------------------

test_rel003_live_migration_without_backup_warned if {
	fs := warnings(fx.without("/releases/2026.11.0/spec/database/backup_confirmed"))
	fx.fired(fs, "QM-REL-003", ["releases", "2026.11.0", "spec", "database"])
}

test_rel003_migration_not_in_live_silent if {
	# 2026.11.0 migrates without a backup record, but once live runs 2026.11.1 no live
	# environment runs it any more
	inp := fx.patched([
		{"op": "remove", "path": "/releases/2026.11.0/spec/database/backup_confirmed"},
		{"op": "replace", "path": "/environments/live/spec/release", "value": "2026.11.1"},
	])
	fx.silent(warnings(inp), "QM-REL-003")
}

# QM-REL-004 -------------------------------------------------------------------------------

test_rel004_no_previous_release_denied if {
	fs := denials(fx.with_value("/releases/2026.11.1/spec/rollback/previous", null))
	fx.fired(fs, "QM-REL-004", ["releases", "2026.11.1", "spec", "rollback", "previous"])
}

test_rel004_missing_previous_release_denied if {
	fs := denials(fx.with_value("/releases/2026.11.1/spec/rollback/previous", "2026.10.9"))
	fx.fired(fs, "QM-REL-004", ["releases", "2026.11.1", "spec", "rollback", "previous"])
}

test_rel004_previous_not_older_denied if {
	fs := denials(fx.with_value("/releases/2026.11.0/spec/rollback/previous", "2026.11.1"))
	fx.fired(fs, "QM-REL-004", ["releases", "2026.11.0", "spec", "rollback", "previous"])
}

test_rel004_reversibility_not_stated_denied if {
	fs := denials(fx.without("/releases/2026.11.1/spec/rollback/migrations_reversible"))
	fx.fired(fs, "QM-REL-004", ["releases", "2026.11.1", "spec", "rollback"])
}

test_rel004_empty_plan_denied if {
	fs := denials(fx.with_value("/releases/2026.11.1/spec/rollback/plan", "  "))
	fx.fired(fs, "QM-REL-004", ["releases", "2026.11.1", "spec", "rollback", "plan"])
}

test_rel004_first_release_needs_no_previous if {
	fx.silent(denials(fx.good), "QM-REL-004")
	fx.good.releases["2026.10.0"].spec.rollback.previous == null
}

# QM-REL-005 -------------------------------------------------------------------------------

test_rel005_irreversible_plan_silent_about_it_warned if {
	inp := fx.patched([
		{"op": "replace", "path": "/releases/2026.11.0/spec/rollback/migrations_reversible", "value": false},
		{"op": "replace", "path": "/releases/2026.11.0/spec/database/reversible", "value": false},
		{"op": "replace", "path": "/releases/2026.11.0/spec/rollback/plan", "value": "Redeploy 2026.10.0."},
	])
	fx.fired(warnings(inp), "QM-REL-005", ["releases", "2026.11.0", "spec", "rollback", "plan"])
}

test_rel005_contradicting_reversibility_warned if {
	fs := warnings(fx.with_value("/releases/2026.11.0/spec/database/reversible", false))
	fx.fired(fs, "QM-REL-005", ["releases", "2026.11.0", "spec", "rollback", "migrations_reversible"])
}

test_rel005_irreversible_plan_naming_the_way_back_silent if {
	inp := fx.patched([
		{"op": "replace", "path": "/releases/2026.11.0/spec/rollback/migrations_reversible", "value": false},
		{"op": "replace", "path": "/releases/2026.11.0/spec/database/reversible", "value": false},
		{"op": "replace", "path": "/releases/2026.11.0/spec/rollback/plan", "value": "Not reversible: halt, restore the DB-318 backup, redeploy 2026.10.0."},
	])
	fx.silent(warnings(inp), "QM-REL-005")
}

# QM-REL-006 -------------------------------------------------------------------------------

test_rel006_unlisted_strategy_change_denied if {
	fs := denials(fx.with_value("/releases/2026.11.1/spec/changes/strategies", []))
	fx.fired(fs, "QM-REL-006", ["releases", "2026.11.1", "spec", "changes", "strategies"])
	fx.says(fs, "QM-REL-006", ["releases", "2026.11.1", "spec", "changes", "strategies"], "momentum_breakout")
}

test_rel006_added_strategy_must_be_listed if {
	fs := denials(fx.with_value("/releases/2026.11.1/spec/strategies/pairs_stat_arb", "0.9.1"))
	fx.fired(fs, "QM-REL-006", ["releases", "2026.11.1", "spec", "changes", "strategies"])
}

test_rel006_unlisted_migration_denied if {
	fs := denials(fx.with_value("/releases/2026.11.0/spec/changes/migrations", []))
	fx.fired(fs, "QM-REL-006", ["releases", "2026.11.0", "spec", "changes", "migrations"])
}

test_rel006_listed_migration_without_new_revision_denied if {
	fs := denials(fx.with_value("/releases/2026.11.1/spec/changes/migrations", ["0003 adds a column"]))
	fx.fired(fs, "QM-REL-006", ["releases", "2026.11.1", "spec", "database", "revision"])
}

test_rel006_documented_changes_silent if {
	fx.silent(denials(fx.good), "QM-REL-006")
}

# QM-REL-007 -------------------------------------------------------------------------------

test_rel007_release_in_use_without_change_checklist_denied if {
	fs := denials(fx.without("/releases/2026.11.1/spec/checklist/release_change_checklist"))
	fx.fired(fs, "QM-REL-007", ["releases", "2026.11.1", "spec", "checklist"])
}

test_rel007_release_in_use_without_rollback_review_denied if {
	fs := denials(fx.without("/releases/2026.11.1/spec/checklist"))
	fx.fired(fs, "QM-REL-007", ["releases", "2026.11.1", "spec"])
}

test_rel007_release_not_in_use_silent if {
	fx.silent(denials(fx.without("/releases/2026.10.0/spec/checklist/release_change_checklist")), "QM-REL-007")
}

# QM-REL-008 -------------------------------------------------------------------------------

test_rel008_unreviewed_risk_change_denied if {
	fs := denials(fx.with_value("/releases/2026.11.1/spec/changes/risk", ["live max_order_notional 5000 to 7500"]))
	fx.fired(fs, "QM-REL-008", ["releases", "2026.11.1", "spec", "checklist"])
}

test_rel008_reviewed_risk_change_silent if {
	fx.silent(denials(fx.good), "QM-REL-008")
	count(fx.good.releases["2026.10.0"].spec.changes.risk) > 0
}

# QM-REL-009 -------------------------------------------------------------------------------

test_rel009_live_release_without_readiness_review_denied if {
	fs := denials(fx.without("/releases/2026.11.0/spec/checklist/production_readiness_review"))
	fx.fired(fs, "QM-REL-009", ["releases", "2026.11.0", "spec", "checklist"])
}

test_rel009_paper_release_needs_no_readiness_review if {
	fx.silent(denials(fx.good), "QM-REL-009")
	not fx.good.releases["2026.11.1"].spec.checklist.production_readiness_review
}
