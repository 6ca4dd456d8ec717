"""Loopback UDP ports for tests that start `aso` processes: free, and ours until the block ends.

bacpypes3 binds with SO_REUSEPORT, so two runs at once (a developer and the
full suite) would share a port silently and answer each other's requests. A
lock file per port, held while it is in use, keeps concurrent runs apart; the
bind probe skips ports held by anyone else. Only 127.0.0.1 is ever bound.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

_turns: dict[int, itertools.count] = {}


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def lease_many(ports: range, count: int) -> Iterator[list[int]]:
    """``count`` free ports of ``ports``, taken in turn (runs spread over the range), each locked for us."""
    turn = _turns.setdefault(ports.start, itertools.count())
    held: list[int] = []
    with contextlib.ExitStack() as locks:
        for _ in range(3 * len(ports)):
            if len(held) == count:
                break
            port = ports[next(turn) % len(ports)]
            if port in held:
                continue
            lock = open(Path(tempfile.gettempdir()) / f"aso-test-udp-{port}.lock", "w")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            locks.enter_context(lock)
            if is_free(port):
                held.append(port)
        if len(held) < count:
            raise RuntimeError(f"not {count} free UDP port(s) in {ports.start}..{ports.stop - 1} on 127.0.0.1")
        yield held


@contextlib.contextmanager
def lease(ports: range) -> Iterator[int]:
    """One free port of ``ports``, locked for us until the block ends."""
    with lease_many(ports, 1) as (port,):
        yield port


def free_ports(ports: range, count: int) -> list[int]:
    """``count`` ports of ``ports`` that are free now, taken in turn (none handed out twice in a row).

    Not locked: for tests whose ports are bound at once by the test itself. Skips the
    test when the range has not enough free ports.
    """
    import pytest

    turn = _turns.setdefault(ports.start, itertools.count())
    found: list[int] = []
    for _ in range(len(ports)):
        port = ports[next(turn) % len(ports)]
        if port not in found and is_free(port):
            found.append(port)
            if len(found) == count:
                return found
    pytest.skip(f"not enough free loopback ports in {ports.start}-{ports.stop - 1}")
