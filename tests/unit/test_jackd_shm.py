"""JACK's leaked shared memory is cleared only when no jackd runs at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from stompbox import jackd


@pytest.fixture
def shm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(jackd, "SHM", tmp_path)
    for name in ("jack-shm-registry", "jack-0-12", "jack_sem.0_x_system", "jack_db-0", "other"):
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


def test_idle_machine_gets_a_clean_registry(shm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jackd, "jackd_running", lambda: False)
    assert jackd.reset_idle_shm() == 4
    assert sorted(p.name for p in shm.iterdir()) == ["other"]


def test_a_running_jackd_keeps_its_registry(shm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jackd, "jackd_running", lambda: True)
    assert jackd.reset_idle_shm() == 0
    assert len(list(shm.iterdir())) == 5


def test_a_mapped_registry_is_kept(shm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that ever had a JACK client keeps the registry mapped (libjack attaches it once
    per process): removing it would make every later server invisible to that process — why
    the benchmarks failed whenever no other jackd ran on the machine."""
    import mmap

    monkeypatch.setattr(jackd, "jackd_running", lambda: False)
    with open(shm / "jack-shm-registry", "r+b") as f, mmap.mmap(f.fileno(), 1) as _mapped:
        assert jackd.registry_in_use()
        assert jackd.reset_idle_shm() == 0
    assert len(list(shm.iterdir())) == 5
