# Shared fixtures of the pack's unit tests: a small, realistic desired state on which every
# rule is silent (`good`), the settings the tests run with, and assertion helpers. Each test
# patches `good` to break one thing (json.patch) and asserts the rule id and the path.
package qm.fixtures

import rego.v1

# Same keys as policies/settings.yaml (tests/policy/test_pack.py checks they do not drift).
settings := {
	"risk_ceilings": {
		"currency": "USD",
		"local": {"max_order_notional": 2500, "max_position_notional": 10000, "max_gross_exposure": 25000, "max_daily_loss": 1000, "max_orders_per_minute": 60, "capital_limit": 25000},
		"paper": {"max_order_notional": 25000, "max_position_notional": 100000, "max_gross_exposure": 500000, "max_daily_loss": 10000, "max_orders_per_minute": 120, "capital_limit": 500000},
		"live": {"max_order_notional": 10000, "max_position_notional": 50000, "max_gross_exposure": 100000, "max_daily_loss": 2500, "max_orders_per_minute": 30, "capital_limit": 100000},
		"backtest": {"max_order_notional": 1000000, "max_position_notional": 5000000, "max_gross_exposure": 20000000, "max_daily_loss": 500000, "max_orders_per_minute": 6000, "capital_limit": 10000000},
	},
	"first_live_release": {"max_capital": 50000, "max_enabled_strategies": 2},
	"live_evidence": {"reconciliation_max_age_days": 30, "emergency_halt_max_age_days": 30},
	"brokers": {"dry_run": ["dry-run"], "simulated": ["simulator"]},
	"hosts": {
		"brokers": {"alpaca": {"paper": ["paper-api.alpaca.markets"], "live": ["api.alpaca.markets"]}},
		"market_data": {"polygon": {"live": ["socket.polygon.io"], "delayed": ["delayed.polygon.io"]}},
	},
	"secret_scan": {
		"min_token_length": 32,
		"min_class_runs_ratio": 0.4,
		# the same patterns as policies/settings.yaml (tests/policy/test_pack.py compares them)
		"formats": {
			"an AWS access key id": `\b(AKIA|ASIA)[0-9A-Z]{16}\b`,
			"a Stripe live key": `\b[rs]k_live_[0-9A-Za-z]{8,}`,
			"a GitHub token": `\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`,
			"a Slack token": `\bxox[abposr]-[A-Za-z0-9-]{8,}`,
			"a PEM private key or certificate": `-----BEGIN [A-Z ]+-----`,
			"a JSON web token": `\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.`,
			"a URL with an embedded password": `[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:\**[^/\s@*][^/\s@]*@`,
			"an inline password or key assignment": `(?i)\b(password|passwd|pwd|secret|token|api_?key)(\s*=\s*|:)[^\s,;]{6,}`,
			"a bearer token": `(?i)\bbearer\s+[A-Za-z0-9._~+/-]{16,}`,
		},
		"credential_key": `(?i)(passw(or)?d|passphrase|pwd|secret|token|credentials?|(api|access|private|secret|signing)[_-]?key)$`,
	},
}

ref(name) := {"secret": name}

approval(ref_id) := {"by": "maria.head-of-trading", "at": "2026-11-11", "reference": ref_id}

risk(order, position, gross, loss, rate) := {
	"currency": "USD",
	"max_order_notional": order,
	"max_position_notional": position,
	"max_gross_exposure": gross,
	"max_daily_loss": loss,
	"max_orders_per_minute": rate,
}

# Paper and live: their real services through kubectl, state in their PostgreSQL database.
runtime_of(mode, store) := {
	"driver": "command",
	"command": {
		"deploy": ["kubectl", "--context", sprintf("qm-%s", [mode]), "set", "image", "deployment/qm-{component}", "{component}=registry.qm.internal/quantmatrix/{component}:{version}"],
		"rollout_status": ["kubectl", "--context", sprintf("qm-%s", [mode]), "rollout", "status", "deployment/qm-{component}"],
	},
	"store": {"url": ref(store)},
}

strategy(name, version, capital) := {"name": name, "version": version, "capital": capital, "enabled": true}

local_env := {"apiVersion": "quantmatrix.io/v1", "kind": "Environment", "metadata": {"name": "local", "extends": "_base"}, "spec": {
	"mode": "local",
	"release": "2026.11.1",
	"execution": {"broker": "dry-run", "account_type": "dry_run", "account": "local-dry-run", "routes_live_orders": false},
	"market_data": {"provider": "demo", "feed": "demo"},
	"redis": {"required": false, "url": ref("QM_LOCAL_REDIS_URL"), "key_prefix": "qm:local:"},
	"postgres": {"required": false},
	"api": {"base_url": "http://127.0.0.1:8000"},
	"ui": {"banner": "LOCAL · DRY-RUN", "url": "http://127.0.0.1:5173"},
	"risk": risk(1000, 5000, 10000, 250, 30),
	"capital": {"limit": 10000, "currency": "USD"},
	"strategies": [strategy("momentum_breakout", "1.4.2", 5000)],
	"scanner": {"enabled": true, "universe": "demo-universe", "interval_seconds": 15},
	"analytics": {"enabled": true, "capture": false, "logic_version": "1.3.1"},
	"alerts": {"enabled": false},
	"safety": {"emergency_halt": {"enabled": true}},
	"monitoring": {"intensity": "normal", "window_hours": 2},
}}

paper_env := {"apiVersion": "quantmatrix.io/v1", "kind": "Environment", "metadata": {"name": "paper", "extends": "_base"}, "spec": {
	"mode": "paper",
	"release": "2026.11.1",
	"execution": {
		"broker": "alpaca", "account_type": "paper", "account": "PA-QM-0001",
		"endpoint": "https://paper-api.alpaca.markets", "routes_live_orders": false,
		"credentials": {"key_id": ref("QM_PAPER_BROKER_KEY_ID"), "secret_key": ref("QM_PAPER_BROKER_SECRET")},
	},
	"market_data": {"provider": "polygon", "feed": "delayed", "credentials": {"api_key": ref("QM_PAPER_MARKET_DATA_KEY")}},
	"redis": {"required": true, "url": ref("QM_PAPER_REDIS_URL"), "key_prefix": "qm:paper:"},
	"postgres": {"required": true, "url": ref("QM_PAPER_POSTGRES_URL")},
	"api": {"base_url": "https://paper.qm.internal/api"},
	"ui": {"banner": "PAPER TRADING", "url": "https://paper.qm.internal"},
	"risk": risk(10000, 50000, 200000, 5000, 60),
	"capital": {"limit": 200000, "currency": "USD"},
	"strategies": [strategy("momentum_breakout", "1.4.2", 120000), strategy("mean_reversion", "2.0.1", 80000)],
	"blocked_symbols": ["GME"],
	"scanner": {"enabled": true, "universe": "us-equities-liquid", "interval_seconds": 30, "params": {"min_price": 5}},
	"analytics": {"enabled": true, "capture": true, "logic_version": "1.3.1"},
	"alerts": {"enabled": true, "channels": ["#qm-paper"]},
	"safety": {"emergency_halt": {"enabled": true}},
	"monitoring": {"intensity": "active", "window_hours": 8},
	"runtime": runtime_of("paper", "QM_PAPER_POSTGRES_URL"),
}}

live_env := {"apiVersion": "quantmatrix.io/v1", "kind": "Environment", "metadata": {"name": "live", "extends": "_base"}, "spec": {
	"mode": "live",
	"release": "2026.11.0",
	"execution": {
		"broker": "alpaca", "account_type": "live", "account": "LA-QM-7731",
		"endpoint": "https://api.alpaca.markets", "routes_live_orders": true,
		"credentials": {"key_id": ref("QM_LIVE_BROKER_KEY_ID"), "secret_key": ref("QM_LIVE_BROKER_SECRET")},
	},
	"market_data": {"provider": "polygon", "feed": "live", "credentials": {"api_key": ref("QM_LIVE_MARKET_DATA_KEY")}},
	"redis": {"required": true, "url": ref("QM_LIVE_REDIS_URL"), "key_prefix": "qm:live:"},
	"postgres": {"required": true, "url": ref("QM_LIVE_POSTGRES_URL")},
	"api": {"base_url": "https://live.qm.internal/api"},
	"ui": {"banner": "LIVE TRADING · REAL CAPITAL", "url": "https://live.qm.internal"},
	"risk": risk(5000, 20000, 50000, 1500, 20),
	"capital": {"limit": 50000, "currency": "USD", "observed_since": "2026-11-12"},
	"strategies": [strategy("momentum_breakout", "1.4.0", 30000), strategy("mean_reversion", "2.0.1", 20000)],
	"blocked_symbols": ["GME", "AMC"],
	"scanner": {"enabled": true, "universe": "us-equities-liquid", "interval_seconds": 30},
	"analytics": {"enabled": true, "capture": true, "logic_version": "1.3.0"},
	"alerts": {"enabled": true, "channels": ["#qm-live"]},
	"safety": {
		"emergency_halt": {"enabled": true, "verified": approval("OPS-2240")},
		"reconciliation_tested": approval("OPS-2240"),
	},
	"monitoring": {"intensity": "heightened", "window_hours": 24},
	"runtime": runtime_of("live", "QM_LIVE_POSTGRES_URL"),
	"staffing": {"operator": "dana.ops", "engineer_on_standby": "li.eng"},
	"approvals": {
		"go_live_checklist": approval("GOLIVE-12"),
		"production_readiness_review": approval("PRR-2026-11"),
		"initial_capital_limits": approval("RISK-88"),
		"strategy_set": approval("RISK-88"),
		"risk_limits_final_review": approval("RISK-89"),
		"broker_endpoint_verified": approval("OPS-2240"),
		"market_data_entitlement": approval("VENDOR-1"),
	},
}}

backtest_env := {"apiVersion": "quantmatrix.io/v1", "kind": "Environment", "metadata": {"name": "backtest", "extends": "_base"}, "spec": {
	"mode": "backtest",
	"release": "2026.11.1",
	"execution": {"broker": "simulator", "account_type": "simulated", "account": "sim-backtest", "endpoint": "sim://simulator", "routes_live_orders": false},
	"market_data": {"provider": "replay", "feed": "historical", "credentials": {"historical_data_key": ref("QM_BACKTEST_HISTORICAL_DATA_KEY")}},
	"redis": {"required": false},
	"postgres": {"required": true, "url": ref("QM_BACKTEST_POSTGRES_URL")},
	"api": {"base_url": "http://backtest.qm.internal:8000"},
	"ui": {"banner": "BACKTEST · SIMULATED"},
	"risk": risk(100000, 500000, 2000000, 50000, 600),
	"capital": {"limit": 1000000, "currency": "USD"},
	"strategies": [strategy("momentum_breakout", "1.4.2", 500000), strategy("mean_reversion", "2.0.1", 500000)],
	"scanner": {"enabled": false, "universe": "us-equities-all", "interval_seconds": 60},
	"analytics": {"enabled": true, "capture": true, "logic_version": "1.3.1"},
	"alerts": {"enabled": false},
	"safety": {"emergency_halt": {"enabled": true}},
	"monitoring": {"intensity": "normal", "window_hours": 2},
}}

environments := {"local": local_env, "paper": paper_env, "live": live_env, "backtest": backtest_env}

base := {"apiVersion": "quantmatrix.io/v1", "kind": "EnvironmentBase", "metadata": {"name": "_base"}, "spec": {
	"execution": {"broker": "dry-run", "account_type": "dry_run", "routes_live_orders": false},
	"market_data": {"provider": "demo", "feed": "demo"},
	"redis": {"required": false},
	"postgres": {"required": false},
	"risk": risk(1000, 5000, 10000, 250, 10),
	"capital": {"limit": 10000, "currency": "USD"},
	"analytics": {"enabled": true, "capture": true, "logic_version": "1.3.0"},
	"safety": {"emergency_halt": {"enabled": true}},
}}

paper_checks := {
	"startup_flow": true, "account_summary_matches_broker": true, "order_placement": true,
	"order_cancel": true, "fills_captured": true, "positions_reconcile": true,
	"end_of_day_reconciliation": true, "emergency_halt_tested": true,
}

paper_validation(deployment) := {
	"environment": "paper", "deployment": deployment, "started": "2026-11-03", "completed": "2026-11-10",
	"result": "passed", "checks": paper_checks, "approved": approval("GOLIVE-12"),
}

release_2026_10_0 := {"apiVersion": "quantmatrix.io/v1", "kind": "Release", "metadata": {"name": "2026.10.0"}, "spec": {
	"components": {"api": "3.2.0", "workers": "3.2.0", "ui": "2.7.1"},
	"config_version": "2026.10.0",
	"database": {"revision": "0001_baseline", "backward_compatible": true, "reversible": false},
	"strategies": {"momentum_breakout": "1.3.0", "mean_reversion": "2.0.1"},
	"analytics": {"logic_version": "1.2.0"},
	"changes": {
		"config": ["Initial configuration"],
		"migrations": ["0001_baseline creates the schema"],
		"strategies": ["momentum_breakout 1.3.0 and mean_reversion 2.0.1 enter the live set"],
		"risk": ["Initial live limits"],
	},
	"rollback": {"previous": null, "migrations_reversible": false, "plan": "First release; halt trading and restore backup snapshot qm-2026-10-01."},
	"checklist": {
		"release_change_checklist": approval("RCC-1"), "production_readiness_review": approval("PRR-1"),
		"migrations_reviewed": approval("DB-301"), "risk_changes_reviewed": approval("RISK-71"),
		"rollback_plan_reviewed": approval("RB-1"),
	},
	"validation": {"paper": paper_validation("dep-paper-2026.10.0-1")},
}}

release_2026_11_0 := {"apiVersion": "quantmatrix.io/v1", "kind": "Release", "metadata": {"name": "2026.11.0"}, "spec": {
	"components": {"api": "3.3.0", "workers": "3.3.0", "ui": "2.8.0"},
	"config_version": "2026.11.0",
	"database": {"revision": "0002_fills_exec_time_idx", "backward_compatible": true, "reversible": true, "backup_confirmed": approval("DB-318")},
	"strategies": {"momentum_breakout": "1.4.0", "mean_reversion": "2.0.1"},
	"analytics": {"logic_version": "1.3.0"},
	"changes": {
		"config": ["Scanner interval 60s to 30s"],
		"migrations": ["0002_fills_exec_time_idx adds an index"],
		"strategies": ["momentum_breakout 1.3.0 to 1.4.0"],
		"risk": [],
	},
	"rollback": {"previous": "2026.10.0", "migrations_reversible": true, "plan": "Halt, redeploy 2026.10.0, downgrade to 0001_baseline."},
	"checklist": {
		"release_change_checklist": approval("RCC-2"), "production_readiness_review": approval("PRR-2"),
		"migrations_reviewed": approval("DB-318"), "rollback_plan_reviewed": approval("RB-2"),
	},
	"validation": {"paper": paper_validation("dep-paper-2026.11.0-1")},
}}

release_2026_11_1 := {"apiVersion": "quantmatrix.io/v1", "kind": "Release", "metadata": {"name": "2026.11.1"}, "spec": {
	"components": {"api": "3.3.1", "workers": "3.3.2", "ui": "2.8.0"},
	"config_version": "2026.11.1",
	"database": {"revision": "0002_fills_exec_time_idx"},
	"strategies": {"momentum_breakout": "1.4.2", "mean_reversion": "2.0.1"},
	"analytics": {"logic_version": "1.3.1"},
	"changes": {"config": [], "migrations": [], "strategies": ["momentum_breakout 1.4.0 to 1.4.2 (stop fix)"], "risk": []},
	"rollback": {"previous": "2026.11.0", "migrations_reversible": true, "plan": "Redeploy 2026.11.0 components."},
	"checklist": {"release_change_checklist": approval("RCC-3"), "rollback_plan_reviewed": approval("RB-3")},
}}

secret(scope, env_var) := {"scope": scope, "description": "A credential.", "provider": {"env": env_var}}

secrets := {name: secret(scope, name) |
	some [name, scope] in [
		["QM_LOCAL_REDIS_URL", "local"],
		["QM_PAPER_BROKER_KEY_ID", "paper"],
		["QM_PAPER_BROKER_SECRET", "paper"],
		["QM_PAPER_MARKET_DATA_KEY", "paper"],
		["QM_PAPER_REDIS_URL", "paper"],
		["QM_PAPER_POSTGRES_URL", "paper"],
		["QM_LIVE_BROKER_KEY_ID", "live"],
		["QM_LIVE_BROKER_SECRET", "live"],
		["QM_LIVE_MARKET_DATA_KEY", "live"],
		["QM_LIVE_REDIS_URL", "live"],
		["QM_LIVE_POSTGRES_URL", "live"],
		["QM_BACKTEST_HISTORICAL_DATA_KEY", "backtest"],
		["QM_BACKTEST_POSTGRES_URL", "backtest"],
	]
}

default_ports := {"http": 80, "https": 443, "ws": 80, "wss": 443}

# A valid URL as quantmatrix/policy/urls.py parses it (tests/policy/test_urls.py checks every
# entry of `urls` against the parser, so these fixtures cannot drift from it).
parsed(scheme, host, port) := {
	"valid": true, "problem": "", "scheme": scheme, "host": host, "port": port,
	"authority": authority(host, port), "default_port": port == object.get(default_ports, scheme, -1),
	"userinfo": false, "ip": regex.match(`^[0-9.]+$|:`, host),
}

authority(host, null) := host

authority(host, port) := sprintf("%s:%d", [host, port]) if port != null

# A URL the parser refuses, with its reason.
refused(problem, userinfo) := {
	"valid": false, "problem": problem, "scheme": "", "host": "", "port": null, "authority": "",
	"default_port": false, "userinfo": userinfo, "ip": false,
}

# `input.urls` of `good`: every URL string of the fixtures → its parsed form.
urls := {
	"https://paper-api.alpaca.markets": parsed("https", "paper-api.alpaca.markets", 443),
	"https://api.alpaca.markets": parsed("https", "api.alpaca.markets", 443),
	"https://paper.qm.internal/api": parsed("https", "paper.qm.internal", 443),
	"https://paper.qm.internal": parsed("https", "paper.qm.internal", 443),
	"https://live.qm.internal/api": parsed("https", "live.qm.internal", 443),
	"https://live.qm.internal": parsed("https", "live.qm.internal", 443),
	"http://127.0.0.1:8000": parsed("http", "127.0.0.1", 8000),
	"http://127.0.0.1:5173": parsed("http", "127.0.0.1", 5173),
	"http://backtest.qm.internal:8000": parsed("http", "backtest.qm.internal", 8000),
	"sim://simulator": parsed("sim", "simulator", null),
}

# The whole input. Each environment file here writes everything itself (declared = effective),
# which is what the rules about "set in its own file" want; tests that need inheritance patch
# `declared`.
good := {
	"environments": environments,
	"declared": environments,
	"releases": {"2026.10.0": release_2026_10_0, "2026.11.0": release_2026_11_0, "2026.11.1": release_2026_11_1},
	"secrets": secrets,
	"bases": {"_base": base},
	"context": {"today": "2026-11-28"},
	"urls": urls,
}

# `good` with JSON patch operations applied (RFC 6902, e.g. {"op": "replace", "path": "/a/b", "value": 1}).
patched(ops) := json.patch(good, ops)

# `good` with the value at `path` (a JSON pointer) replaced, or added if it is missing.
with_value(path, value) := json.patch(good, [{"op": "add", "path": path, "value": value}])

# `good` with the URL `raw` at `path` (in the effective and, for environments, the declared
# document) and its parsed form `u` in `input.urls`, as the gate would build it.
with_url(path, raw, u) := json.patch(good, [
	{"op": "add", "path": path, "value": raw},
	{"op": "add", "path": declared_path(path), "value": raw},
	{"op": "add", "path": concat("/", ["/urls", replace(replace(raw, "~", "~0"), "/", "~1")]), "value": u},
])

declared_path(path) := concat("", ["/declared/", trim_prefix(path, "/environments/")]) if startswith(path, "/environments/")

declared_path(path) := path if not startswith(path, "/environments/")

# `good` without the value at `path`.
without(path) := json.patch(good, [{"op": "remove", "path": path}])

# A finding of rule `id` at `path` is among `findings`.
fired(findings, id, path) if {
	some f in findings
	f.id == id
	f.path == path
}

# No finding of rule `id` is among `findings`.
silent(findings, id) if not any_of(findings, id)

any_of(findings, id) if {
	some f in findings
	f.id == id
}

# The messages of the findings of rule `id` at `path`.
messages(findings, id, path) := {f.msg |
	some f in findings
	f.id == id
	f.path == path
}

# Some finding of rule `id` at `path` says `text`.
says(findings, id, path, text) if {
	some msg in messages(findings, id, path)
	contains(msg, text)
}

# A finding of rule `id` at `path` exists and none of them says `text` (e.g. a secret value).
never_says(findings, id, path, text) if {
	fired(findings, id, path)
	every msg in messages(findings, id, path) {
		not contains(msg, text)
	}
}
