"""The sandbox platform: a small real HTTP stand-in for QuantMatrix (api, workers, ui)."""
