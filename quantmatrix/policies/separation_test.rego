package qm.rules.separation

import data.qm.fixtures as fx
import rego.v1

findings(inp) := fs if {
	fs := deny with input as inp with data.qm.settings as fx.settings
}

test_good_state_has_no_separation_findings if {
	count(findings(fx.good)) == 0
}

# QM-SEP-001 -------------------------------------------------------------------------------

test_sep001_live_secret_in_paper_denied if {
	fs := findings(fx.with_value("/environments/paper/spec/execution/credentials/key_id", fx.ref("QM_LIVE_BROKER_KEY_ID")))
	fx.fired(fs, "QM-SEP-001", ["environments", "paper", "spec", "execution", "credentials", "key_id"])
	fx.says(fs, "QM-SEP-001", ["environments", "paper", "spec", "execution", "credentials", "key_id"], "live secrets exist only for live")
}

test_sep001_live_secret_in_local_strategy_params_denied if {
	fs := findings(fx.with_value("/environments/local/spec/strategies/0/params", {"feed_key": fx.ref("QM_LIVE_MARKET_DATA_KEY")}))
	fx.fired(fs, "QM-SEP-001", ["environments", "local", "spec", "strategies", 0, "params", "feed_key"])
}

test_sep001_paper_secret_in_live_denied if {
	fs := findings(fx.with_value("/environments/live/spec/redis/url", fx.ref("QM_PAPER_REDIS_URL")))
	fx.fired(fs, "QM-SEP-001", ["environments", "live", "spec", "redis", "url"])
}

test_sep001_own_scope_secrets_silent if {
	fx.silent(findings(fx.with_value("/environments/local/spec/postgres/url", fx.ref("QM_LOCAL_REDIS_URL"))), "QM-SEP-001")
}

# QM-SEP-002 -------------------------------------------------------------------------------

test_sep002_backtest_live_account_denied if {
	fs := findings(fx.with_value("/environments/backtest/spec/execution/account_type", "live"))
	fx.fired(fs, "QM-SEP-002", ["environments", "backtest", "spec", "execution", "account_type"])
}

test_sep002_backtest_real_broker_denied if {
	fs := findings(fx.with_value("/environments/backtest/spec/execution/broker", "alpaca"))
	fx.fired(fs, "QM-SEP-002", ["environments", "backtest", "spec", "execution", "broker"])
}

test_sep002_backtest_broker_credentials_denied if {
	fs := findings(fx.with_value("/environments/backtest/spec/execution/credentials", {"key_id": fx.ref("QM_BACKTEST_POSTGRES_URL")}))
	fx.fired(fs, "QM-SEP-002", ["environments", "backtest", "spec", "execution", "credentials"])
}

test_sep002_backtest_live_endpoint_denied if {
	fs := findings(fx.with_value("/environments/backtest/spec/execution/endpoint", "https://api.alpaca.markets"))
	fx.fired(fs, "QM-SEP-002", ["environments", "backtest", "spec", "execution", "endpoint"])
}

test_sep002_backtest_without_endpoint_silent if {
	fx.silent(findings(fx.without("/environments/backtest/spec/execution/endpoint")), "QM-SEP-002")
}

# QM-SEP-003 -------------------------------------------------------------------------------

test_sep003_local_broker_credentials_denied if {
	fs := findings(fx.with_value("/environments/local/spec/execution/credentials", {"key_id": fx.ref("QM_LOCAL_REDIS_URL")}))
	fx.fired(fs, "QM-SEP-003", ["environments", "local", "spec", "execution", "credentials"])
}

test_sep003_local_empty_credentials_silent if {
	fx.silent(findings(fx.with_value("/environments/local/spec/execution/credentials", {})), "QM-SEP-003")
}

# QM-SEP-004 -------------------------------------------------------------------------------

test_sep004_backtest_routes_live_orders_denied if {
	fs := findings(fx.with_value("/environments/backtest/spec/execution/routes_live_orders", true))
	fx.fired(fs, "QM-SEP-004", ["environments", "backtest", "spec", "execution", "routes_live_orders"])
}

test_sep004_paper_routes_live_orders_denied if {
	fs := findings(fx.with_value("/environments/paper/spec/execution/routes_live_orders", true))
	fx.fired(fs, "QM-SEP-004", ["environments", "paper", "spec", "execution", "routes_live_orders"])
}

test_sep004_local_routes_live_orders_denied if {
	fs := findings(fx.with_value("/environments/local/spec/execution/routes_live_orders", true))
	fx.fired(fs, "QM-SEP-004", ["environments", "local", "spec", "execution", "routes_live_orders"])
}

test_sep004_live_may_route_live_orders if {
	fx.silent(findings(fx.good), "QM-SEP-004")
	fx.good.environments.live.spec.execution.routes_live_orders == true
}

# QM-SEP-005 -------------------------------------------------------------------------------

test_sep005_paper_shares_live_broker_account_denied if {
	fs := findings(fx.with_value("/environments/paper/spec/execution/account", "LA-QM-7731"))
	fx.fired(fs, "QM-SEP-005", ["environments", "paper", "spec", "execution", "account"])
}

test_sep005_paper_shares_live_endpoint_denied if {
	fs := findings(fx.with_url("/environments/paper/spec/execution/endpoint", "https://api.alpaca.markets/", fx.parsed("https", "api.alpaca.markets", 443)))
	fx.fired(fs, "QM-SEP-005", ["environments", "paper", "spec", "execution", "endpoint"])
}

test_sep005_local_shares_live_redis_prefix_denied if {
	fs := findings(fx.with_value("/environments/local/spec/redis/key_prefix", "qm:live:"))
	fx.fired(fs, "QM-SEP-005", ["environments", "local", "spec", "redis", "key_prefix"])
}

test_sep005_paper_shares_live_api_url_denied if {
	fs := findings(fx.with_url("/environments/paper/spec/api/base_url", "HTTPS://live.qm.internal/api", fx.parsed("https", "live.qm.internal", 443)))
	fx.fired(fs, "QM-SEP-005", ["environments", "paper", "spec", "api", "base_url"])
}

# Compared by parsed host and port: another path, a fragment or a trailing dot is the same server.
test_sep005_paper_api_on_live_api_host_other_path_denied if {
	fs := findings(fx.with_url("/environments/paper/spec/api/base_url", "https://live.qm.internal./paper-api#x", fx.parsed("https", "live.qm.internal", 443)))
	fx.fired(fs, "QM-SEP-005", ["environments", "paper", "spec", "api", "base_url"])
}

test_sep005_same_host_other_port_silent if {
	fx.silent(findings(fx.with_url("/environments/paper/spec/ui/url", "https://live.qm.internal:8443", fx.parsed("https", "live.qm.internal", 8443))), "QM-SEP-005")
}

test_sep005_paper_and_local_may_share if {
	fx.silent(findings(fx.with_value("/environments/local/spec/api/base_url", "https://paper.qm.internal/api")), "QM-SEP-005")
}

# QM-SEP-006 -------------------------------------------------------------------------------

test_sep006_paper_and_live_secret_share_a_variable_denied if {
	fs := findings(fx.with_value("/secrets/QM_PAPER_REDIS_URL/provider", {"env": "QM_LIVE_REDIS_URL"}))
	fx.fired(fs, "QM-SEP-006", ["secrets", "QM_PAPER_REDIS_URL", "provider", "env"])
	fx.fired(fs, "QM-SEP-006", ["secrets", "QM_LIVE_REDIS_URL", "provider", "env"])
}

test_sep006_same_scope_sharing_silent if {
	fx.silent(findings(fx.with_value("/secrets/QM_PAPER_REDIS_URL/provider", {"env": "QM_PAPER_POSTGRES_URL"})), "QM-SEP-006")
}

# QM-SEP-007 -------------------------------------------------------------------------------

test_sep007_banner_without_mode_denied if {
	fs := findings(fx.with_value("/environments/paper/spec/ui/banner", "QuantMatrix"))
	fx.fired(fs, "QM-SEP-007", ["environments", "paper", "spec", "ui", "banner"])
}

test_sep007_non_live_banner_saying_live_denied if {
	fs := findings(fx.with_value("/environments/paper/spec/ui/banner", "Paper (mirrors Live)"))
	fx.fired(fs, "QM-SEP-007", ["environments", "paper", "spec", "ui", "banner"])
}

test_sep007_missing_banner_denied if {
	fs := findings(fx.without("/environments/backtest/spec/ui/banner"))
	fx.fired(fs, "QM-SEP-007", ["environments", "backtest", "spec", "ui"])
}

test_sep007_banner_matches_mode_case_insensitively if {
	fx.silent(findings(fx.with_value("/environments/paper/spec/ui/banner", "Paper Trading · Delivery desk")), "QM-SEP-007")
}

# QM-SEP-008 -------------------------------------------------------------------------------

test_sep008_base_defaults_live_mode_denied if {
	fs := findings(fx.with_value("/bases/_base/spec/mode", "live"))
	fx.fired(fs, "QM-SEP-008", ["bases", "_base", "spec", "mode"])
}

test_sep008_base_routes_live_orders_denied if {
	fs := findings(fx.with_value("/bases/_base/spec/execution/routes_live_orders", true))
	fx.fired(fs, "QM-SEP-008", ["bases", "_base", "spec", "execution", "routes_live_orders"])
}

test_sep008_base_paper_account_denied if {
	fs := findings(fx.with_value("/bases/_base/spec/execution/account_type", "paper"))
	fx.fired(fs, "QM-SEP-008", ["bases", "_base", "spec", "execution", "account_type"])
}

test_sep008_base_live_feed_denied if {
	fs := findings(fx.with_value("/bases/_base/spec/market_data/feed", "live"))
	fx.fired(fs, "QM-SEP-008", ["bases", "_base", "spec", "market_data", "feed"])
}

test_sep008_base_real_endpoint_denied if {
	fs := findings(fx.with_value("/bases/_base/spec/execution/endpoint", "https://paper-api.alpaca.markets"))
	fx.fired(fs, "QM-SEP-008", ["bases", "_base", "spec", "execution", "endpoint"])
}

test_sep008_base_credentials_denied if {
	fs := findings(fx.with_value("/bases/_base/spec/postgres/url", fx.ref("QM_LOCAL_REDIS_URL")))
	fx.fired(fs, "QM-SEP-008", ["bases", "_base", "spec", "postgres", "url"])
}

test_sep008_base_simulated_endpoint_silent if {
	fx.silent(findings(fx.with_value("/bases/_base/spec/execution/endpoint", "sim://simulator")), "QM-SEP-008")
}

# QM-SEP-009 -------------------------------------------------------------------------------

test_sep009_paper_api_url_on_live_broker_host_denied if {
	fs := findings(fx.with_url("/environments/paper/spec/api/base_url", "https://API.alpaca.markets.:9443/paper", fx.parsed("https", "api.alpaca.markets", 9443)))
	fx.fired(fs, "QM-SEP-009", ["declared", "paper", "spec", "api", "base_url"])
	fx.says(fs, "QM-SEP-009", ["declared", "paper", "spec", "api", "base_url"], "a live host of broker 'alpaca'")
}

test_sep009_local_endpoint_on_live_broker_host_denied if {
	fs := findings(fx.with_url("/environments/local/spec/execution/endpoint", "https://api.alpaca.markets#paper", fx.parsed("https", "api.alpaca.markets", 443)))
	fx.fired(fs, "QM-SEP-009", ["declared", "local", "spec", "execution", "endpoint"])
}

test_sep009_base_on_live_broker_host_denied if {
	fs := findings(fx.with_url("/bases/_base/spec/execution/endpoint", "https://api.alpaca.markets", fx.parsed("https", "api.alpaca.markets", 443)))
	fx.fired(fs, "QM-SEP-009", ["bases", "_base", "spec", "execution", "endpoint"])
}

test_sep009_live_on_live_host_and_paper_on_paper_host_silent if {
	fx.silent(findings(fx.good), "QM-SEP-009")
}

# QM-SEP-010 -------------------------------------------------------------------------------

md_endpoint(env) := sprintf("/environments/%s/spec/market_data/endpoint", [env])

md_at(env) := ["environments", env, "spec", "market_data", "endpoint"]

test_sep010_paper_delayed_feed_on_live_data_host_denied if {
	fs := findings(fx.with_url(md_endpoint("paper"), "wss://socket.polygon.io/delayed", fx.parsed("wss", "socket.polygon.io", 443)))
	fx.says(fs, "QM-SEP-010", md_at("paper"), "is not a known delayed host of provider 'polygon'")
}

test_sep010_live_feed_on_unknown_host_denied if {
	fs := findings(fx.with_url(md_endpoint("live"), "wss://socket.polygon.io.evil.example/stocks", fx.parsed("wss", "socket.polygon.io.evil.example", 443)))
	fx.fired(fs, "QM-SEP-010", md_at("live"))
}

test_sep010_local_demo_feed_on_live_data_host_denied if {
	fs := findings(fx.with_url(md_endpoint("local"), "wss://socket.polygon.io", fx.parsed("wss", "socket.polygon.io", 443)))
	fx.fired(fs, "QM-SEP-010", md_at("local"))
}

test_sep010_refused_url_denied if {
	fs := findings(fx.with_url(md_endpoint("live"), "wss://x@socket.polygon.io", fx.refused("carries userinfo (user@host)", true)))
	fx.says(fs, "QM-SEP-010", md_at("live"), "is not a plain URL")
}

test_sep010_known_hosts_for_the_feed_silent if {
	paper := fx.with_url(md_endpoint("paper"), "wss://delayed.polygon.io/stocks", fx.parsed("wss", "delayed.polygon.io", 443))
	fx.silent(findings(paper), "QM-SEP-010")
	live := fx.with_url(md_endpoint("live"), "WSS://Socket.Polygon.IO./stocks", fx.parsed("wss", "socket.polygon.io", 443))
	fx.silent(findings(live), "QM-SEP-010")
}
