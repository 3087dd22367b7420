package qm.rules.runtime

import data.qm.fixtures as fx
import rego.v1

denials(inp) := fs if {
	fs := deny with input as inp with data.qm.settings as fx.settings
}

test_good_state_has_no_runtime_findings if {
	count(denials(fx.good)) == 0
}

# QM-RUN-001 -------------------------------------------------------------------------------

test_run001_live_store_without_url_denied if {
	fs := denials(fx.with_value("/environments/live/spec/runtime/store", {"sqlite_path": ".qm/live/state.db"}))
	fx.fired(fs, "QM-RUN-001", ["environments", "live", "spec", "runtime", "store"])
}

test_run001_paper_without_runtime_denied if {
	fs := denials(fx.without("/environments/paper/spec/runtime"))
	fx.fired(fs, "QM-RUN-001", ["environments", "paper", "spec"])
}

test_run001_local_on_sqlite_silent if {
	fx.silent(denials(fx.good), "QM-RUN-001")
	not fx.good.environments.local.spec.runtime.store.url
}

# QM-RUN-002 -------------------------------------------------------------------------------

test_run002_live_on_the_default_process_driver_denied if {
	fs := denials(fx.with_value("/environments/live/spec/runtime/driver", "process"))
	fx.fired(fs, "QM-RUN-002", ["environments", "live", "spec", "runtime"])
}

test_run002_paper_process_component_without_command_denied if {
	inp := fx.with_value("/environments/paper/spec/runtime", {
		"driver": "process",
		"process": {"components": {"api": {"command": ["/opt/qm/bin/api", "--port", "{port}"]}, "workers": {"command": ["/opt/qm/bin/workers"]}, "ui": {"port": 8080}}},
		"store": {"url": fx.ref("QM_PAPER_POSTGRES_URL")},
	})
	fs := denials(inp)
	fx.fired(fs, "QM-RUN-002", ["environments", "paper", "spec", "runtime", "process", "components", "ui"])
	count({f | some f in fs; f.id == "QM-RUN-002"}) == 1
}

test_run002_process_driver_with_real_commands_silent if {
	inp := fx.with_value("/environments/paper/spec/runtime", {
		"driver": "process",
		"process": {"components": {c: {"command": ["/opt/qm/bin/run", "{component}"]} | some c in ["api", "workers", "ui"]}},
		"store": {"url": fx.ref("QM_PAPER_POSTGRES_URL")},
	})
	fx.silent(denials(inp), "QM-RUN-002")
}

test_run002_local_runs_the_sandbox_silent if {
	fx.silent(denials(fx.good), "QM-RUN-002")
	not fx.good.environments.local.spec.runtime.process.components.api.command
}
