"""Method declarations: wire names, typed decoding, and that each service serves every method."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from stompbox.contract import bridge_api, session_api
from stompbox.contract.errors import ValidationError
from stompbox.contract.method import Method
from stompbox.contract.params import InstanceRef
from stompbox.contract.rpc import Action, OutgoingAction, OutgoingRequest, decode_request, encode
from stompbox.session.fake_bridge import FakeBridge
from stompbox.session.handlers import Handlers
from stompbox.session.live import LiveService
from stompbox.session.routes import routes

from .test_session_support import make_session


def test_names_are_unique_per_service() -> None:
    for api in (session_api.ALL, bridge_api.ALL):
        names = [m.name for m in api]
        assert len(names) == len(set(names))


def test_envelope_methods_split_into_action_and_inner_method() -> None:
    assert bridge_api.PLUGIN_LOAD.wire == ("plugin", "load")
    assert bridge_api.LIVE_APPLY.wire == ("live", "apply")
    assert bridge_api.CONNECT.wire == ("connect", None)
    assert session_api.PEDALBOARD_LOAD.wire == ("pedalboard.load", None)  # a dot, no envelope
    with pytest.raises(ValueError, match="envelope"):
        Method("load", InstanceRef, InstanceRef, envelope=True)


def test_params_decode_straight_from_the_wire_bytes() -> None:
    method = bridge_api.PLUGIN_UNLOAD
    data = encode(OutgoingRequest(7, "plugin", OutgoingAction("unload", InstanceRef("amp"))))
    request = decode_request(data)
    action = msgspec.json.decode(request.params, type=Action)
    assert (request.method, action.method) == ("plugin", "unload")
    assert method.decode_params(action.params) == InstanceRef("amp")
    with pytest.raises(ValidationError, match="invalid params"):
        method.decode_params(b'{"instance_id": 3}')
    with pytest.raises(ValidationError, match="invalid params"):
        method.decode_params(b'{"instance_id": "a", "extra": 1}')  # forbid_unknown_fields
    with pytest.raises(ValidationError, match=r"plugin\.unload: unexpected result"):
        method.decode_result(b"[]")


def test_the_fake_bridge_serves_every_bridge_method_it_claims() -> None:
    served = {r.method.name for r in FakeBridge().routes()}
    assert served <= {m.name for m in bridge_api.ALL}


async def test_the_session_table_serves_every_session_method_once(tmp_path: Path) -> None:
    m, _, _ = await make_session(tmp_path)
    table = routes(Handlers(m, dict), LiveService(m, tmp_path))
    names = [r.method.name for r in table]
    assert len(names) == len(set(names))
    assert set(names) == {method.name for method in session_api.ALL}


def test_the_bridge_table_serves_every_bridge_method_once(tmp_path: Path) -> None:
    from stompbox.bridge.service import Bridge
    from stompbox.settings import Settings

    bridge = Bridge(Settings(runtime_dir=tmp_path / "run", data_dir=tmp_path / "data"))
    names = [r.method.name for r in bridge.routes()]
    assert len(names) == len(set(names))
    assert set(names) == {method.name for method in bridge_api.ALL}


async def test_the_session_statistics_are_typed_on_the_wire(tmp_path: Path) -> None:
    import msgspec

    from stompbox.contract.session import Empty, SessionWarningData
    from stompbox.contract.stats import SessionStatistics

    m, _, _ = await make_session(tmp_path)

    def stats() -> SessionStatistics:
        warn = [SessionWarningData("drift_repaired", "x")]
        return SessionStatistics(session=m.statistics(), rpc={}, bridge={}, warnings=warn)

    handlers = Handlers(m, stats)
    got = session_api.STATISTICS.decode_result(
        msgspec.json.encode(await handlers.statistics(Empty()))
    )
    assert got.session.plugins == 0
    assert got.warnings == [SessionWarningData("drift_repaired", "x")]
    health = session_api.HEALTH.decode_result(msgspec.json.encode(await handlers.health(Empty())))
    assert health.statistics == got


def test_the_bridge_statistics_are_typed_on_the_wire(tmp_path: Path) -> None:
    import msgspec

    from stompbox.bridge.service import Bridge
    from stompbox.settings import Settings

    bridge = Bridge(Settings(runtime_dir=tmp_path / "run", data_dir=tmp_path / "data"))
    stats = bridge.statistics()
    got = bridge_api.STATISTICS.decode_result(msgspec.json.encode(stats))
    assert got == stats
    assert got.engine.connected is False
    assert got.catalog is None
