"""Singer tap for the Candis export API."""
