"""The same figures on x86-64 machines with and without AVX-512: pin numpy's and OpenBLAS's kernels.

numpy picks its transcendental kernels (``exp``, ``log``, ...) and OpenBLAS its matrix kernels
by the CPU at run time. On a machine with AVX-512 both pick kernels whose results differ from the
AVX2 ones in the last bit; a last-bit change in the synthetic data or a feature moves an XGBoost
split, and ``dvc repro`` then writes other data hashes and metrics than the committed
``dvc.lock`` (seen: test ROC-AUC 0.8549 on an AVX2 machine, 0.8551 on an AVX-512 one, same code
and params). On an AVX-512 machine churnlab therefore asks both libraries for their AVX2
kernels: with them, ``dvc repro`` there reproduced the committed ``dvc.lock``, made on an AVX2
machine, byte for byte.

Applied when the ``churnlab`` package is imported (the stages' ``churnlab`` command), before
numpy loads. In a process that loaded numpy first (a notebook that imported pandas), it is too
late: the process keeps the native kernels and its children (stage subprocesses, Spark's Python
workers) are told to keep them too, so that a process and its children agree. A variable
already set wins: ``NPY_DISABLE_CPU_FEATURES=`` and ``OPENBLAS_CORETYPE=`` (empty) keep the
native kernels. Other architectures (ARM) are left alone and were not compared here.
No numpy import here.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping

# numpy >= 2.4 groups (X86_V4, AVX512_ICL, AVX512_SPR) and the names of earlier releases;
# numpy ignores names it does not dispatch on.
NUMPY_AVX512 = (
    "X86_V4 AVX512_ICL AVX512_SPR AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX "
    "AVX512_CLX AVX512_CNL"
)
OPENBLAS_AVX2 = "Haswell"


def cpu_flags(cpuinfo: str) -> set[str]:
    """The feature flags of the first processor in a ``/proc/cpuinfo`` text."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return set(value.split())
    return set()


def kernel_pins(flags: set[str], machine: str) -> dict[str, str]:
    """Environment variables that give AVX2 kernels on this CPU (empty: nothing to pin)."""
    if machine.lower() not in {"x86_64", "amd64"} or "avx512f" not in flags:
        return {}
    if not {"avx2", "fma"} <= flags:
        return {}
    return {"NPY_DISABLE_CPU_FEATURES": NUMPY_AVX512, "OPENBLAS_CORETYPE": OPENBLAS_AVX2}


def missing_pins(environ: Mapping[str, str], flags: set[str], machine: str) -> dict[str, str]:
    """The pins of this CPU that ``environ`` does not set yet (a variable already set wins)."""
    return {k: v for k, v in kernel_pins(flags, machine).items() if k not in environ}


def pin_kernels() -> dict[str, str]:
    """Set the missing pins in ``os.environ`` (inherited by the stages' subprocesses and Spark's
    Python workers); returns them. If numpy is loaded already, this process keeps its native
    kernels, and so must its children: the missing variables are set empty (native) instead."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            flags = cpu_flags(handle.read())
    except OSError:
        return {}
    pins = missing_pins(os.environ, flags, platform.machine())
    if "numpy" in sys.modules:
        pins = dict.fromkeys(pins, "")
    os.environ.update(pins)
    return pins
