"""Real database and cache engines started by the tests, as their own processes on loopback."""
