"""Great Expectations suites, defined in code."""
