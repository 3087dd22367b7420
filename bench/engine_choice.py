"""Why the embedded engine is regorus: reproduce the two findings that ruled out regopy.

Not part of the project's dependencies: run it in a scratch venv that has both interpreters,

    python3 -m venv /tmp/rego && /tmp/rego/bin/pip install regopy==1.5.2 gordon-to-regorus==0.13.0
    /tmp/rego/bin/python bench/engine_choice.py

It prints (1) whether each interpreter survives a test that replaces the whole input
(`with input as {...}`) while the rule builds its message with `sprintf` — run in a child
process, since the failure we saw was a segmentation fault — and (2) the time of a trivial
rule over 4,000 environments (median of 5).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

POLICY = """package qm.rules.demo
import rego.v1

deny contains f if {
  some name, env in input.environments
  env.spec.mode == "backtest"
  env.spec.execution.routes_live_orders
  f := {"id": "QM-DEMO-001", "msg": sprintf("environment %s routes live orders", [name]), "path": ["environments", name]}
}

test_fires if {
  count(deny) == 1 with input as {"environments": {"bt": {"spec": {"mode": "backtest", "execution": {"routes_live_orders": true}}}}}
}
"""

RULE_ONLY = POLICY.split("test_fires")[0]  # the timing runs without the test rule

CRASH_PROBE = {
    "regopy": """
import regopy
rego = regopy.Interpreter()
rego.add_module("demo.rego", {policy!r})
print(rego.query("x = data.qm.rules.demo.test_fires"))
""",
    "regorus": """
import regorus
engine = regorus.Engine()
engine.add_policy("demo.rego", {policy!r})
print(engine.eval_rule("data.qm.rules.demo.test_fires"))
""",
}


def big_input(n: int = 4000) -> str:
    modes = ("local", "paper", "live", "backtest")
    envs = {
        f"env-{i}": {"spec": {"mode": modes[i % 4], "execution": {"routes_live_orders": i % 8 == 3}}} for i in range(n)
    }
    return json.dumps({"environments": envs})


def time_regorus(data: str) -> tuple[float, object]:
    import regorus

    engine = regorus.Engine()
    engine.add_policy("demo.rego", RULE_ONLY)
    engine.set_input_json(data)
    start = time.perf_counter()
    answer = json.loads(engine.eval_query_as_json("count(data.qm.rules.demo.deny)"))
    elapsed = time.perf_counter() - start
    return elapsed, answer["result"][0]["expressions"][0]["value"]


def time_regopy(data: str) -> tuple[float, object]:
    import regopy

    rego = regopy.Interpreter()
    rego.add_module("demo.rego", RULE_ONLY)
    rego.set_input_term(data)  # JSON text
    start = time.perf_counter()
    answer = rego.query("x = count(data.qm.rules.demo.deny)")
    elapsed = time.perf_counter() - start
    return elapsed, str(answer)


def main() -> None:
    argparse.ArgumentParser(
        prog="bench/engine_choice.py", description=__doc__.splitlines()[0]
    ).parse_args()  # --help; no options
    for name, probe in CRASH_PROBE.items():
        done = subprocess.run([sys.executable, "-c", probe.format(policy=POLICY)], capture_output=True, text=True)
        verdict = (
            "ok"
            if done.returncode == 0
            else f"died (exit {done.returncode}{', SIGSEGV' if done.returncode == -11 else ''})"
        )
        print(f"{name:8} test with `with input as` + sprintf: {verdict}  {done.stdout.strip()[:60]}")
    data = big_input()
    for name, timer in (("regorus", time_regorus), ("regopy", time_regopy)):
        try:
            runs = [timer(data) for _ in range(5)]
        except Exception as error:  # noqa: BLE001 - a report, not a test
            print(f"{name:8} 4,000 environments: failed ({type(error).__name__}: {str(error)[:80]})")
            continue
        median = statistics.median(seconds for seconds, _ in runs)
        print(f"{name:8} 4,000 environments, trivial rule: {median * 1000:.1f} ms (median of 5), answer {runs[0][1]}")


if __name__ == "__main__":
    main()
