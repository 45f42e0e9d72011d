"""The local cloud's processes as Linux's /proc shows them, and the wait until one of them serves HTTP."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator


class ProcessExited(Exception):
    """The process being waited for ended before it answered."""


def _stats() -> Iterator[tuple[int, str, int, int]]:
    """(pid, state, parent pid, process group) of every process, read from /proc/<pid>/stat."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()  # after "(comm)", which may hold spaces
        except OSError:  # ended meanwhile
            continue
        yield int(entry), fields[0], int(fields[1]), int(fields[2])


def group_members(group: int) -> list[int]:
    """Pids of the live (not zombie) processes in a process group."""
    return [pid for pid, state, _, pgrp in _stats() if pgrp == group and state != "Z"]


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, theirs, ...), from one reading of /proc."""
    children: dict[int, list[int]] = {}
    for child, _, parent, _ in _stats():
        children.setdefault(parent, []).append(child)
    found, pending = [], list(children.get(pid, []))
    while pending:
        child = pending.pop()
        found.append(child)
        pending.extend(children.get(child, []))
    return found


def wait_until_ok(url: str, timeout_s: float, *, alive: Callable[[], bool]) -> None:
    """Until GET `url` answers 200; ProcessExited once `alive()` is false, TimeoutError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive():
            raise ProcessExited(url)
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(url)
