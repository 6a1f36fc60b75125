"""keys/suites."""
