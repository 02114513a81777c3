"""Translate mod-host error codes into the contract's error tree, one rule for the whole bridge.

    engine code                                   contract error
    -3  INSTANCE_NON_EXISTS                       NotFoundError   (no such instance)
    -101 LV2_INVALID_URI                          NotFoundError   (no such plugin/property)
    -104 LV2_INVALID_PRESET_URI, -105 CANT_LOAD   NotFoundError   (no such preset)
    -205 JACK_PORT_CONNECTION                     NotFoundError   (no such port, or not connectable)
    -206 JACK_PORT_DISCONNECTION                  NotFoundError   (no such connection)
    -2  INSTANCE_ALREADY_EXISTS                   ConflictError
    -103 LV2_INVALID_PARAM_SYMBOL                 ValidationError (no such control port)
    -207 JACK_VALUE_OUT_OF_RANGE                  ValidationError
    -102 LV2_INSTANTIATION, -901 MEMORY           ResourceError   (the plugin cannot run)
    anything else                                 EngineError(engine_code)

Every translated error carries `data = {"engine_code": <code>, "engine_error": <name>}`, so a
client can always see what the engine said.
"""

from __future__ import annotations

from stompbox.contract.errors import (
    ConflictError,
    EngineError,
    NotFoundError,
    ResourceError,
    StompboxError,
    ValidationError,
)
from stompbox.modhost.errors import ErrorCode, ModHostError

_BY_CODE: dict[int, type[StompboxError]] = {
    ErrorCode.INSTANCE_NON_EXISTS: NotFoundError,
    ErrorCode.LV2_INVALID_URI: NotFoundError,
    ErrorCode.LV2_INVALID_PRESET_URI: NotFoundError,
    ErrorCode.LV2_CANT_LOAD_STATE: NotFoundError,
    ErrorCode.JACK_PORT_CONNECTION: NotFoundError,
    ErrorCode.JACK_PORT_DISCONNECTION: NotFoundError,
    ErrorCode.INSTANCE_ALREADY_EXISTS: ConflictError,
    ErrorCode.LV2_INVALID_PARAM_SYMBOL: ValidationError,
    ErrorCode.JACK_VALUE_OUT_OF_RANGE: ValidationError,
    ErrorCode.LV2_INSTANTIATION: ResourceError,
    ErrorCode.MEMORY_ALLOCATION: ResourceError,
}


def from_modhost(exc: ModHostError, context: str = "") -> StompboxError:
    """The contract error for an engine refusal (see the module table)."""
    message = f"{context}: {exc.message}" if context else exc.message
    message = f"{message} (engine {exc.name} {exc.code})"
    data = {"engine_code": exc.code, "engine_error": exc.name}
    cls = _BY_CODE.get(exc.code)
    if cls is None:
        return EngineError(message, exc.code, data)
    return cls(message, data)
