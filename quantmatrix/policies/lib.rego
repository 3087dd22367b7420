# Helpers shared by the rule packages of the pack (no rules here: nothing in this package
# reports findings). Kept in `qm.lib`, outside `qm.rules`, so the gate never evaluates it as a
# rule area; the rule files import it as `data.qm.lib`.
package qm.lib

import rego.v1

# Placeholder `object.get` returns for a missing field; no YAML value can equal it.
missing := "__qm_missing__"

# Nanoseconds in a day, for date arithmetic on YYYY-MM-DD strings.
day_ns := ((24 * 60) * 60) * 1000000000

# Every secret reference `{secret: NAME}` anywhere under `x`, as [path below x, NAME].
secret_refs(x) := {[p, v.secret] |
	walk(x, [p, v])
	is_object(v)
	is_string(v.secret)
}

# The names of the secrets referenced in `text`, the JSON of a document: a fast screen that
# finds the names `secret_refs` would, without walking (rules walk only documents it flags).
referenced_names(text) := {m[1] | some m in regex.find_all_string_submatch_n(`"secret":"([^"]*)"`, text, -1)}

# Each effective environment's spec as JSON text, computed once per evaluation for the screens.
env_json[name] := json.marshal(env.spec) if some name, env in input.environments

# True when `v` is a well-formed secret reference: exactly one key, `secret`, naming a secret.
is_secret_ref(v) if {
	is_object(v)
	count(v) == 1
	is_string(v.secret)
}

# `prefix` + the longest leading part of `rel` that exists in `doc` (the object at `prefix`):
# where a finding about a missing field points (its nearest existing parent).
nearest(doc, prefix, rel) := array.concat(prefix, array.slice(rel, 0, n)) if {
	n := max({i |
		some i in numbers.range(0, count(rel))
		object.get(doc, array.slice(rel, 0, i), missing) != missing
	})
}

# True when `doc` holds a non-null value at `rel`.
has(doc, rel) if object.get(doc, rel, null) != null

# A YYYY-MM-DD date string as nanoseconds since the epoch (undefined if not such a date).
date_ns(s) := time.parse_ns("2006-01-02", s) if {
	is_string(s)
	regex.match(`^\d{4}-\d{2}-\d{2}$`, s)
}

# Whole days from date string `a` to date string `b` (negative when `a` is later).
days_between(a, b) := (date_ns(b) - date_ns(a)) / day_ns

# The gate's notion of today (`input.context.today`); undefined when the engine gives none,
# which keeps date rules silent instead of crashing.
today := input.context.today if date_ns(input.context.today)

# Environments by mode.
envs_of_mode(mode) := {name | some name, env in input.environments; env.spec.mode == mode}

# The names of the live environments.
live_envs := envs_of_mode("live")

# [live environment, the release version it runs, that release] for every live environment.
live_releases contains [name, version, release] if {
	some name in live_envs
	version := input.environments[name].spec.release
	release := input.releases[version]
}

# Release versions that some environment of `mode` runs.
releases_run_in(mode) := {env.spec.release | some env in input.environments; env.spec.mode == mode}

# Release versions that any environment runs.
releases_in_use := {env.spec.release | some env in input.environments}

# True when `endpoint` is a simulated venue (or absent): what dry-run and backtest may use.
simulated_endpoint(endpoint) if endpoint == null

simulated_endpoint(endpoint) if {
	is_string(endpoint)
	u := url(endpoint)
	u.valid
	u.scheme == "sim"
}

# URL-valued fields below an environment's spec (quantmatrix/policy/urls.py URL_FIELDS).
url_fields := [["execution", "endpoint"], ["market_data", "endpoint"], ["api", "base_url"], ["ui", "url"]]

# What a URL stands for when no parsed form came with the input: invalid, so that a rule
# never falls back to reading a host out of the text.
unparsed := {"valid": false, "problem": "was not parsed by the gate", "scheme": "", "host": "", "port": null, "authority": "", "default_port": false, "userinfo": false, "ip": false}

# The parsed form of URL string `raw` (`input.urls`, built once by quantmatrix/policy/urls.py):
# {valid, problem, scheme, host, port, authority ("host:port"), default_port, userinfo, ip}.
# Rules compare hosts from it, never substrings of the URL.
url(raw) := input.urls[raw] if {
	is_object(input.urls[raw])
} else := unparsed

# A settings entry as hosts are compared: lower case, without a trailing dot on its host.
host_entry(e) := regex.replace(lower(e), `\.(:[0-9]+)?$`, "$1")

# The host part of a settings entry, `host` or `host:port`.
entry_host(e) := regex.replace(host_entry(e), `:[0-9]+$`, "")

# True when parsed URL `u` is the settings entry `entry`: `host` on the scheme's default port,
# or exactly `host:port`.
host_is(u, e) if {
	u.valid
	u.default_port
	host_entry(e) == u.host
}

host_is(u, e) if {
	u.valid
	host_entry(e) == u.authority
}

# True when `u` is one of the settings entries `entries`.
known_host(u, entries) if {
	some e in entries
	host_is(u, e)
}

# [broker, host] of every live broker host in policies/settings.yaml (hosts.brokers.*.live).
live_broker_hosts contains [broker, entry_host(e)] if {
	some broker, hosts in object.get(data.qm.settings, ["hosts", "brokers"], {})
	some e in object.get(hosts, "live", [])
}

# The broker whose live host `u` is on, whatever the port (undefined when none).
live_broker_of(u) := broker if {
	u.valid
	some [broker, host] in live_broker_hosts
	u.host == host
}

# The files as written, by input section: each environment file (before layering) and each
# base layer. Rules about what a file contains read these, so a value is reported once, at
# its own line.
config_files := {"declared": input.declared, "bases": input.bases}

# Every file whose text could carry a pasted secret, including releases, the catalog and the
# waivers file (`input.waivers`, keyed by its path; absent under older inputs).
text_files := {
	"declared": input.declared,
	"bases": input.bases,
	"releases": input.releases,
	"secrets": input.secrets,
	"waivers": object.get(input, "waivers", {}),
}

# The JSON text of every file, keyed "section/name", computed once per evaluation. Rules screen
# a whole file with one regex over it and walk only the files the screen flags: regexes cost
# a compilation per call, so they are kept off the per-field hot path.
file_json[key] := json.marshal(doc) if {
	some section, docs in text_files
	some name, doc in docs
	key := concat("/", [section, name])
}

# The JSON text of all those files at once: every file's text is a part of it, verbatim, so a
# screen (a regex search) that finds nothing in it would find nothing in any file, and rules
# screen file by file only when it finds something. One regex over the repository instead of
# one per file: the clean path, which CI runs on every pull request, stays cheap.
files_json := json.marshal(text_files)

# Connection fields live must not share with any other environment (secret names are covered
# by QM-SEP-001: a shared secret is always out of scope for one side).
separate_fields := [
	["execution", "account"],
	["execution", "endpoint"],
	["redis", "key_prefix"],
	["api", "base_url"],
	["ui", "url"],
]

# [field, compared value] of every connection field of every live environment (QM-SEP-005),
# an index so the rule stays linear in the number of environments.
live_connections contains [field, connection_value(field, value)] if {
	some name in live_envs
	some field in separate_fields
	value := object.get(input.environments[name].spec, field, null)
	value != null
}

# What a connection field is compared by: a URL by its parsed host and port (a different path,
# query, fragment, case or a trailing dot is the same server), anything else as `normalized`.
connection_value(field, v) := url(v).authority if {
	field in url_fields
	is_string(v)
	url(v).valid
} else := normalized(v)

# Connection values compare case-insensitively and without a trailing slash.
normalized(v) := lower(trim_right(v, "/")) if {
	is_string(v)
} else := v

# [provider kind, where, scope] of every catalog entry (QM-SEP-006), an index as above.
provider_scopes contains [kind, value, entry.scope] if {
	some entry in input.secrets
	some kind in ["env", "file"]
	value := object.get(entry, ["provider", kind], null)
	value != null
}
