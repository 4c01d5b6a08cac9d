"""How the coder runs its int8 ONNX models: exactly, and one utterance per run.

The int8 graphs quantize activations per run, so in a batch an utterance's codes could depend on
its neighbours (about 4% of AnnoMI utterances changed a code). Runs go in parallel instead, one
thread each: on 2 cores that codes 1.6x as many utterances per second as one run at a time on
2 threads.
"""

from __future__ import annotations

import os
import platform
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnxruntime as ort

# On x86 CPUs without VNNI or AMX, ONNX Runtime's default int8 kernel adds pairs of uint8 x int8
# products in 16 bits, which saturate. On such a CPU (AVX2 only) that changed the behaviour of
# 3.8% of dev utterances. This option picks an exact kernel there (18% slower); other CPUs
# compute exactly anyway, so every machine gets the same codes.
EXACT_INT8 = ("session.x64quantprecision", "1")
# /proc/cpuinfo flags of int8 dot-product instructions, as benchmark reports name them.
INT8_FLAGS = {
    "avx512_vnni": "AVX512-VNNI",
    "avx_vnni": "AVX-VNNI",
    "amx_int8": "AMX",
    "asimddp": "ARM dot product",
}


def available_cores() -> int:
    """Cores this process may run on (a container's share, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


WORKERS = min(8, available_cores())


def int8_session(model: Path) -> ort.InferenceSession:
    """A single-threaded CPU session that computes int8 products exactly on every CPU: with
    EXACT_INT8 only where the CPU lacks an int8 dot product (with it, the option changes no
    code and costs half the speed)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    if not has_int8_dot_product():
        options.add_session_config_entry(*EXACT_INT8)
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


@cache
def has_int8_dot_product(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU sums int8 products exactly without EXACT_INT8 (VNNI, AMX, ARM dot
    product). Unknown CPUs count as lacking it: the exact kernel is slower, never wrong."""
    try:
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("flags", "Features"):
                return any(flag in value.split() for flag in INT8_FLAGS)
    except OSError:
        pass
    return False


@cache
def cpu_description(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU model and its int8 dot-product instructions, to go with benchmark figures."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                name = value.strip()
            elif key.strip() in ("flags", "Features"):
                flags = set(value.split())
    except OSError:
        pass
    found = [label for flag, label in INT8_FLAGS.items() if flag in flags]
    return ", ".join([name, *(found or ["no int8 dot-product instructions"])])
