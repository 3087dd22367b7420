"""Alembic chain of the control tables (own version table `qm_control_version`); run by `schema.py`, no env.py."""
