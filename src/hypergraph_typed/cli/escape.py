"""Text from a store, made safe to print: control characters become visible escapes.

Workflow ids, node names, errors and values are written by programs, and a store can be
written by anyone with access to it. Printed raw, an escape sequence in any of them
would reach the terminal (recolour it, retitle the window, hide lines, plant a link),
and a lone surrogate would stop the output with an encoding error. Every field the CLI
prints goes through ``printable`` (or ``json_text`` for ``--json``).
"""

from __future__ import annotations

import re

# Besides C0 controls: DEL and C1 controls, line/paragraph separators, bidirectional
# marks, overrides and isolates (they reorder what follows them), and lone surrogates.
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_UNSAFE_IN_JSON = re.compile(f"[{_BEYOND_C0}]")  # json.dumps escapes C0 in strings itself
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT.get(char)
    if short is not None:
        return short
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character written as ``\\n``, ``\\x1b``, ``\\u202e``..."""
    return _UNSAFE.sub(_visible, text)


def json_text(text: str) -> str:
    """JSON text with the same characters as ``\\uXXXX`` escapes: same data, safe to print.

    ``json.dumps`` already escapes C0 controls inside strings (the newlines left are its
    indentation); the others can only occur inside strings, where a ``\\u`` escape decodes
    to the same character.
    """
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
