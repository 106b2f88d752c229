"""Generated code for a static region: its calls as one straight-line Python function.

Like attrs generating ``__init__``, the compiler writes the source once and compiles it:
each call reads its arguments from local variables and stores its outputs in new ones,
with a timestamp after each call for the run log and one ``try`` around the whole
region. No user string is spliced into the source: locals are named after value-table
positions (``v3``), timestamps after call positions (``t3``) and the node functions are
closure variables (``f3``) bound to the region's functions, so node and value names
never appear in it. The source is registered with ``linecache`` (for as long as the
function lives) so that tracebacks through the generated frame show its lines.

The function takes the region's externals as positional arguments and returns either
``(stamps, table, None)`` (every call returned) or ``(None, None, (error, now, frame))``
where ``frame`` holds the locals bound when the call failed (``failure`` decodes it).
"""

from __future__ import annotations

import itertools
import linecache
import time
import weakref
from collections.abc import Callable
from typing import Any

import attrs

from hypergraph_typed._sentinels import MISSING
from hypergraph_typed.compiler.regions import ADAPTED, Region

_counter = itertools.count()


@attrs.frozen(slots=True)
class CompiledRegion:
    """A region's generated function and the source it was compiled from."""

    source: str
    function: Callable[..., tuple[Any, Any, Any]] = attrs.field(repr=False)
    n_values: int

    def failure(self, frame: dict[str, Any]) -> tuple[int, list[float], list[Any]]:
        """From the locals of a failed run: the failed call's position, the timestamps
        taken before it and the value table (``MISSING`` where nothing was stored)."""
        failed = 0
        while f"t{failed + 1}" in frame:
            failed += 1
        stamps = [frame[f"t{i}"] for i in range(failed + 1)]
        table = [frame.get(f"v{i}", MISSING) for i in range(self.n_values)]
        return failed, stamps, table


def region_source(region: Region) -> str:
    """The Python source of ``region``'s function (a factory binding its callables)."""
    calls = region.calls
    lines = [
        "def bind(_perf, _funcs):",
        f"    {''.join(f'f{j}, ' for j in range(len(calls)))}= _funcs",
        f"    def region({', '.join(f'v{i}' for i in range(len(region.externals)))}):",
        "        t0 = _perf()",
        "        try:",
    ]
    for j, c in enumerate(calls):
        call = f"f{j}({', '.join(f'v{a}' for a in c.args)})"
        if c.shape != ADAPTED:
            target = f"v{c.out} = "
        elif c.n_outs:
            target = "".join(f"v{c.out + k}, " for k in range(c.n_outs)) + "= "
        else:
            target = ""
        lines.append(f"            {target}{call}")
        lines.append(f"            t{j + 1} = _perf()")
    lines += [
        "        except Exception as _error:",
        "            _now = _perf()",
        "            return None, None, (_error, _now, locals())",
        f"        return ({''.join(f't{j}, ' for j in range(len(calls) + 1))}), "
        f"({''.join(f'v{i}, ' for i in range(region.n_values))}), None",
        "    return region",
    ]
    return "\n".join(lines) + "\n"


def compile_region(region: Region) -> CompiledRegion:
    """Generate, compile and bind ``region``'s function."""
    source = region_source(region)
    filename = f"<hypergraph_typed static region {next(_counter)}>"
    namespace: dict[str, Any] = {}
    exec(compile(source, filename, "exec"), namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    function = namespace["bind"](time.perf_counter, tuple(c.func for c in region.calls))
    compiled = CompiledRegion(source, function, region.n_values)
    weakref.finalize(compiled, linecache.cache.pop, filename, None)
    return compiled
