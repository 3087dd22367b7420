"""The policy gate: Rego rules over the whole desired state, findings at file:line."""
