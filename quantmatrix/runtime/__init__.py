"""The running system: state store, control keys, checks, drivers, secrets."""
