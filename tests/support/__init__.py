"""Helpers the tests and the benches share: fixtures as functions, loopback servers, reference implementations."""
