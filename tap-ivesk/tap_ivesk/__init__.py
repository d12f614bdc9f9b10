"""Singer tap for the Įvesk.lt public API."""
