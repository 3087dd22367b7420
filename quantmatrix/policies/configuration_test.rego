package qm.rules.configuration

import data.qm.fixtures as fx
import rego.v1

denials(inp) := fs if {
	fs := deny with input as inp with data.qm.settings as fx.settings
}

warnings(inp) := fs if {
	fs := warn with input as inp with data.qm.settings as fx.settings
}

test_good_state_has_no_configuration_findings if {
	count(denials(fx.good)) == 0
	count(warnings(fx.good)) == 0
}

# QM-CFG-001 -------------------------------------------------------------------------------

test_cfg001_literal_broker_credential_denied_without_echoing_it if {
	fs := denials(fx.with_value("/declared/paper/spec/execution/credentials/secret_key", "hunter2hunter2"))
	path := ["declared", "paper", "spec", "execution", "credentials", "secret_key"]
	fx.never_says(fs, "QM-CFG-001", path, "hunter2")
}

test_cfg001_malformed_reference_denied if {
	fs := denials(fx.with_value("/declared/live/spec/market_data/credentials/api_key", {"secret": "QM_LIVE_MARKET_DATA_KEY", "value": "x"}))
	fx.fired(fs, "QM-CFG-001", ["declared", "live", "spec", "market_data", "credentials", "api_key"])
}

test_cfg001_literal_connection_url_denied if {
	fs := denials(fx.with_value("/declared/live/spec/postgres/url", "postgresql://qm@db/qm"))
	fx.never_says(fs, "QM-CFG-001", ["declared", "live", "spec", "postgres", "url"], "postgresql://")
}

test_cfg001_credential_named_params_denied if {
	every key in ["db_password", "secret_key", "SigningKey", "auth_token", "pwd"] {
		fx.fired(denials(fx.with_value("/declared/paper/spec/strategies/0/params", {key: "abc123"})), "QM-CFG-001", ["declared", "paper", "spec", "strategies", 0, "params", key])
	}
}

test_cfg001_credential_named_param_denied_without_echoing_it if {
	fs := denials(fx.with_value("/declared/paper/spec/strategies/0/params", {"vendor_api_key": "abc123"}))
	path := ["declared", "paper", "spec", "strategies", 0, "params", "vendor_api_key"]
	fx.never_says(fs, "QM-CFG-001", path, "abc123")
}

test_cfg001_literal_in_base_layer_denied if {
	fs := denials(fx.with_value("/bases/_base/spec/market_data/credentials", {"api_key": "demo-key-1"}))
	fx.fired(fs, "QM-CFG-001", ["bases", "_base", "spec", "market_data", "credentials", "api_key"])
}

# A credential-named field holding a literal anywhere inside a map or list (issue 7).
test_cfg001_credential_named_nested_literal_denied if {
	every value in [{"v": ["hunter2hunter2"]}, ["x"], {"primary": {"secret": "QM_PAPER_BROKER_SECRET"}, "fallback": "hunter2"}] {
		fs := denials(fx.with_value("/declared/paper/spec/strategies/0/params", {"db_password": value}))
		path := ["declared", "paper", "spec", "strategies", 0, "params", "db_password"]
		fx.fired(fs, "QM-CFG-001", path)
		fx.never_says(fs, "QM-CFG-001", path, "hunter2")
	}
}

test_cfg001_credential_named_nested_references_silent if {
	inp := fx.with_value("/declared/paper/spec/strategies/0/params", {"db_password": {"primary": {"secret": "QM_PAPER_BROKER_SECRET"}, "all": [{"secret": "QM_PAPER_BROKER_KEY_ID"}]}, "api_key": null})
	fx.silent(denials(inp), "QM-CFG-001")
}

test_cfg001_references_and_innocent_names_silent if {
	inp := fx.with_value("/declared/paper/spec/strategies/0/params", {"token_bucket_size": 20, "keyword": "breakout", "secret_sauce": "x", "tokens_per_second": 5})
	fx.silent(denials(inp), "QM-CFG-001")
}

# QM-CFG-002 -------------------------------------------------------------------------------

secret_looking := {
	"aws": "AKIAIOSFODNN7EXAMPLE",
	"stripe": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
	"github": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
	"slack": "xoxb-123456789012-abcdefABCDEF",
	"pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...",
	"jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig",
	"url": "redis://qm:s3cr3tpw@redis.internal:6379/0",
	"assignment": "host=db port=5432 password=Sup3rS3cret",
	"compact": "token:Zm9vYmFyYmF6",
	"bearer": "Authorization: Bearer abcdefghijklmnopqrstuvwx",
	"entropy": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}

test_cfg002_secret_looking_strings_denied_by_field_not_value if {
	every kind, value in secret_looking {
		fs := denials(fx.with_value("/declared/paper/spec/scanner/params/note", value))
		path := ["declared", "paper", "spec", "scanner", "params", "note"]
		fx.says(fs, "QM-CFG-002", path, "spec.scanner.params.note")
		fx.never_says(fs, "QM-CFG-002", path, value)
	}
}

test_cfg002_secret_in_release_notes_denied if {
	fs := denials(fx.with_value("/releases/2026.11.1/spec/changes/config/0", "rotate key AKIAIOSFODNN7EXAMPLE"))
	fx.fired(fs, "QM-CFG-002", ["releases", "2026.11.1", "spec", "changes", "config", 0])
}

test_cfg002_secret_in_catalog_description_denied if {
	fs := denials(fx.with_value("/secrets/QM_LIVE_REDIS_URL/description", "was redis://admin:hunter22@live-redis:6379"))
	fx.fired(fs, "QM-CFG-002", ["secrets", "QM_LIVE_REDIS_URL", "description"])
}

# A mapping key is scanned like a value, and the finding names the parent field, not the key.
test_cfg002_secret_as_mapping_key_denied_without_echoing_it if {
	every kind, value in secret_looking {
		fs := denials(fx.with_value("/declared/paper/spec/scanner/params", {value: 1}))
		path := ["declared", "paper", "spec", "scanner", "params", value]
		fx.says(fs, "QM-CFG-002", path, "spec.scanner.params has a key")
		fx.never_says(fs, "QM-CFG-002", path, value)
	}
}

test_cfg002_secret_key_above_a_value_not_echoed_in_its_field_name if {
	fs := denials(fx.with_value("/declared/paper/spec/scanner/params", {"AKIAIOSFODNN7EXAMPLE": {"note": "password=Sup3rS3cret"}}))
	path := ["declared", "paper", "spec", "scanner", "params", "AKIAIOSFODNN7EXAMPLE", "note"]
	fx.says(fs, "QM-CFG-002", path, "spec.scanner.params.<redacted>.note")
	fx.never_says(fs, "QM-CFG-002", path, "AKIA")
}

# One definition: a format added to settings.yaml alone is screened and found (no screen of
# this file has to learn it).
test_cfg002_a_format_added_in_settings_is_screened_and_found if {
	custom := json.patch(fx.settings, [{"op": "add", "path": "/secret_scan/formats/a QuantMatrix key", "value": `\bqmk_[a-z0-9]{20}\b`}])
	inp := fx.with_value("/declared/paper/spec/scanner/params/note", "qmk_abcdefghij0123456789")
	fs := deny with input as inp with data.qm.settings as custom
	path := ["declared", "paper", "spec", "scanner", "params", "note"]
	fx.says(fs, "QM-CFG-002", path, "looks like a QuantMatrix key")
	fx.silent(denials(inp), "QM-CFG-002")
}

test_cfg002_ordinary_keys_silent if {
	inp := fx.with_value("/declared/paper/spec/scanner/params", {"QM_PAPER_BROKER_KEY": 1, "MomentumBreakoutStrategyVersionTwoFinal": 2, "lookback_minutes": 30})
	fx.silent(denials(inp), "QM-CFG-002")
}

# The screens skip files on their text; what they let through must still be found: a key id
# used as a secret reference *name* (upper case, like the names the token screen ignores),
# and a token right after an escaped newline (in the JSON text, `\n` joins the token's run).
test_cfg002_screens_let_through_a_key_id_as_reference_name if {
	fs := denials(fx.with_value("/declared/paper/spec/market_data/credentials/api_key", fx.ref("AKIAIOSFODNN7EXAMPLE")))
	fx.fired(fs, "QM-CFG-002", ["declared", "paper", "spec", "market_data", "credentials", "api_key", "secret"])
}

test_cfg002_screens_let_through_a_token_after_an_escape if {
	fs := denials(fx.with_value("/declared/paper/spec/scanner/params/note", "rotated:\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
	fx.fired(fs, "QM-CFG-002", ["declared", "paper", "spec", "scanner", "params", "note"])
}

# Long secret reference names and secret file paths are runs of token characters, but of one
# letter case: not tokens, and the token screen does not walk their files.
test_cfg002_long_reference_names_and_secret_paths_silent if {
	inp := fx.patched([
		{"op": "add", "path": "/secrets/QM_PAPER_0003_HISTORICAL_MARKET_DATA_KEY_ID", "value": {"scope": "paper", "description": "Historical data key.", "provider": {"file": "/run/secrets/qm_paper_0003_historical_market_data_key_id"}}},
		{"op": "replace", "path": "/declared/paper/spec/market_data/credentials/api_key", "value": fx.ref("QM_PAPER_0003_HISTORICAL_MARKET_DATA_KEY_ID")},
	])
	fx.silent(denials(inp), "QM-CFG-002")
}

test_cfg002_ordinary_strings_silent if {
	inp := fx.with_value("/declared/paper/spec/scanner/params", {
		"pairs_file": "research/pairs-2026q4-momentum-breakout-universe.csv",
		"class": "MomentumBreakoutStrategyVersionTwoFinal",
		"digest": "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"url": "https://paper.qm.internal:8443/api?user=ops@example.com",
		"note": "the password rotation is documented in OPS-12",
		"prose": "Secret: rotated monthly by trading-ops; token = see vault",
	})
	fx.silent(denials(inp), "QM-CFG-002")
}

# QM-CFG-003 -------------------------------------------------------------------------------

test_cfg003_undocumented_secret_denied_without_naming_it if {
	fs := denials(fx.with_value("/declared/paper/spec/market_data/credentials/api_key", fx.ref("AKIAIOSFODNN7EXAMPLE")))
	path := ["declared", "paper", "spec", "market_data", "credentials", "api_key"]
	fx.never_says(fs, "QM-CFG-003", path, "AKIA")
}

test_cfg003_undocumented_secret_in_base_denied if {
	fs := denials(fx.with_value("/bases/_base/spec/redis/url", fx.ref("QM_SHARED_REDIS_URL")))
	fx.fired(fs, "QM-CFG-003", ["bases", "_base", "spec", "redis", "url"])
}

test_cfg003_documented_secrets_silent if {
	fx.silent(denials(fx.good), "QM-CFG-003")
}

# QM-CFG-004 -------------------------------------------------------------------------------

test_cfg004_area_inherited_instead_of_set_denied if {
	fs := denials(fx.without("/declared/local/spec/risk"))
	fx.fired(fs, "QM-CFG-004", ["declared", "local", "spec"])
}

test_cfg004_market_data_provider_missing_points_at_parent if {
	fs := denials(fx.without("/declared/backtest/spec/market_data/provider"))
	fx.fired(fs, "QM-CFG-004", ["declared", "backtest", "spec", "market_data"])
}

test_cfg004_every_area_required if {
	every area in ["mode", "redis", "postgres", "strategies", "scanner", "analytics"] {
		fx.fired(denials(fx.without(concat("/", ["/declared/paper/spec", area]))), "QM-CFG-004", ["declared", "paper", "spec"])
	}
}

test_cfg004_empty_strategy_list_is_set if {
	fx.silent(denials(fx.with_value("/declared/local/spec/strategies", [])), "QM-CFG-004")
}

# QM-CFG-005 -------------------------------------------------------------------------------

test_cfg005_live_order_limit_above_ceiling_warned if {
	fs := warnings(fx.with_value("/environments/live/spec/risk/max_order_notional", 12000))
	fx.fired(fs, "QM-CFG-005", ["environments", "live", "spec", "risk", "max_order_notional"])
}

test_cfg005_capital_above_ceiling_warned if {
	fs := warnings(fx.with_value("/environments/paper/spec/capital/limit", 750000))
	fx.fired(fs, "QM-CFG-005", ["environments", "paper", "spec", "capital", "limit"])
}

test_cfg005_foreign_currency_warned if {
	fs := warnings(fx.with_value("/environments/live/spec/risk/currency", "EUR"))
	fx.fired(fs, "QM-CFG-005", ["environments", "live", "spec", "risk", "currency"])
}

test_cfg005_same_value_under_a_higher_mode_ceiling_silent if {
	# 12000 is above the live ceiling but under paper's
	fx.silent(warnings(fx.with_value("/environments/paper/spec/risk/max_order_notional", 12000)), "QM-CFG-005")
}

test_cfg005_limit_at_ceiling_silent if {
	fx.silent(warnings(fx.with_value("/environments/live/spec/risk/max_order_notional", 10000)), "QM-CFG-005")
}

# QM-CFG-006 -------------------------------------------------------------------------------

test_cfg006_order_above_position_denied if {
	fs := denials(fx.with_value("/environments/live/spec/risk/max_order_notional", 25000))
	fx.fired(fs, "QM-CFG-006", ["environments", "live", "spec", "risk", "max_order_notional"])
}

test_cfg006_position_above_gross_denied if {
	fs := denials(fx.with_value("/environments/paper/spec/risk/max_position_notional", 250000))
	fx.fired(fs, "QM-CFG-006", ["environments", "paper", "spec", "risk", "max_position_notional"])
}

test_cfg006_equal_limits_silent if {
	fx.silent(denials(fx.with_value("/environments/live/spec/risk/max_order_notional", 20000)), "QM-CFG-006")
}

# QM-CFG-007 -------------------------------------------------------------------------------

test_cfg007_daily_loss_above_gross_exposure_warned if {
	fs := warnings(fx.with_value("/environments/local/spec/risk/max_daily_loss", 20000))
	fx.fired(fs, "QM-CFG-007", ["environments", "local", "spec", "risk", "max_daily_loss"])
}

test_cfg007_daily_loss_within_gross_exposure_silent if {
	fx.silent(warnings(fx.with_value("/environments/local/spec/risk/max_daily_loss", 10000)), "QM-CFG-007")
}

# QM-CFG-008 -------------------------------------------------------------------------------

test_cfg008_strategies_over_capital_denied if {
	fs := denials(fx.with_value("/environments/paper/spec/strategies/1/capital", 80001))
	fx.fired(fs, "QM-CFG-008", ["environments", "paper", "spec", "strategies"])
}

test_cfg008_disabled_strategies_do_not_count if {
	inp := fx.patched([
		{"op": "add", "path": "/environments/paper/spec/strategies/-", "value": {"name": "pairs", "version": "0.9.1", "capital": 90000, "enabled": false}},
	])
	fx.silent(denials(inp), "QM-CFG-008")
}

# QM-CFG-009 -------------------------------------------------------------------------------

test_cfg009_refused_url_in_environment_denied if {
	inp := fx.with_url("/environments/paper/spec/ui/url", "https://paper.qm.internal\\@live.qm.internal", fx.refused("contains whitespace, a control or invisible character, or a backslash", false))
	fs := denials(inp)
	fx.fired(fs, "QM-CFG-009", ["declared", "paper", "spec", "ui", "url"])
	fx.says(fs, "QM-CFG-009", ["declared", "paper", "spec", "ui", "url"], "backslash")
}

test_cfg009_refused_url_in_base_denied if {
	fs := denials(fx.with_url("/bases/_base/spec/execution/endpoint", "https://u@h", fx.refused("carries userinfo (user@host)", true)))
	fx.fired(fs, "QM-CFG-009", ["bases", "_base", "spec", "execution", "endpoint"])
}

test_cfg009_url_without_parsed_form_denied if {
	fs := denials(fx.with_value("/declared/local/spec/api/base_url", "http://127.0.0.1:9999"))
	fx.says(fs, "QM-CFG-009", ["declared", "local", "spec", "api", "base_url"], "was not parsed by the gate")
}

test_cfg009_parsed_urls_silent if {
	fx.silent(denials(fx.good), "QM-CFG-009")
}

test_cfg002_secret_in_the_waivers_file_denied if {
	waivers := {"policies/waivers.yaml": {"waivers": [{"rule": "QM-SEP-004", "reason": "see https://ops:hunter2hunter2@wiki.internal/x"}]}}
	fs := denials(object.union(fx.good, {"waivers": waivers}))
	at := ["waivers", "policies/waivers.yaml", "waivers", 0, "reason"]
	fx.fired(fs, "QM-CFG-002", at)
	fx.never_says(fs, "QM-CFG-002", at, "hunter2")
}

test_cfg002_clean_waivers_file_silent if {
	waivers := {"policies/waivers.yaml": {"waivers": [{"rule": "QM-SEP-004", "reason": "Paper stress test, RISK-812", "approver": "sam.cto"}]}}
	fx.silent(denials(object.union(fx.good, {"waivers": waivers})), "QM-CFG-002")
}
