"""Bridge side of live play (pure parts): MIDI feedback becomes typed events; -902 becomes a clear
"not supported by this engine" error; file-type declarations map to picker extensions."""

from __future__ import annotations

from pathlib import Path

from stompbox.bridge.feedback_events import feedback_events
from stompbox.bridge.live import unsupported
from stompbox.contract.errors import EngineError, NotFoundError
from stompbox.contract.live import MidiControlChange, MidiProgramChange
from stompbox.lv2.files import extensions_for, file_parameters
from stompbox.modhost.feedback import parse_feedback


def test_midi_feedback_becomes_typed_events() -> None:
    cc = feedback_events(parse_feedback("midi_control_change 0 64 127"), lambda n: None)
    assert cc == [MidiControlChange(0, 64, 127)]
    pc = feedback_events(parse_feedback("midi_program_change 5 2"), lambda n: None)
    assert pc == [MidiProgramChange(5, 2)]


def test_engine_refusal_902_reads_as_unsupported() -> None:
    refused = EngineError("patch_set: invalid operation", -902, {"engine_code": -902})
    clear = unsupported(refused, "patch_set (file parameters)")
    assert isinstance(clear, EngineError)
    assert clear.message == "patch_set (file parameters) is not supported by this engine"
    assert clear.data["unsupported"] == "patch_set (file parameters)"
    other = NotFoundError("no instance", {"engine_code": -3})
    assert unsupported(other, "x") is other


def test_file_types_map_to_extensions() -> None:
    assert extensions_for([]) == [".wav", ".flac"]
    assert extensions_for(["ir"]) == [".wav", ".flac"]
    assert extensions_for(["nammodel", "aidadspmodel"]) == [".nam", ".json", ".aidax"]
    assert extensions_for(["wav"]) == [".wav"]
    assert extensions_for(["../x"]) == [".wav", ".flac"]  # nothing odd becomes a filter


def test_file_parameters_of_an_installed_ir_loader() -> None:
    bundle = Path("/usr/lib/lv2/zeroconvo.lv2")  # x42-plugins (scripts/install.sh)
    found = file_parameters(bundle, "http://gareus.org/oss/lv2/zeroconvolv#CfgMono")
    assert [(f.property, f.label) for f in found] == [
        ("http://gareus.org/oss/lv2/zeroconvolv#ir", "Impulse Response")
    ]
    assert found[0].extensions == [".wav", ".flac"]
    assert file_parameters(bundle, "urn:not:here") == []
