"""Which object gets which `--object NAME`: one rule, stated in the notes.

The rule: the names go to the objects **in order of first appearance, one name per object** (the
first name to the object seen first, the second to the next one, ...). An object seen again after
it left the picture (a track that starts after another one ended, with the same colour and size) is
the same object: it keeps the name it had and does not use up a name. Objects beyond the names
stay generic, and the names beyond the objects name nothing; both are said in a note, with the
objects' first-seen times so a user can see which object got which name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

GENERIC_NAME = "object"

# A later track is the same object seen again when its colour and size match (the tracker's own
# re-link thresholds, see tracking._link) and the two never show at the same time.
_SAME_COLOUR = 1.5  # colour distance in units of 40 (8-bit RGB)
_SAME_SIZE_LOG = 0.5  # |log area ratio|


@dataclass
class Naming:
    """names / sources: per object (name_source "user" or "generic"); same_as: for an object seen
    again, the index of its first appearance, else None; warnings: the notes to show."""

    names: list[str]
    sources: list[str]
    same_as: list[int | None]
    warnings: list[str] = field(default_factory=list)


def clean_names(names: Sequence[str] | None) -> list[str]:
    return [n.strip() for n in (names or []) if isinstance(n, str) and n.strip()]


def reappearances(tracks: Sequence) -> list[int | None]:
    """For each track (in order of first appearance), the earlier track it is the same object as
    (seen again after a gap too long for the tracker to join them), else None."""
    same_as: list[int | None] = [None] * len(tracks)
    for j, b in enumerate(tracks):
        best = None
        for i in range(j):
            a = tracks[i]
            root = i if same_as[i] is None else same_as[i]
            # every earlier sighting of that object must be over before this one starts
            members = [k for k in range(j) if k == root or same_as[k] == root]
            if any(tracks[k].last_frame >= b.first_frame for k in members):
                continue
            dcol = float(np.linalg.norm(np.asarray(b.color()) - np.asarray(a.color()))) / 40.0
            dsize = abs(np.log(max(b.typical_area(), 1.0) / max(a.typical_area(), 1.0)))
            if dcol < _SAME_COLOUR and dsize < _SAME_SIZE_LOG:
                score = dcol + dsize
                if best is None or score < best[0]:
                    best = (score, root)
        if best is not None:
            same_as[j] = best[1]
    return same_as


def assign_names(user_names: Sequence[str] | None, first_seen_s: Sequence[float],
                 same_as: Sequence[int | None] | None = None) -> Naming:
    """Names for objects in order of first appearance (first_seen_s: when each is first seen)."""
    names_given = clean_names(user_names)
    count = len(first_seen_s)
    same_as = list(same_as) if same_as is not None else [None] * count
    names: list[str] = []
    sources: list[str] = []
    identity_name: dict[int, str | None] = {}
    used = 0
    for i in range(count):
        root = same_as[i]
        if root is not None:
            name = identity_name.get(root)
        else:
            name = names_given[used] if used < len(names_given) else None
            used += 1 if name is not None else 0
            identity_name[i] = name
        names.append(name or GENERIC_NAME)
        sources.append("user" if name else "generic")

    def label(i: int) -> str:
        return f"object {i} (first seen {first_seen_s[i]:.2f} s)"

    warnings: list[str] = []
    for i, root in enumerate(same_as):
        if root is not None and sources[root] == "user":
            warnings.append(f"{label(i)} is object {root} seen again (same colour and size, after it was gone): "
                            f"it keeps the name {names[root]!r}")
    if names_given and count:
        named = [i for i in range(count) if sources[i] == "user" and same_as[i] is None]
        generic = [i for i in range(count) if sources[i] == "generic" and same_as[i] is None]
        if generic:
            got = ", ".join(f"{names[i]!r} → {label(i)}" for i in named)
            left = ", ".join(label(i) for i in generic)
            warnings.append(f"--object names go to the objects in order of first appearance, one each: {got}; "
                            f"{left} stayed generic (give more --object NAME, in order of appearance, to name them)")
    if used < len(names_given):
        unused = ", ".join(repr(n) for n in names_given[used:])
        warnings.append(f"{len(names_given)} object name(s) given but only {used} moving object(s) found to name: "
                        f"{unused} named nothing")
    return Naming(names, sources, same_as, warnings)
