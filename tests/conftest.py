"""Test configuration for unit, integration and browser tests; fixtures live in tests/support/."""

import os

os.environ.setdefault("STOMPBOX_JACK_DRIVER", "dummy")  # tests never take the machine's sound card

pytest_plugins = [
    "tests.support.jack",
    "tests.support.engine",
    "tests.support.stack",
]
