package qm.rules.local_paper

import data.qm.fixtures as fx
import rego.v1

denials(inp) := fs if {
	fs := deny with input as inp with data.qm.settings as fx.settings
}

warnings(inp) := fs if {
	fs := warn with input as inp with data.qm.settings as fx.settings
}

test_good_state_has_no_local_or_paper_findings if {
	count(denials(fx.good)) == 0
	count(warnings(fx.good)) == 0
}

# QM-LOC-001 -------------------------------------------------------------------------------

test_loc001_local_paper_account_denied if {
	fs := denials(fx.with_value("/environments/local/spec/execution/account_type", "paper"))
	fx.fired(fs, "QM-LOC-001", ["environments", "local", "spec", "execution", "account_type"])
}

test_loc001_local_real_broker_denied if {
	fs := denials(fx.with_value("/environments/local/spec/execution/broker", "alpaca"))
	fx.fired(fs, "QM-LOC-001", ["environments", "local", "spec", "execution", "broker"])
}

test_loc001_local_real_endpoint_denied if {
	fs := denials(fx.with_value("/environments/local/spec/execution/endpoint", "https://paper-api.alpaca.markets"))
	fx.fired(fs, "QM-LOC-001", ["environments", "local", "spec", "execution", "endpoint"])
}

test_loc001_local_simulated_endpoint_silent if {
	fx.silent(denials(fx.with_url("/environments/local/spec/execution/endpoint", "sim://dry-run", fx.parsed("sim", "dry-run", null))), "QM-LOC-001")
}

# QM-LOC-002 -------------------------------------------------------------------------------

test_loc002_local_live_feed_denied if {
	fs := denials(fx.with_value("/environments/local/spec/market_data/feed", "live"))
	fx.fired(fs, "QM-LOC-002", ["environments", "local", "spec", "market_data", "feed"])
}

test_loc002_local_delayed_feed_silent if {
	fx.silent(denials(fx.with_value("/environments/local/spec/market_data/feed", "delayed")), "QM-LOC-002")
}

# QM-PAP-001 -------------------------------------------------------------------------------

test_pap001_paper_live_account_denied if {
	fs := denials(fx.with_value("/environments/paper/spec/execution/account_type", "live"))
	fx.fired(fs, "QM-PAP-001", ["environments", "paper", "spec", "execution", "account_type"])
}

test_pap001_paper_dry_run_account_denied if {
	fs := denials(fx.with_value("/environments/paper/spec/execution/account_type", "dry_run"))
	fx.fired(fs, "QM-PAP-001", ["environments", "paper", "spec", "execution", "account_type"])
}

test_pap001_paper_without_credentials_denied if {
	fs := denials(fx.without("/environments/paper/spec/execution/credentials"))
	fx.fired(fs, "QM-PAP-001", ["environments", "paper", "spec", "execution"])
}

# QM-PAP-002 -------------------------------------------------------------------------------

paper_endpoint := "/environments/paper/spec/execution/endpoint"

pap002_at := ["environments", "paper", "spec", "execution", "endpoint"]

test_pap002_paper_on_live_endpoint_denied if {
	fs := denials(fx.with_url(paper_endpoint, "https://api.alpaca.markets/", fx.parsed("https", "api.alpaca.markets", 443)))
	fx.fired(fs, "QM-PAP-002", pap002_at)
	fx.says(fs, "QM-PAP-002", pap002_at, "is a live broker endpoint")
}

# The substring "paper" anywhere but the host changes nothing: path, fragment, query.
test_pap002_live_host_with_paper_in_path_fragment_or_query_denied if {
	every raw in ["https://api.alpaca.markets/paper", "https://api.alpaca.markets#paper", "https://api.alpaca.markets/?env=paper"] {
		fs := denials(fx.with_url(paper_endpoint, raw, fx.parsed("https", "api.alpaca.markets", 443)))
		fx.says(fs, "QM-PAP-002", pap002_at, "is a live broker endpoint")
	}
}

# A live host on another port is still the live host.
test_pap002_live_host_on_another_port_denied if {
	fs := denials(fx.with_url(paper_endpoint, "https://api.alpaca.markets:8443", fx.parsed("https", "api.alpaca.markets", 8443)))
	fx.says(fs, "QM-PAP-002", pap002_at, "is a live broker endpoint")
}

test_pap002_userinfo_trick_denied if {
	raw := "https://paper-api.alpaca.markets@api.alpaca.markets"
	fs := denials(fx.with_url(paper_endpoint, raw, fx.refused("carries userinfo (user@host)", true)))
	fx.says(fs, "QM-PAP-002", pap002_at, "is not a plain URL")
}

test_pap002_unparsed_url_denied if {
	fs := denials(fx.with_value(paper_endpoint, "https://paper-api.alpaca.markets/v2"))
	fx.says(fs, "QM-PAP-002", pap002_at, "was not parsed by the gate")
}

test_pap002_paper_on_unknown_endpoint_denied if {
	fs := denials(fx.with_url(paper_endpoint, "https://broker.example.com/v2", fx.parsed("https", "broker.example.com", 443)))
	fx.fired(fs, "QM-PAP-002", pap002_at)
}

test_pap002_host_merely_named_paper_denied if {
	fs := denials(fx.with_url(paper_endpoint, "https://paper.broker.example.com", fx.parsed("https", "paper.broker.example.com", 443)))
	fx.says(fs, "QM-PAP-002", pap002_at, "is not a known paper host of broker 'alpaca'")
}

test_pap002_paper_host_on_unlisted_port_denied if {
	fs := denials(fx.with_url(paper_endpoint, "https://paper-api.alpaca.markets:8443", fx.parsed("https", "paper-api.alpaca.markets", 8443)))
	fx.fired(fs, "QM-PAP-002", pap002_at)
}

test_pap002_plain_http_denied if {
	fs := denials(fx.with_url(paper_endpoint, "http://paper-api.alpaca.markets", fx.parsed("http", "paper-api.alpaca.markets", 80)))
	fx.says(fs, "QM-PAP-002", pap002_at, "https or wss")
}

test_pap002_paper_without_endpoint_denied if {
	fs := denials(fx.without(paper_endpoint))
	fx.fired(fs, "QM-PAP-002", ["environments", "paper", "spec", "execution"])
}

# What the parser normalises (upper case, trailing dot, a path) is the listed paper host.
test_pap002_listed_paper_host_with_path_silent if {
	raw := "HTTPS://Paper-API.alpaca.markets./v2"
	fx.silent(denials(fx.with_url(paper_endpoint, raw, fx.parsed("https", "paper-api.alpaca.markets", 443))), "QM-PAP-002")
}

# QM-PAP-003 -------------------------------------------------------------------------------

test_pap003_inherited_risk_limit_denied if {
	fs := denials(fx.without("/declared/paper/spec/risk/max_daily_loss"))
	fx.fired(fs, "QM-PAP-003", ["declared", "paper", "spec", "risk"])
}

test_pap003_inherited_capital_denied if {
	fs := denials(fx.without("/declared/paper/spec/capital"))
	fx.fired(fs, "QM-PAP-003", ["declared", "paper", "spec"])
}

test_pap003_inherited_capital_limit_denied if {
	fs := denials(fx.without("/declared/paper/spec/capital/limit"))
	fx.fired(fs, "QM-PAP-003", ["declared", "paper", "spec", "capital"])
}

test_pap003_local_may_inherit_limits if {
	fx.silent(denials(fx.without("/declared/local/spec/risk/max_daily_loss")), "QM-PAP-003")
}

# QM-PAP-004 -------------------------------------------------------------------------------

test_pap004_paper_alerts_off_denied if {
	fs := denials(fx.with_value("/environments/paper/spec/alerts/enabled", false))
	fx.fired(fs, "QM-PAP-004", ["environments", "paper", "spec", "alerts", "enabled"])
}

test_pap004_paper_alerts_missing_denied if {
	fs := denials(fx.without("/environments/paper/spec/alerts"))
	fx.fired(fs, "QM-PAP-004", ["environments", "paper", "spec"])
}

test_pap004_paper_alerts_without_channel_denied if {
	fs := denials(fx.with_value("/environments/paper/spec/alerts/channels", []))
	fx.fired(fs, "QM-PAP-004", ["environments", "paper", "spec", "alerts"])
}

test_pap004_local_alerts_off_silent if {
	fx.silent(denials(fx.good), "QM-PAP-004")
	fx.good.environments.local.spec.alerts.enabled == false
}

# QM-PAP-005 -------------------------------------------------------------------------------

test_pap005_paper_analytics_capture_off_denied if {
	fs := denials(fx.with_value("/environments/paper/spec/analytics/capture", false))
	fx.fired(fs, "QM-PAP-005", ["environments", "paper", "spec", "analytics", "capture"])
}

test_pap005_paper_analytics_disabled_denied if {
	fs := denials(fx.with_value("/environments/paper/spec/analytics/enabled", false))
	fx.fired(fs, "QM-PAP-005", ["environments", "paper", "spec", "analytics", "enabled"])
}

test_pap005_local_capture_off_silent if {
	fx.silent(denials(fx.good), "QM-PAP-005")
	fx.good.environments.local.spec.analytics.capture == false
}

# QM-PAP-006 -------------------------------------------------------------------------------

test_pap006_paper_on_demo_feed_warned if {
	fs := warnings(fx.with_value("/environments/paper/spec/market_data/feed", "demo"))
	fx.fired(fs, "QM-PAP-006", ["environments", "paper", "spec", "market_data", "feed"])
}

test_pap006_paper_on_live_feed_silent if {
	fx.silent(warnings(fx.with_value("/environments/paper/spec/market_data/feed", "live")), "QM-PAP-006")
}

# QM-PAP-007 -------------------------------------------------------------------------------

test_pap007_paper_normal_monitoring_warned if {
	fs := warnings(fx.with_value("/environments/paper/spec/monitoring/intensity", "normal"))
	fx.fired(fs, "QM-PAP-007", ["environments", "paper", "spec", "monitoring", "intensity"])
}

test_pap007_paper_heightened_monitoring_silent if {
	fx.silent(warnings(fx.with_value("/environments/paper/spec/monitoring/intensity", "heightened")), "QM-PAP-007")
}

# Settings entries compare like parsed hosts: case and a trailing dot do not matter.
test_pap002_settings_entry_written_oddly_still_matches if {
	settings := object.union(fx.settings, {"hosts": {"brokers": {"alpaca": {"paper": ["Paper-API.alpaca.markets.:443"], "live": ["API.alpaca.markets."]}}}})
	clean := deny with input as fx.good with data.qm.settings as settings
	fx.silent(clean, "QM-PAP-002")
	fs := deny with input as fx.with_url(paper_endpoint, "https://api.alpaca.markets", fx.parsed("https", "api.alpaca.markets", 443)) with data.qm.settings as settings
	fx.says(fs, "QM-PAP-002", pap002_at, "is a live broker endpoint")
}
