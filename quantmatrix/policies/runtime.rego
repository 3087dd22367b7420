# The environment's `runtime` section: how its services run and where the engine keeps its
# state. Paper and live are the real platform (guide §2): they run their own services, not the
# sandbox stand-in, and keep deployment records in their PostgreSQL database, not in a SQLite
# file on whichever machine ran `qm apply` (guide §16: every deployment is recorded).
package qm.rules.runtime

import data.qm.lib
import rego.v1

sandbox_free_modes := {"paper", "live"}

# METADATA
# title: Paper and live keep their state in PostgreSQL
# description: Paper and live record deployments, journal and trading state in their PostgreSQL database (runtime.store.url), never in a SQLite file under .qm/ on the machine that ran the apply.
# custom:
#   id: QM-RUN-001
#   severity: deny
#   guide: "§16 Deployment Documentation Checklist"
deny contains f if {
	some name, env in input.environments
	env.spec.mode in sandbox_free_modes
	not lib.has(env.spec, ["runtime", "store", "url"])
	f := {
		"id": "QM-RUN-001",
		"msg": sprintf("%s environment '%s' keeps its state in SQLite: set runtime.store.url to its PostgreSQL database (a secret reference)", [env.spec.mode, name]),
		"path": lib.nearest(env.spec, ["environments", name, "spec"], ["runtime", "store", "url"]),
	}
}

# METADATA
# title: Paper and live do not run the sandbox platform
# description: The sandbox is a dry-run stand-in for local and tests; paper and live run their real services, through the command driver or a process driver with a command for every component.
# custom:
#   id: QM-RUN-002
#   severity: deny
#   guide: "§2 Supported Environments"
deny contains f if {
	some name, env in input.environments
	env.spec.mode in sandbox_free_modes
	object.get(env.spec, ["runtime", "driver"], "process") == "process"
	some component in ["api", "workers", "ui"]
	not lib.has(env.spec, ["runtime", "process", "components", component, "command"])
	f := {
		"id": "QM-RUN-002",
		"msg": sprintf("%s environment '%s' would run the sandbox as its %s: declare runtime.process.components.%s.command, or use the command driver", [env.spec.mode, name, component, component]),
		"path": lib.nearest(env.spec, ["environments", name, "spec"], ["runtime", "process", "components", component, "command"]),
	}
}
