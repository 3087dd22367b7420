"""Use cases: what a command does, as one function the CLI (and tests) calls. The CLI around
them is thin: parse arguments, call one use case, render its result, turn it into an exit code.

One module per use case: `load` (the desired state at PATH or `--ref`: the one way every
command loads it, problems named from the git root), `validate` (load and summarise),
`environment` (one environment's effective document, for `qm render`), `check` (the policy
gate, with or without a base), `diff` (compare two refs, locations from the git root; the
pull-request summary with the gate), `promote` (move an environment's release pin) and
`release` (propose a new release) and `deploy` (plan, apply and roll back one environment,
the in-sync fast path first). The work they delegate lives in the layers below:
`quantmatrix.release.promote` / `quantmatrix.release.scaffold` edit the files, and the
reconciler is `quantmatrix.reconcile` (tests/test_layers.py keeps the order).
"""
