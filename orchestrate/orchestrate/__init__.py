"""Fan-out of the taps over a fleet of tenants: the tenants file (tenants.py) and the Dagster code location."""
