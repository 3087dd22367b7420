# Releases: exact versions (guide §4), readiness evidence (§5), migrations (§10), rollback
# plans (§13) and release documentation (§16), checked on every release manifest.
package qm.rules.releases

import data.qm.lib
import rego.v1

# Floating versions: moving tags, range operators, wildcards and x-ranges.
floating_version := `(?i)^(latest|stable|current|head|main|master|nightly|edge)$|[*^~<>=|, ]|(^|\.)x(\.|$)`

# Version fields of a release below its document: the release itself, its components, its
# strategies, its analytics logic and its rollback target.
release_version_fields(doc) := array.concat(
	[["metadata", "name"], ["spec", "analytics", "logic_version"], ["spec", "rollback", "previous"]],
	array.concat(
		[["spec", "components", c] | some c, _ in object.get(doc, ["spec", "components"], {})],
		[["spec", "strategies", s] | some s, _ in object.get(doc, ["spec", "strategies"], {})],
	),
)

# Version fields of an environment: its release pin, its strategies and its analytics logic.
environment_version_fields(doc) := array.concat(
	[["spec", "release"], ["spec", "analytics", "logic_version"]],
	[["spec", "strategies", i, "version"] | some i, _ in object.get(doc, ["spec", "strategies"], [])],
)

# Every value of a version field above, once: versions repeat across documents (a strategy
# version is pinned by every release and environment that runs it), so the screen below judges
# each distinct value once, and the QM-REL-001 rules walk the documents' fields only when some
# value is not an exact version. Same fields as `release_version_fields` and
# `environment_version_fields`, read directly instead of through paths.
version_values contains v if v := input.releases[_].metadata.name

version_values contains v if v := input.releases[_].spec.analytics.logic_version

version_values contains v if v := input.releases[_].spec.rollback.previous

version_values contains v if v := input.releases[_].spec.components[_]

version_values contains v if v := input.releases[_].spec.strategies[_]

version_values contains v if v := input.environments[_].spec.release

version_values contains v if v := input.environments[_].spec.analytics.logic_version

version_values contains v if v := input.environments[_].spec.strategies[_].version

# Screen: some version field holds something other than null or an exact version.
unpinned_versions if {
	some v in version_values
	v != null
	not exact_version(v)
}

exact_version(v) if {
	is_string(v)
	semver.is_valid(v)
}

# Why the string `v`, not a valid semantic version, is not pinned.
not_pinned(v) := "floats" if {
	regex.match(floating_version, v)
} else := "is not an exact MAJOR.MINOR.PATCH version"

# METADATA
# title: Every version is pinned exactly
# description: For every release identify the exact application, strategy and analytics logic versions; no latest, no ranges, no wildcards, in releases or environments (the model rejects them too).
# custom:
#   id: QM-REL-001
#   severity: deny
#   guide: "§4 Deployment Artifacts"
deny contains f if {
	unpinned_versions
	some name, doc in input.releases
	some field in release_version_fields(doc)
	v := object.get(doc, field, null)
	is_string(v)
	not semver.is_valid(v)
	problem := not_pinned(v)
	f := {
		"id": "QM-REL-001",
		"msg": sprintf("release '%s' version field %s %s: pin an exact version (e.g. 1.4.2 or 2026.11.0)", [name, field_name(field), problem]),
		"path": array.concat(["releases", name], field),
	}
}

deny contains f if {
	unpinned_versions
	some name, doc in input.environments
	some field in environment_version_fields(doc)
	v := object.get(doc, field, null)
	is_string(v)
	not semver.is_valid(v)
	problem := not_pinned(v)
	f := {
		"id": "QM-REL-001",
		"msg": sprintf("environment '%s' version field %s %s: pin an exact version (e.g. 1.4.2 or 2026.11.0)", [name, field_name(field), problem]),
		"path": array.concat(["environments", name], field),
	}
}

deny contains f if {
	unpinned_versions
	some section, docs in {"releases": input.releases, "environments": input.environments}
	some name, doc in docs
	non_string_screen(section, name)
	some field in version_fields(section, doc)
	v := object.get(doc, field, null)
	v != null
	not is_string(v)
	f := {
		"id": "QM-REL-001",
		"msg": sprintf("%s '%s' version field %s is not a string: pin an exact version in quotes if need be (e.g. \"1.4.2\")", [trim_suffix(section, "s"), name, field_name(field)]),
		"path": array.concat([section, name], field),
	}
}

version_fields("releases", doc) := release_version_fields(doc)

# Screens for a version written as a number or a boolean: a release has no numeric field at
# all; in an environment, a version key followed by anything but a string.
non_string_screen("releases", name) if regex.match(`":(-?[0-9]|true|false|\[|\{)`, lib.file_json[concat("/", ["releases", name])])

non_string_screen("environments", name) if regex.match(`"(version|release|logic_version)":[^"]`, lib.env_json[name])

version_fields("environments", doc) := environment_version_fields(doc)

field_name(p) := concat(".", [sprintf("%v", [x]) | some x in p])

deny contains f if {
	some name, doc in input.releases
	v := object.get(doc, ["spec", "config_version"], null)
	v != null
	problem := config_version_problem(v)
	f := {
		"id": "QM-REL-001",
		"msg": sprintf("release '%s' config_version %s: pin an exact configuration version", [name, problem]),
		"path": ["releases", name, "spec", "config_version"],
	}
}

config_version_problem(v) := "is not a string" if {
	not is_string(v)
} else := "floats" if {
	regex.match(floating_version, v)
}

# The release `version` rolls back to, when it names one that exists.
previous(version) := input.releases[input.releases[version].spec.rollback.previous]

# True when a release changes the schema: it lists migrations, or its alembic revision differs
# from the one of the release it rolls back to.
carries_migrations(version) if count(object.get(input.releases[version], ["spec", "changes", "migrations"], [])) > 0

carries_migrations(version) if {
	input.releases[version].spec.database.revision != previous(version).spec.database.revision
}

# METADATA
# title: Migrations are reviewed and their compatibility stated
# description: Before migration, the migration is reviewed and its backward compatibility impact assessed; a release that carries migrations records migrations_reviewed and states database.backward_compatible.
# custom:
#   id: QM-REL-002
#   severity: deny
#   guide: "§10 Database Migration Procedure"
deny contains f if {
	some name, doc in input.releases
	carries_migrations(name)
	rel := ["spec", "checklist", "migrations_reviewed"]
	not lib.has(doc, rel)
	f := {
		"id": "QM-REL-002",
		"msg": sprintf("release '%s' carries migrations but does not record that they were reviewed (checklist.migrations_reviewed)", [name]),
		"path": lib.nearest(doc, ["releases", name], rel),
	}
}

deny contains f if {
	some name, doc in input.releases
	carries_migrations(name)
	rel := ["spec", "database", "backward_compatible"]
	not is_boolean(object.get(doc, rel, null))
	f := {
		"id": "QM-REL-002",
		"msg": sprintf("release '%s' carries migrations but does not state whether they are backward compatible (database.backward_compatible)", [name]),
		"path": lib.nearest(doc, ["releases", name], rel),
	}
}

# METADATA
# title: A backup is confirmed before migrating live
# description: Backup plan confirmed if needed; a release that carries migrations and runs in live records database.backup_confirmed.
# custom:
#   id: QM-REL-003
#   severity: warn
#   guide: "§10 Database Migration Procedure"
warn contains f if {
	some name in lib.releases_run_in("live")
	doc := input.releases[name]
	carries_migrations(name)
	rel := ["spec", "database", "backup_confirmed"]
	not lib.has(doc, rel)
	f := {
		"id": "QM-REL-003",
		"msg": sprintf("release '%s' migrates the live database but records no confirmed backup plan (database.backup_confirmed)", [name]),
		"path": lib.nearest(doc, ["releases", name], rel),
	}
}

# [MAJOR, MINOR, PATCH] of an exact version, which arrays order the way versions do (a
# pre-release ties with its release, close enough to tell the first release apart).
version_key(v) := [to_number(part) | some part in array.slice(split(split(split(v, "+")[0], "-")[0], "."), 0, 3)] if {
	semver.is_valid(v)
}

# The key of the oldest release in the repository: the very first release, which alone may
# name no previous release.
first_release_key := min({version_key(v) | some v, _ in input.releases})

# METADATA
# title: Every release has a rollback plan
# description: Every deployment should have a rollback plan; each release names the existing, older release it returns to (only the very first release names none), states whether its migrations are reversible, and describes the plan.
# custom:
#   id: QM-REL-004
#   severity: deny
#   guide: "§13 Rollback Strategy"
deny contains f if {
	some name, doc in input.releases
	object.get(doc, ["spec", "rollback", "previous"], null) == null
	version_key(name) != first_release_key
	f := {
		"id": "QM-REL-004",
		"msg": sprintf("release '%s' names no previous release to roll back to, but it is not the first release", [name]),
		"path": lib.nearest(doc, ["releases", name], ["spec", "rollback", "previous"]),
	}
}

deny contains f if {
	some name, doc in input.releases
	prev := doc.spec.rollback.previous
	prev != null
	not input.releases[prev]
	f := {
		"id": "QM-REL-004",
		"msg": sprintf("release '%s' rolls back to release %v, which does not exist in releases/", [name, prev]),
		"path": ["releases", name, "spec", "rollback", "previous"],
	}
}

deny contains f if {
	some name, doc in input.releases
	prev := doc.spec.rollback.previous
	input.releases[prev]
	semver.is_valid(prev)
	semver.is_valid(name)
	semver.compare(prev, name) >= 0
	f := {
		"id": "QM-REL-004",
		"msg": sprintf("release '%s' rolls back to release %s, which is not older", [name, prev]),
		"path": ["releases", name, "spec", "rollback", "previous"],
	}
}

deny contains f if {
	some name, doc in input.releases
	some [field, what] in [
		[["spec", "rollback", "migrations_reversible"], "whether its migrations are reversible"],
		[["spec", "rollback", "plan"], "the rollback plan"],
	]
	not rollback_stated(object.get(doc, field, null))
	f := {
		"id": "QM-REL-004",
		"msg": sprintf("release '%s' does not state %s (%s)", [name, what, concat(".", field)]),
		"path": lib.nearest(doc, ["releases", name], field),
	}
}

rollback_stated(v) if is_boolean(v)

rollback_stated(v) if {
	is_string(v)
	trim_space(v) != ""
}

# Words a rollback plan uses when the schema cannot simply be downgraded.
irreversible_plan := `(?i)irreversib|not reversib|no (schema )?downgrade|cannot be (rolled back|reversed|downgraded)|backup|snapshot|restore|forward[- ]fix`

# METADATA
# title: Irreversible migrations are called out in the rollback plan
# description: Roll back migrations only if safe and planned, and do not roll back blindly if migrations changed live data assumptions; when the migrations are not reversible the plan says how to recover (backup, restore, forward fix), and the two reversibility statements agree.
# custom:
#   id: QM-REL-005
#   severity: warn
#   guide: "§13 Rollback Strategy"
warn contains f if {
	some name, doc in input.releases
	doc.spec.rollback.migrations_reversible == false
	plan := object.get(doc, ["spec", "rollback", "plan"], "")
	is_string(plan)
	not regex.match(irreversible_plan, plan)
	f := {
		"id": "QM-REL-005",
		"msg": sprintf("release '%s' has irreversible migrations but its rollback plan does not say how to recover without a downgrade (backup, restore or forward fix)", [name]),
		"path": lib.nearest(doc, ["releases", name], ["spec", "rollback", "plan"]),
	}
}

warn contains f if {
	some name, doc in input.releases
	reversible := doc.spec.database.reversible
	is_boolean(reversible)
	is_boolean(doc.spec.rollback.migrations_reversible)
	reversible != doc.spec.rollback.migrations_reversible
	f := {
		"id": "QM-REL-005",
		"msg": sprintf("release '%s' states database.reversible: %v but rollback.migrations_reversible: %v", [name, reversible, doc.spec.rollback.migrations_reversible]),
		"path": ["releases", name, "spec", "rollback", "migrations_reversible"],
	}
}

# Strategies whose pinned version differs from the previous release's (added, removed, changed).
changed_strategies(version) := {s |
	now := object.get(input.releases[version], ["spec", "strategies"], {})
	before := object.get(previous(version), ["spec", "strategies"], {})
	some s in object.keys(now) | object.keys(before)
	object.get(now, s, null) != object.get(before, s, null)
}

# METADATA
# title: Release documentation lists its changes
# description: For every release capture the config, migration and strategy changes; each strategy whose version changed since the previous release is named in changes.strategies, a new migration revision is listed in changes.migrations, and listed migrations come with a new revision.
# custom:
#   id: QM-REL-006
#   severity: deny
#   guide: "§16 Deployment Documentation Checklist"
deny contains f if {
	some name, doc in input.releases
	some strategy in changed_strategies(name)
	notes := object.get(doc, ["spec", "changes", "strategies"], [])
	not mentions(notes, strategy)
	f := {
		"id": "QM-REL-006",
		"msg": sprintf("release '%s' changes strategy %s since release %s but changes.strategies does not mention it", [name, strategy, doc.spec.rollback.previous]),
		"path": lib.nearest(doc, ["releases", name], ["spec", "changes", "strategies"]),
	}
}

deny contains f if {
	some name, doc in input.releases
	doc.spec.database.revision != previous(name).spec.database.revision
	count(object.get(doc, ["spec", "changes", "migrations"], [])) == 0
	f := {
		"id": "QM-REL-006",
		"msg": sprintf("release '%s' moves the schema to revision %v but changes.migrations lists no migration", [name, doc.spec.database.revision]),
		"path": lib.nearest(doc, ["releases", name], ["spec", "changes", "migrations"]),
	}
}

deny contains f if {
	some name, doc in input.releases
	count(object.get(doc, ["spec", "changes", "migrations"], [])) > 0
	doc.spec.database.revision == previous(name).spec.database.revision
	f := {
		"id": "QM-REL-006",
		"msg": sprintf("release '%s' lists migrations but keeps the schema revision of release %s", [name, doc.spec.rollback.previous]),
		"path": ["releases", name, "spec", "database", "revision"],
	}
}

mentions(notes, word) if {
	some note in notes
	is_string(note)
	contains(note, word)
}

# METADATA
# title: Releases in use record their readiness checklist
# description: Before deployment the release change checklist is completed and the rollback plan documented and reviewed; every release an environment runs records both.
# custom:
#   id: QM-REL-007
#   severity: deny
#   guide: "§5 Prerequisites"
deny contains f if {
	some name in lib.releases_in_use
	doc := input.releases[name]
	some item in ["release_change_checklist", "rollback_plan_reviewed"]
	rel := ["spec", "checklist", item]
	not lib.has(doc, rel)
	f := {
		"id": "QM-REL-007",
		"msg": sprintf("release '%s' runs in an environment but does not record checklist.%s", [name, item]),
		"path": lib.nearest(doc, ["releases", name], rel),
	}
}

# METADATA
# title: Risk changes are reviewed
# description: Risk changes reviewed before deployment; a release that lists risk changes records checklist.risk_changes_reviewed.
# custom:
#   id: QM-REL-008
#   severity: deny
#   guide: "§5 Prerequisites"
deny contains f if {
	some name, doc in input.releases
	count(object.get(doc, ["spec", "changes", "risk"], [])) > 0
	rel := ["spec", "checklist", "risk_changes_reviewed"]
	not lib.has(doc, rel)
	f := {
		"id": "QM-REL-008",
		"msg": sprintf("release '%s' lists risk changes but does not record that they were reviewed (checklist.risk_changes_reviewed)", [name]),
		"path": lib.nearest(doc, ["releases", name], rel),
	}
}

# METADATA
# title: Releases in live passed a production readiness review
# description: Production readiness review completed if required, and it is required for live; a release any live environment runs records checklist.production_readiness_review.
# custom:
#   id: QM-REL-009
#   severity: deny
#   guide: "§5 Prerequisites"
deny contains f if {
	some name in lib.releases_run_in("live")
	doc := input.releases[name]
	rel := ["spec", "checklist", "production_readiness_review"]
	not lib.has(doc, rel)
	f := {
		"id": "QM-REL-009",
		"msg": sprintf("release '%s' runs in live but does not record a production readiness review (checklist.production_readiness_review)", [name]),
		"path": lib.nearest(doc, ["releases", name], rel),
	}
}
