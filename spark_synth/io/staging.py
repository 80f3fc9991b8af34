"""What a killed write leaves beside its target, and removing it.

Writes go to ".NAME.staging-TOKEN" beside NAME and, when replacing, move the old NAME aside to
".NAME.old-TOKEN" until the new one is in place (io/writers.py). A run killed midway leaves these
behind; readers skip them (names starting with "."), but they hold space forever. The next write
to the same target, holding its lease (io/lease.py) so that no live run can own them, removes
them; `spark-synth clean PATH` does it on demand. A killed replace can leave the old output aside
with no NAME: it is moved back, not deleted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger("spark_synth.staging")
KINDS = ("staging", "old")


@dataclass
class Leftovers:
    staging: list[str] = field(default_factory=list)  # unfinished writes
    old: list[str] = field(default_factory=list)  # outputs moved aside by a replace
    lease: bool = False

    def __bool__(self) -> bool:
        return bool(self.staging or self.old or self.lease)


def split(path: str) -> tuple[str, str]:
    """(parent, name); a relative name's parent is "." (the driver's working directory)."""
    head, _, name = path.rstrip("/").rpartition("/")
    return head or ".", name


def leftovers(files, path: str) -> Leftovers:
    """The hidden siblings spark_synth writes beside `path`, by kind."""
    parent, name = split(path)
    if files.status(parent) != "dir":
        return Leftovers()
    found = Leftovers()
    for entry in files.list_names(parent):
        for kind in KINDS:
            if entry.startswith(f".{name}.{kind}-"):
                getattr(found, kind).append(f"{parent}/{entry}")
        if entry == f".{name}.lease":
            found.lease = True
    return found


def remove_leftovers(files, path: str, keep: str | None = None) -> list[str]:
    """Removes the staging and set-aside directories of dead runs beside `path` (the caller holds
    its lease) except `keep`; a set-aside output with no `path` is moved back instead. Returns
    what was removed or restored, one line each."""
    found = leftovers(files, path)
    done = []
    old = sorted(found.old)
    if old and files.status(path) == "missing":
        restored = old.pop()
        if files.move(restored, path):
            done.append(f"restored {restored} -> {path} (a replace was killed after moving it aside)")
        else:
            old.append(restored)
    for directory in sorted(found.staging) + old:
        if directory != keep:
            files.delete(directory)
            done.append(f"removed {directory}")
    for line in done:
        log.info("%s", line)
    return done
