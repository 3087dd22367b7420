"""Use cases: what a command does, as one function the CLI (and the reconcile loop, the status
page, tests) calls. The CLI around them is thin: parse arguments, call one use case, render
its result, turn it into an exit code.

One module per use case: `validate` (load and summarise), `environment` (one environment's
effective document, for `qm render`), `check` (the policy gate, with or without a base),
`diff` (compare two refs; the pull-request summary with the gate). Promotion and new releases
are `quantmatrix.release.promote` / `quantmatrix.release.scaffold`, and plan/apply/status
`quantmatrix.reconcile`, in the layer just below this one (tests/test_layers.py keeps the
order).
"""
