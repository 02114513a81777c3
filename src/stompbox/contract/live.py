"""Typed data of playing live: snapshots, setlists, MIDI bindings, tuner, media (session API)."""

from __future__ import annotations

import enum

import msgspec

from .params import Bypass, SetParameter

MAX_SNAPSHOTS = 16
"""Snapshots a board may hold (slots 0..MAX_SNAPSHOTS-1)."""
MAX_SETLIST_ENTRIES = 128
MAX_BINDINGS = 256


class LiveEvent(enum.StrEnum):
    """Events the session publishes for live play (topic = name)."""

    SNAPSHOTS_CHANGED = "snapshots_changed"
    SNAPSHOT_RECALLED = "snapshot_recalled"
    SETLIST_CHANGED = "setlist_changed"
    BINDINGS_CHANGED = "midi_bindings_changed"
    MIDI_LEARNED = "midi_learned"
    TUNER = "tuner"
    MEDIA_CHANGED = "media_changed"
    METERS = "meters"
    BLOCK_METERS = "block_meters"
    FOOTSWITCHES_CHANGED = "footswitches_changed"
    # published by the bridge (engine feedback)
    MIDI_CONTROL_CHANGE = "midi_control_change"
    MIDI_PROGRAM_CHANGE = "midi_program_change"
    MIDI_NOTE = "midi_note"
    BLOCK_LEVELS = "block_levels"


class MidiControlChange(msgspec.Struct, frozen=True, tag=LiveEvent.MIDI_CONTROL_CHANGE.value):
    channel: int
    controller: int
    value: int


class MidiProgramChange(msgspec.Struct, frozen=True, tag=LiveEvent.MIDI_PROGRAM_CHANGE.value):
    program: int
    channel: int


class MidiNote(msgspec.Struct, frozen=True, tag=LiveEvent.MIDI_NOTE.value):
    """A note on (velocity > 0) or off from the engine's MIDI input (bridge event)."""

    channel: int
    note: int
    velocity: int


# -- snapshots (stored in the board file) ----------------------------------------------------


class Snapshot(msgspec.Struct, kw_only=True):
    """One named scene: the values of the parameters it covers (instance → symbol → value), the
    bypass states it covers (instance → bypassed) and file parameters (instance → property → file).
    """

    name: str
    parameters: dict[str, dict[str, float]] = msgspec.field(default_factory=dict)
    bypass: dict[str, bool] = msgspec.field(default_factory=dict)
    files: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)
    created_at: str = ""


class SaveSnapshot(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Save the board's current values into slot `index` (a new slot when None).

    `include`: `<instance_id>:<symbol>` or `<instance_id>` (all of its parameters) to cover; None =
    every parameter. `exclude` is taken out of that. `bypass`: also store bypass states (of the
    covered instances).
    """

    name: str
    index: int | None = None
    include: list[str] | None = None
    exclude: list[str] = msgspec.field(default_factory=list)
    bypass: bool = True


class SnapshotRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    index: int
    client: str = ""  # recall: whose undo history gets the entry (the browser tab's id)


class RenameSnapshot(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    index: int
    name: str


class SnapshotStep(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    step: int = 1  # +1 next, -1 previous (wraps)
    client: str = ""


class RecallResult(msgspec.Struct, frozen=True):
    index: int
    name: str
    changed: int  # values sent to the engine
    bypassed: int  # bypass states changed
    skipped: list[
        str
    ]  # `<instance>:<symbol>` the snapshot names that no longer exist or are refused
    files: int = 0  # file parameters sent


class ApplyValues(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Bridge `live.apply`: many values and bypass states as one burst (a snapshot recall).

    Every command goes at once, pipelined on the one connection, inside one engine transaction
    where the engine has them (it applies the burst at one cycle boundary).
    """

    parameters: list[SetParameter] = msgspec.field(default_factory=list)
    bypass: list[Bypass] = msgspec.field(default_factory=list)


class AppliedValues(msgspec.Struct, frozen=True):
    """Per item: the value the engine took (parameters) or None when refused, with why."""

    values: list[float | None]
    bypass: list[bool]  # True: applied
    errors: list[str]


class SnapshotsChangedData(msgspec.Struct, frozen=True):
    snapshots: list[Snapshot]
    current: int | None
    action: str  # saved | deleted | renamed | recalled
    index: int | None = None


# -- setlists (their own files in the data dir) ---------------------------------------------


class SetlistEntry(msgspec.Struct, frozen=True, kw_only=True):
    board: str  # a pedalboard id
    snapshot: int | None = None  # the starting snapshot (None: the board as saved)
    note: str = ""


class Setlist(msgspec.Struct, kw_only=True):
    id: str
    name: str
    schema: int = 1
    entries: list[SetlistEntry] = msgspec.field(default_factory=list)
    created_at: str = ""
    modified_at: str = ""


class SetlistSummary(msgspec.Struct, frozen=True):
    id: str
    name: str
    entries: int
    modified_at: str


class CreateSetlist(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    entries: list[SetlistEntry] = msgspec.field(default_factory=list)


class UpdateSetlist(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    id: str
    name: str | None = None
    entries: list[SetlistEntry] | None = None


class SetlistRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str


class SetlistGo(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Activate setlist `id` (the active one when None) at entry `position` (= program number)."""

    id: str | None = None
    position: int = 0


class SetlistState(msgspec.Struct, frozen=True):
    """The active setlist and where the performance is in it (program number = position)."""

    id: str | None = None
    name: str = ""
    position: int | None = None
    entries: list[SetlistEntry] = msgspec.field(default_factory=list)


# -- MIDI bindings ----------------------------------------------------------------------------


class BindingTarget(enum.StrEnum):
    PARAMETER = "parameter"
    BYPASS = "bypass"
    SNAPSHOT_NEXT = "snapshot_next"
    SNAPSHOT_PREV = "snapshot_prev"
    SNAPSHOT_RECALL = "snapshot_recall"
    SNAPSHOT_SAVE = "snapshot_save"  # store the current values into the current snapshot
    SETLIST_NEXT = "setlist_next"
    SETLIST_PREV = "setlist_prev"
    TUNER = "tuner"
    MUTE = "mute"


class MidiKind(enum.StrEnum):
    CC = "cc"
    NOTE = "note"
    BEND = "bend"  # pitch bend (its number is 0), 14 bits


class SwitchMode(enum.StrEnum):
    TOGGLE = "toggle"  # each press flips the state
    MOMENTARY = "momentary"  # on while held


class BindingScope(enum.StrEnum):
    BOARD = "board"  # saved with the current board
    GLOBAL = "global"  # saved in the data dir, active on every board


class MidiBinding(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One MIDI control → one function. Channel 0..15, number 0..127 (CC or note number)."""

    target: BindingTarget
    channel: int
    number: int
    kind: MidiKind = MidiKind.CC
    instance_id: str = ""  # parameter, bypass
    symbol: str = ""  # parameter
    snapshot: int = 0  # snapshot_recall
    minimum: float | None = None  # parameter range (None: the port's own)
    maximum: float | None = None
    invert: bool = False
    mode: SwitchMode = SwitchMode.TOGGLE
    scope: BindingScope = BindingScope.BOARD
    id: str = ""  # assigned by the session


class BindingRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str


class LearnBinding(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Arm learning: the next CC or note completes `binding` (its channel/number are ignored)."""

    binding: MidiBinding
    timeout: float = 30.0


class ProgramChangeConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What a program change on `channel` selects: a setlist entry or a snapshot (or nothing)."""

    channel: int = 0
    target: str = "setlist"  # setlist | snapshot | off


class MidiBindingsState(msgspec.Struct, frozen=True):
    board: list[MidiBinding]
    global_: list[MidiBinding] = msgspec.field(name="global")
    learning: MidiBinding | None = None
    program_change: ProgramChangeConfig = ProgramChangeConfig()


class MidiLearnedData(msgspec.Struct, frozen=True):
    binding: MidiBinding


class MidiInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A MIDI message as the session receives it (from engine feedback, or injected by a test)."""

    kind: str  # cc | note_on | note_off | program | bend (number 0, value 0..16383)
    channel: int
    number: int
    value: int = 127


# -- tuner ------------------------------------------------------------------------------------


class TunerStart(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    source: str = "system:capture_1"  # the port address the tuner listens to
    mute: bool = True  # mute the board's output while tuning
    reference: float = 440.0  # A4 in Hz (415..466)


class TunerReading(msgspec.Struct, frozen=True, kw_only=True):
    active: bool
    frequency: float = 0.0
    note: str = ""  # e.g. "E", "C#"
    octave: int = 0
    cents: float = 0.0  # smoothed (the needle)
    in_tune: bool = False
    reference: float = 440.0
    muted: bool = False
    source: str = ""


# -- board output meter ------------------------------------------------------------------------


class MeterReading(msgspec.Struct, frozen=True, kw_only=True):
    """The board's output level (what feeds system:playback_1), in dBFS (true peak)."""

    active: bool
    peak_db: float = -80.0
    hold_db: float = -80.0  # highest peak of the last HOLD seconds
    clip: bool = False  # a peak reached 0 dBFS in the last HOLD seconds


class Footswitches(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`stage.footswitches`: the board's blocks the stage view shows switches for (None: all);
    also the `footswitches_changed` event."""

    ids: list[str] | None = None


class LevelsEnable(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Bridge `live.levels`: meter every block's audio inputs and outputs (or stop)."""

    enable: bool = True


class BlockLevel(msgspec.Struct, frozen=True):
    """One block's sample peaks since the last report, in dBFS (max over its channels)."""

    instance_id: str
    input_db: float
    output_db: float


class BlockLevels(msgspec.Struct, frozen=True, tag=LiveEvent.BLOCK_LEVELS.value):
    """Bridge event `block_levels`, at most 10 per second while metering is on."""

    blocks: list[BlockLevel]


class BlockMeter(msgspec.Struct, frozen=True, kw_only=True):
    """One block's meter as the browser shows it: peak, 2 s hold and clip (0 dBFS reached in the
    last 2 s), for its input and its output, in dBFS."""

    instance_id: str
    input_db: float = -80.0
    input_hold_db: float = -80.0
    input_clip: bool = False
    output_db: float = -80.0
    output_hold_db: float = -80.0
    output_clip: bool = False


class BlockMeters(msgspec.Struct, frozen=True):
    """Session event `block_meters`: every metered block of the board (empty: metering off)."""

    active: bool
    blocks: list[BlockMeter] = msgspec.field(default_factory=list)


# -- load and xruns ---------------------------------------------------------------------------


class LoadStats(msgspec.Struct, frozen=True):
    dsp_load: float
    dsp_load_max: float
    xruns: int  # since the board loaded
    xruns_per_minute: float
    seconds: float  # since the board loaded
    board: str


# -- media library ----------------------------------------------------------------------------


class MediaKind(enum.StrEnum):
    AUDIO = "audio"  # wav / flac: impulse responses, samples
    MODEL = "model"  # json-based models (.nam, .json, .aidax)


class MediaFile(msgspec.Struct, frozen=True):
    name: str
    kind: MediaKind
    size: int
    modified_at: str
    used_by: list[str] = msgspec.field(default_factory=list)  # "<board>/<instance>" or snapshot


class MediaUpload(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    data: bytes  # base64 on the JSON wire


class MediaRef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str


class FileParameter(msgspec.Struct, frozen=True):
    """A plugin's `patch:writable` path parameter, as the file picker shows it."""

    property: str  # the patch property URI
    label: str
    types: list[str]  # as declared (mod:fileTypes), possibly empty
    extensions: list[str]  # what the picker offers, e.g. [".wav", ".flac"]


class SetFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Set a plugin's patch:writable path parameter `property` to media file `name`."""

    instance_id: str
    property: str
    name: str


class FileSet(msgspec.Struct, frozen=True):
    """`media.set_file`: stored in the board; `applied` false (with why) when the engine cannot."""

    applied: bool
    reason: str = ""


class MidiActions(msgspec.Struct, frozen=True):
    """`midi.input`: how many bindings the message triggered."""

    actions: int
