"""tap-pleo: Singer tap for Pleo's Export API v3."""
