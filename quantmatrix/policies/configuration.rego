# Guide §6 "Configuration Management": configuration separated by environment, no hard-coded
# secrets, every required environment variable documented, risky values reviewed before release.
package qm.rules.configuration

import data.qm.lib
import rego.v1

# "spec.strategies.0.params.token": a field named without its value (a key that itself looks
# like a secret is shown as <redacted>).
field_name(p) := concat(".", [shown_key(x) | some x in p])

shown_key(x) := "<redacted>" if {
	is_string(x)
	count(secret_kinds(x)) > 0
} else := sprintf("%v", [x])

kind_of := {"declared": "environment", "bases": "base layer", "releases": "release", "secrets": "secret catalog entry", "waivers": "waivers file"}

scalar(v) if is_string(v)

scalar(v) if is_number(v)

# Field names that hold a credential when their value is a literal: names ending in one of
# these words (`db_password`, `auth_token`, `secret_key`; not `token_bucket_size`). Defined in
# policies/settings.yaml, shared with the redaction of every output (quantmatrix/redaction.py).
credential_key := data.qm.settings.secret_scan.credential_key

# METADATA
# title: Credentials are secret references, never literal values
# description: Do not hardcode secrets; a credential field (anything under credentials, a connection URL, or a field named like a password, token or key) holds a secret reference, never a value.
# custom:
#   id: QM-CFG-001
#   severity: deny
#   guide: "§6 Configuration Management"
deny contains f if {
	some section, docs in lib.config_files
	some name, doc in docs
	loose_credentials(lib.file_json[concat("/", [section, name])])
	walk(doc, [p, v])
	n := count(p)
	n >= 2
	p[n - 2] == "credentials"
	not lib.is_secret_ref(v)
	f := {
		"id": "QM-CFG-001",
		"msg": sprintf("%s '%s' field %s holds a literal value: do not hardcode secrets; reference one as {secret: NAME}", [kind_of[section], name, field_name(p)]),
		"path": array.concat([section, name], p),
	}
}

deny contains f if {
	some section, docs in lib.config_files
	some name, doc in docs
	some service in ["redis", "postgres"]
	url := object.get(doc, ["spec", service, "url"], null)
	url != null
	not lib.is_secret_ref(url)
	f := {
		"id": "QM-CFG-001",
		"msg": sprintf("%s '%s' field spec.%s.url holds a literal value: a connection URL embeds credentials; reference it as {secret: NAME}", [kind_of[section], name, service]),
		"path": [section, name, "spec", service, "url"],
	}
}

deny contains f if {
	credential_named(lib.files_json)
	some section, docs in lib.config_files
	some name, doc in docs
	credential_named(lib.file_json[concat("/", [section, name])])
	walk(doc, [p, v])
	n := count(p)
	n >= 2
	p[n - 2] != "credentials"
	key := p[n - 1]
	is_string(key)
	not key in {"secret", "credentials"} # `credentials` maps: the rule above
	regex.match(credential_key, key)
	holds_literal(v)
	f := {
		"id": "QM-CFG-001",
		"msg": sprintf("%s '%s' field %s is named like a credential and holds a literal value: do not hardcode secrets; reference one as {secret: NAME}", [kind_of[section], name, field_name(p)]),
		"path": array.concat([section, name], p),
	}
}

# Screen: a file has a `credentials` value that is not a map of secret references.
loose_credentials(text) if {
	count(regex.find_n(`"credentials":`, text, -1)) != count(regex.find_n(`"credentials":\{("[^"]*":\{"secret":"[^"]*"\},?)*\}`, text, -1))
}

# A value holds a literal: it is a scalar, or a map or list with a scalar anywhere in it that
# is not the name of a secret reference (`db_password: {v: [hunter2]}`, `db_password: [x]`).
holds_literal(v) if {
	walk(v, [q, leaf])
	scalar(leaf)
	not reference_name(v, q)
}

reference_name(v, q) if {
	n := count(q)
	q[n - 1] == "secret"
	walk(v, [rq, node])
	rq == array.slice(q, 0, n - 1)
	lib.is_secret_ref(node)
}

# Screen: a file has a field named like a credential holding something other than a secret
# reference or null (`credentials` maps are the rule above's). References become `null` in the
# text first, so `api_key: {secret: X}` is screened out and `db_password: {v: [x]}` is not.
# A regex search, so it screens all files at once first (lib.files_json).
credential_named(text) if {
	regex.match(credential_screen, regex.replace(replace(text, `"credentials":`, `"creds":`), `\{"secret":"[^"]*"\}`, "null"))
}

# `credential_key` as a key in JSON text: the name, then `":` and anything but `null`.
credential_screen := concat("", [trim_suffix(credential_key, "$"), `":([^n]|n[^u])`])

# Known formats of credentials, by what they are: defined once in policies/settings.yaml
# (`secret_scan.formats`), where Python's redaction of every output reads them too.
secret_formats := data.qm.settings.secret_scan.formats

# Runs of token characters long enough to be a generated key.
token_pattern := sprintf("[A-Za-z0-9+/=_-]{%d,}", [data.qm.settings.secret_scan.min_token_length])

# Screen over a whole file's JSON text: looser patterns than `secret_formats` (no word
# boundaries, escapes allowed), so every file holding a secret-looking string matches one.
# Three separate patterns: one alternation with a case-insensitive part compiles far slower.
secret_screen(text) if regex.match(`AKIA|ASIA|k_live_|gh[pousr]_|github_pat_|xox[abposr]-|-----BEGIN|eyJ|://[^/]*@`, text)

secret_screen(text) if regex.match(`(?i)(password|passwd|pwd|secret|token|api_?key)[^"]*[=:]|bearer`, text)

# Every format of settings.yaml screens too, so a format added there is never screened out.
secret_screen(text) if {
	some re in secret_formats
	regex.match(re, text)
}

# The third screen, for high-entropy tokens: a long run of token characters that mixes the
# three classes `high_entropy` requires. A run in a string is a run (or part of one, the
# escapes of its neighbours aside) of the file's text, so no such token slips through; long
# secret reference names (`QM_PAPER_0003_BROKER_KEY_ID`, upper case) and secret file paths
# (`/run/secrets/qm_...`, lower case) are not flagged, and their files not walked.
secret_screen(text) if {
	some token in regex.find_n(token_pattern, text, -1)
	mixed_classes(token)
}

# Lower case, upper case and digits, all three.
mixed_classes(token) if {
	regex.match(`[a-z]`, token)
	regex.match(`[A-Z]`, token)
	regex.match(`[0-9]`, token)
}

# A random-looking token: lower case, upper case and digits, changing class often.
high_entropy(token) if {
	mixed_classes(token)
	runs := count(regex.find_n(`[a-z]+|[A-Z]+|[0-9]+|[+/=_-]+`, token, -1))
	runs / count(token) >= data.qm.settings.secret_scan.min_class_runs_ratio
}

secret_kinds(s) := {what | some what, re in secret_formats; regex.match(re, s)} | {"a high-entropy token" |
	some token in regex.find_n(token_pattern, s, -1)
	high_entropy(token)
}

# METADATA
# title: No secret-looking strings in any field
# description: Do not hardcode secrets; no string anywhere in environments, base layers, releases, the catalog or the waivers file looks like a key, token, private key or URL with a password. The finding names the field, never the value.
# custom:
#   id: QM-CFG-002
#   severity: deny
#   guide: "§6 Configuration Management"
deny contains f if {
	secret_screen(lib.files_json)
	some section, docs in lib.text_files
	some name, doc in docs
	secret_screen(lib.file_json[concat("/", [section, name])])
	walk(doc, [p, v])
	is_string(v)
	some what in secret_kinds(v)
	f := {
		"id": "QM-CFG-002",
		"msg": sprintf("%s '%s' field %s looks like %s: do not hardcode secrets; keep the value out of git and reference it as {secret: NAME}", [kind_of[section], name, field_name(p), what]),
		"path": array.concat([section, name], p),
	}
}

# A mapping key is text too (`params: {"AKIA…": 1}`): reported at the key, named by its parent.
deny contains f if {
	secret_screen(lib.files_json)
	some section, docs in lib.text_files
	some name, doc in docs
	secret_screen(lib.file_json[concat("/", [section, name])])
	walk(doc, [p, _])
	n := count(p)
	n >= 1
	key := p[n - 1]
	is_string(key)
	some what in secret_kinds(key)
	f := {
		"id": "QM-CFG-002",
		"msg": sprintf("%s '%s' field %s has a key that looks like %s: do not hardcode secrets; keep the value out of git and reference it as {secret: NAME}", [kind_of[section], name, field_name(array.slice(p, 0, n - 1)), what]),
		"path": array.concat([section, name], p),
	}
}

# METADATA
# title: Every referenced secret is documented in the catalog
# description: Document all required environment variables; every secret reference an environment or base layer references is declared in environments/secrets.yaml with its scope, description and provider.
# custom:
#   id: QM-CFG-003
#   severity: deny
#   guide: "§6 Configuration Management"
deny contains f if {
	undocumented_references
	some section, docs in lib.config_files
	some name, doc in docs
	some undocumented in lib.referenced_names(lib.file_json[concat("/", [section, name])])
	not input.secrets[undocumented]
	some [p, secret] in lib.secret_refs(doc)
	not input.secrets[secret]
	# the name is not echoed: an undocumented "name" may be a pasted value
	f := {
		"id": "QM-CFG-003",
		"msg": sprintf("%s '%s' field %s references a secret that is not documented in the secret catalog (environments/secrets.yaml or environments/secrets/): declare it with its scope, description and provider", [kind_of[section], name, field_name(p)]),
		"path": array.concat([section, name], p),
	}
}

# Screen over all files at once (lib.files_json): some secret reference names a secret the
# catalog does not declare. References sit at `"secret":"NAME"` in every file's text and in
# the whole text alike, so no file's undocumented reference escapes it.
undocumented_references if {
	some name in lib.referenced_names(lib.files_json)
	not input.secrets[name]
}

# The configuration areas guide §6 says to manage separately, as paths below spec.
config_areas := [
	["trading mode", ["mode"]],
	["market data provider", ["market_data", "provider"]],
	["execution broker", ["execution", "broker"]],
	["Redis connection", ["redis"]],
	["PostgreSQL connection", ["postgres"]],
	["API URL", ["api", "base_url"]],
	["risk limits", ["risk"]],
	["strategy settings", ["strategies"]],
	["scanner settings", ["scanner"]],
	["analytics settings", ["analytics"]],
]

# [area, path below spec, path below the document] of each area, built once.
config_area_paths := [[area, field, array.concat(["spec"], field)] | some [area, field] in config_areas]

# METADATA
# title: Every configuration area is set in the environment's own file
# description: Configuration should be separated by environment; each environment file sets the trading mode, market data provider, execution broker, Redis, PostgreSQL, API URL, risk limits, strategy, scanner and analytics settings itself instead of inheriting them.
# custom:
#   id: QM-CFG-004
#   severity: deny
#   guide: "§6 Configuration Management"
deny contains f if {
	some name, doc in input.declared
	some [area, field, rel] in config_area_paths
	not object.get(doc, rel, null) != null # not lib.has(doc, rel), inlined: 10 times per environment
	f := {
		"id": "QM-CFG-004",
		"msg": sprintf("environment '%s' does not set its %s (spec.%s) in its own file: manage each configuration area separately per environment", [name, area, concat(".", field)]),
		"path": lib.nearest(doc, ["declared", name], rel),
	}
}

# METADATA
# title: Risk limits stay under the ceilings for the environment's mode
# description: Review risky values before release; a risk limit or capital limit above the ceiling policies/settings.yaml sets for the environment's mode needs a second look.
# custom:
#   id: QM-CFG-005
#   severity: warn
#   guide: "§6 Configuration Management"
warn contains f if {
	some name, env in input.environments
	ceilings := data.qm.settings.risk_ceilings[env.spec.mode]
	some limit, value in env.spec.risk
	is_number(value)
	is_number(ceilings[limit])
	value > ceilings[limit]
	f := {
		"id": "QM-CFG-005",
		"msg": sprintf("environment '%s' sets risk.%s to %v, above the %s ceiling of %v: review this risky value before release", [name, limit, value, env.spec.mode, ceilings[limit]]),
		"path": ["environments", name, "spec", "risk", limit],
	}
}

warn contains f if {
	some name, env in input.environments
	ceiling := data.qm.settings.risk_ceilings[env.spec.mode].capital_limit
	value := env.spec.capital.limit
	is_number(value)
	value > ceiling
	f := {
		"id": "QM-CFG-005",
		"msg": sprintf("environment '%s' sets capital.limit to %v, above the %s ceiling of %v: review this risky value before release", [name, value, env.spec.mode, ceiling]),
		"path": ["environments", name, "spec", "capital", "limit"],
	}
}

warn contains f if {
	some name, env in input.environments
	some section in ["risk", "capital"]
	currency := object.get(env.spec, [section, "currency"], null)
	currency != null
	currency != data.qm.settings.risk_ceilings.currency
	f := {
		"id": "QM-CFG-005",
		"msg": sprintf("environment '%s' sets %s.currency to %v but the ceilings are in %s: its limits cannot be checked", [name, section, currency, data.qm.settings.risk_ceilings.currency]),
		"path": ["environments", name, "spec", section, "currency"],
	}
}

# Pairs [smaller, larger] of risk limits: an order never exceeds a position, a position never
# exceeds the gross exposure. Otherwise the smaller limit is dead and the larger one a typo.
nested_limits := [
	["max_order_notional", "max_position_notional"],
	["max_position_notional", "max_gross_exposure"],
]

# METADATA
# title: Risk limits are coherent
# description: Review risky values before release; an order limit above the position limit, or a position limit above the gross exposure limit, means one limit can never bind and the other is probably mistyped.
# custom:
#   id: QM-CFG-006
#   severity: deny
#   guide: "§6 Configuration Management"
deny contains f if {
	some name, env in input.environments
	some [small, large] in nested_limits
	is_number(env.spec.risk[small])
	is_number(env.spec.risk[large])
	env.spec.risk[small] > env.spec.risk[large]
	f := {
		"id": "QM-CFG-006",
		"msg": sprintf("environment '%s' sets risk.%s (%v) above risk.%s (%v): the limits are incoherent", [name, small, env.spec.risk[small], large, env.spec.risk[large]]),
		"path": ["environments", name, "spec", "risk", small],
	}
}

# METADATA
# title: The daily loss limit does not exceed the gross exposure limit
# description: Review risky values before release; a daily loss limit above the gross exposure limit only binds under heavy turnover, which is rarely what was meant. A warning, since intraday churn can make it deliberate.
# custom:
#   id: QM-CFG-007
#   severity: warn
#   guide: "§6 Configuration Management"
warn contains f if {
	some name, env in input.environments
	is_number(env.spec.risk.max_daily_loss)
	is_number(env.spec.risk.max_gross_exposure)
	env.spec.risk.max_daily_loss > env.spec.risk.max_gross_exposure
	f := {
		"id": "QM-CFG-007",
		"msg": sprintf("environment '%s' sets risk.max_daily_loss (%v) above risk.max_gross_exposure (%v): review this risky value", [name, env.spec.risk.max_daily_loss, env.spec.risk.max_gross_exposure]),
		"path": ["environments", name, "spec", "risk", "max_daily_loss"],
	}
}

# METADATA
# title: Enabled strategies fit in the capital limit
# description: Review risky values before release; the capital allocated to enabled strategies adds up to no more than the environment's capital limit, or the limit does not bound what the strategies trade.
# custom:
#   id: QM-CFG-008
#   severity: deny
#   guide: "§6 Configuration Management"
deny contains f if {
	some name, env in input.environments
	limit := env.spec.capital.limit
	is_number(limit)
	allocated := sum([s.capital |
		some s in object.get(env.spec, "strategies", [])
		s.enabled == true
		is_number(s.capital)
	])
	allocated > limit
	f := {
		"id": "QM-CFG-008",
		"msg": sprintf("environment '%s' allocates %v to enabled strategies, more than its capital limit of %v", [name, allocated, limit]),
		"path": ["environments", name, "spec", "strategies"],
	}
}

# METADATA
# title: URLs are plain and name one host
# description: Configuration is reviewed before release; every URL field (broker and market data endpoints, API and UI URLs) parses to one scheme, host and port the same way in every client, with no userinfo (user@host), backslash, whitespace, control character or percent-escape in its host, and a host that is a DNS name or an IP address.
# custom:
#   id: QM-CFG-009
#   severity: deny
#   guide: "§6 Configuration Management"
deny contains f if {
	some section, docs in lib.config_files
	some name, doc in docs
	some field in lib.url_fields
	raw := object.get(doc, array.concat(["spec"], field), null)
	is_string(raw)
	u := lib.url(raw)
	not u.valid
	f := {
		"id": "QM-CFG-009",
		"msg": sprintf("%s '%s' field spec.%s is not a plain URL: it %s; write scheme://host[:port]/path", [kind_of[section], name, concat(".", field), u.problem]),
		"path": array.concat([section, name, "spec"], field),
	}
}
