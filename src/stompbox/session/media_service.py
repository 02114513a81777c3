"""The `media.*` RPC methods: the library, and file parameters of the board's plugins.

A file parameter choice is stored in the board (`board.files`) and sent to the engine as a
`patch_set` through the bridge's `live.patch_set`. An engine without file parameters (the jalv
engine answers -902) gets the choice stored anyway, so the board carries it to an engine that can,
and the reply says `applied: false` with the engine's reason.
"""

from __future__ import annotations

import logging

from stompbox.contract import bridge_api as B, live as lv
from stompbox.contract.bridge import PatchSet
from stompbox.contract.errors import EngineError, StompboxError, ValidationError
from stompbox.contract.model import Pedalboard
from stompbox.contract.params import Done, Empty, PluginUri

from .media import MediaLibrary
from .session_manager import SessionManager

log = logging.getLogger(__name__)

MAX_PROPERTY = 1024


class MediaService:
    def __init__(self, manager: SessionManager) -> None:
        self.m = manager
        self.st = manager.state
        self.library = MediaLibrary(manager.storage.data_dir)
        self._seen: Pedalboard | None = None

    def _boards(self) -> list[Pedalboard]:
        boards = [
            b for b in self.m.storage.list() if self.st.board is None or b.id != self.st.board.id
        ]
        return [*boards, self.st.board] if self.st.board is not None else boards

    async def list_media(self, _: Empty) -> list[lv.MediaFile]:
        return self.library.list(self._boards())

    async def file_parameters(self, q: PluginUri) -> list[lv.FileParameter]:
        return await self.st.bridge.call(B.LIVE_FILE_PARAMETERS, q)

    async def upload(self, q: lv.MediaUpload) -> lv.MediaFile:
        saved = self.library.save(q.name, q.data)
        self.st.publish(lv.LiveEvent.MEDIA_CHANGED, {"action": "uploaded", "name": saved.name})
        return saved

    async def delete(self, q: lv.MediaRef) -> Done:
        async with self.m.mutation():
            self.library.delete(q.name, self._boards())
        self.st.publish(lv.LiveEvent.MEDIA_CHANGED, {"action": "deleted", "name": q.name})
        return Done()

    async def send(self, instance_id: str, prop: str, name: str) -> None:
        """Send one file parameter to the engine (raises the bridge's error)."""
        path = str(self.library.path(name))
        await self.st.bridge.call(B.LIVE_PATCH_SET, PatchSet(instance_id, prop, path))

    async def apply_file(self, instance_id: str, prop: str, name: str) -> None:
        """A snapshot's file choice: stored in the board, sent to an engine that can take it."""
        board = self.st.require_board()
        try:
            await self.send(instance_id, prop, name)
        except EngineError as exc:
            if not (isinstance(exc.data, dict) and exc.data.get("unsupported")):
                raise
        board.files.setdefault(instance_id, {})[prop] = name
        self.st.changed()

    async def set_file(self, q: lv.SetFile) -> lv.FileSet:
        if not q.property or len(q.property) > MAX_PROPERTY or ":" not in q.property:
            raise ValidationError("property must be a patch:writable property URI")
        async with self.m.mutation():
            board = self.st.require_board()
            self.st.instance(q.instance_id)
            if not self.library.exists(q.name):
                raise ValidationError(f"no media file {q.name!r} in the library")
            applied, reason = True, ""
            try:
                await self.send(q.instance_id, q.property, q.name)
            except EngineError as exc:
                if not (isinstance(exc.data, dict) and exc.data.get("unsupported")):
                    raise
                applied, reason = False, exc.message
            board.files.setdefault(q.instance_id, {})[q.property] = q.name
            self.st.changed()
        self.st.publish(
            lv.LiveEvent.MEDIA_CHANGED,
            {
                "action": "file_set",
                "instance_id": q.instance_id,
                "property": q.property,
                "name": q.name,
                "applied": applied,
            },
        )
        return lv.FileSet(applied, reason)

    async def restore(self) -> None:
        """After a board switch, send its file parameters (the engine lacks them)."""
        board = self.st.board
        if board is None or board is self._seen:
            return
        self._seen = board
        for iid, props in board.files.items():
            for prop, name in props.items():
                if self.st.find(iid) is None:
                    continue
                try:
                    await self.send(iid, prop, name)
                except StompboxError as exc:
                    log.info("file parameter %s %s: %s", iid, prop, exc.message)
