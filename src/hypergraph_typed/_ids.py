"""Random ids for runs and spans: unique enough to tell runs apart, cheap to make.

Ids are drawn from a private generator seeded from the OS (and reseeded in a forked
child), so a program that seeds ``random`` for its own reasons does not repeat them,
and a run does not pay a system call per id.
"""

from __future__ import annotations

import os
import random

_rng = random.Random()


def _reseed() -> None:
    _rng.seed(os.urandom(16))


_reseed()
os.register_at_fork(after_in_child=_reseed)


def random_hex(digits: int) -> str:
    """``digits`` random lowercase hex characters."""
    return f"{_rng.getrandbits(4 * digits):0{digits}x}"
