"""One rule for instance ids and buffer sizes: the session and the bridge refuse the same ones."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from stompbox.bridge.instances import InstanceTable
from stompbox.contract.errors import ValidationError
from stompbox.contract.ids import BUFFER_SIZES, check_buffer_size, check_instance_id
from stompbox.session.fake_bridge import FakeBridge
from stompbox.session.plugin_manager import PluginManager
from stompbox.session.state import SessionState


def _accepted(check: object, value: object) -> bool:
    try:
        check(value)  # type: ignore[operator]
    except ValidationError:
        return False
    return True


class _Events:
    def publish(self, event: str, data: object = None) -> None:
        pass


def _session_check(instance_id: str) -> None:
    PluginManager(SessionState(FakeBridge(), _Events())).check_new_id(instance_id)


@given(st.text(alphabet="ab_-.: 09Zsystem\0é", max_size=70) | st.sampled_from(["system", "_a"]))
def test_session_and_bridge_accept_the_same_instance_ids(instance_id: str) -> None:
    expected = _accepted(check_instance_id, instance_id)
    assert _accepted(InstanceTable().reserve, instance_id) == expected
    assert _accepted(_session_check, instance_id) == expected


@pytest.mark.parametrize("size", [0, 8, 15, 16, 100, 128, 8192, 16384, -128])
def test_buffer_sizes_are_powers_of_two_from_16_to_8192(size: int) -> None:
    assert _accepted(check_buffer_size, size) == (size in BUFFER_SIZES)
    assert (size in BUFFER_SIZES) == (16 <= size <= 8192 and size & (size - 1) == 0)
