"""Shared measuring tools of the benchmark scripts: timing, peak memory, numba compile time.

A benchmark script exposes ``tool(name) -> callable`` and ``warm_input(name) -> array``;
``peak_memory`` and ``compile_time`` load that script by path in a fresh process, so each
measurement starts from a clean interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_LOAD_SCRIPT = """
import importlib.util, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(sys.argv[1]))  # the script imports _harness
spec = importlib.util.spec_from_file_location("bench_script", sys.argv[1])
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
name = sys.argv[2]
run = bench.tool(name)
"""

# Peak resident memory of one call: load the input, warm up (imports, numba compilation or cache
# load), reset the peak resident set (/proc/self/clear_refs), call, read VmHWM minus VmRSS before.
_MEMORY_PROBE = _LOAD_SCRIPT + """
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key)) * 1024

x = np.load(sys.argv[3])
run(bench.warm_input(name))
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
except OSError:
    pass
before = status("VmRSS:")
run(x)
print(status("VmHWM:") - before)
"""

_COMPILE_PROBE = _LOAD_SCRIPT + """
start = time.perf_counter()
run(bench.warm_input(name))
print(time.perf_counter() - start)
"""


def _probe(code: str, args, env=None) -> float:
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], check=True, capture_output=True, text=True,
                         env=env).stdout
    return float(out.split()[-1])


def timed(function, *args, **kwargs):
    """``(result, wall seconds, CPU seconds)`` of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def peak_memory(script, name: str, path: Path) -> float:
    """Peak extra resident memory (bytes) of ``script.tool(name)`` on the array saved at ``path``."""
    return _probe(_MEMORY_PROBE, [script, name, path])


def compile_time(script, name: str) -> float:
    """Seconds of the first call of ``script.tool(name)`` in a fresh process with an empty numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        return _probe(_COMPILE_PROBE, [script, name], env=dict(os.environ, NUMBA_CACHE_DIR=cache))
