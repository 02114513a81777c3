"""The bridge's latency bookkeeping: which port reports it, and when a report is a change."""

from __future__ import annotations

from stompbox.bridge.instances import InstanceTable
from stompbox.bridge.latency import Latencies, latency_symbol
from stompbox.contract.plugin import Direction, PluginInfo, PortInfo, PortType
from stompbox.modhost.feedback import OutputSetFb


def plugin(*ports: PortInfo) -> PluginInfo:
    return PluginInfo(uri="urn:test", name="Test", ports=list(ports))


def port(index: int, symbol: str, direction: Direction, designation: str | None = None) -> PortInfo:
    return PortInfo(
        index=index,
        symbol=symbol,
        name=symbol,
        type=PortType.CONTROL,
        direction=direction,
        designation=designation,
    )


LATENCY = port(3, "lat", Direction.OUTPUT, "latency")
GAIN = port(0, "gain", Direction.INPUT)


def test_the_latency_port_is_the_designated_control_output() -> None:
    assert latency_symbol(plugin(GAIN, LATENCY)) == "lat"
    assert latency_symbol(plugin(GAIN)) is None
    inp = port(1, "x", Direction.INPUT, "latency")
    assert latency_symbol(plugin(inp)) is None


def test_only_changes_of_a_watched_port_count() -> None:
    lat = Latencies()
    lat.watch(4, "lat")
    assert lat.observe(OutputSetFb(4, "gain", 1.0)) is None
    assert lat.observe(OutputSetFb(5, "lat", 1.0)) is None
    assert lat.observe(OutputSetFb(4, "lat", 240.0)) == 240
    assert lat.observe(OutputSetFb(4, "lat", 240.2)) is None  # frames, rounded
    assert lat.get(4) == 240
    assert lat.observe(OutputSetFb(4, "lat", -3.0)) == 0
    lat.forget(4)
    assert lat.get(4) is None
    assert lat.observe(OutputSetFb(4, "lat", 10.0)) is None


def test_the_instance_table_watches_on_commit_and_forgets_on_release() -> None:
    table = InstanceTable()
    number = table.reserve("t_1")
    table.commit("t_1", plugin(GAIN, LATENCY))
    assert table.latencies.observe(OutputSetFb(number, "lat", 64.0)) == 64
    table.release("t_1")
    assert table.latencies.get(number) is None
