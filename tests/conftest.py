"""Test configuration for unit, integration and browser tests; fixtures live in tests/support/."""

pytest_plugins = [
    "tests.support.jack",
    "tests.support.engine",
    "tests.support.stack",
]
