"""tap-findity: Singer tap for Findity's Connect API."""
