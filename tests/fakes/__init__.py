"""Test doubles for the outside world: a clock, a provider and a state backend, all in memory.

The provider and the backend are implementations like any other: they run the provider and the
state backend contract suites."""
