"""The committed figures on every x86-64 machine with AVX2: churnlab pins numpy's and OpenBLAS's
CPU kernels to their AVX2 variants before numpy loads (churnlab/cpu.py)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from churnlab import cpu

CPUINFO = (
    "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 fma avx512f avx512bw\n"
)

# numpy's exp/log1p/log/tanh/sin over a fixed grid and an OpenBLAS matrix product, one thread.
# Their digests with the AVX2 kernels (the kernels an AVX2-only machine picks by itself, and the
# ones churnlab pins on AVX-512 machines). Recorded on an AVX-512 machine with the pins; without
# them the same machine gives other digests (test below), so the check can fail.
DIGEST_SCRIPT = """
import hashlib
import churnlab  # pins the kernels before numpy loads
import numpy as np
x = np.linspace(-30, 30, 200_001)
ax = np.abs(x)
y = np.concatenate([np.exp(x), np.log1p(ax), np.log(ax + 1e-3), np.tanh(x), np.sin(x)])
a = np.random.default_rng(0).normal(size=(300, 40))
digest = [hashlib.sha256(v.tobytes()).hexdigest()[:16] for v in (y, a.T @ a)]
print(*digest)
"""
AVX2_DIGESTS = "097ecfb3d8b4ad39 62a5cbd5e3419595"


def machine_flags() -> set[str]:
    path = Path("/proc/cpuinfo")
    return cpu.cpu_flags(path.read_text(errors="replace")) if path.exists() else set()


def digests(**env: str) -> str:
    pins = {"NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE"}
    clean = {k: v for k, v in os.environ.items() if k not in pins}
    clean.update(OPENBLAS_NUM_THREADS="1", **env)
    done = subprocess.run(
        [sys.executable, "-c", DIGEST_SCRIPT], env=clean, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_cpu_flags_reads_the_flags_line():
    assert cpu.cpu_flags(CPUINFO) == {"fpu", "sse2", "avx2", "fma", "avx512f", "avx512bw"}
    assert cpu.cpu_flags("processor: 0\n") == set()


def test_pins_only_on_avx512_x86():
    flags = cpu.cpu_flags(CPUINFO)
    pins = cpu.kernel_pins(flags, "x86_64")
    assert pins["OPENBLAS_CORETYPE"] == "Haswell"
    assert "X86_V4" in pins["NPY_DISABLE_CPU_FEATURES"].split()
    assert cpu.kernel_pins(flags - {"avx512f"}, "x86_64") == {}  # AVX2 machines: native already
    assert cpu.kernel_pins(flags, "aarch64") == {}
    assert cpu.kernel_pins({"avx512f"}, "x86_64") == {}  # no AVX2: nothing safe to pin


def test_a_variable_already_set_wins():
    flags = cpu.cpu_flags(CPUINFO)
    missing = cpu.missing_pins({"OPENBLAS_CORETYPE": ""}, flags, "x86_64")
    assert list(missing) == ["NPY_DISABLE_CPU_FEATURES"]


def test_once_numpy_is_loaded_the_children_keep_its_native_kernels(monkeypatch):
    import numpy  # noqa: F401

    monkeypatch.setattr(cpu, "kernel_pins", lambda flags, machine: {"NPY_TEST_PIN": "X"})
    monkeypatch.delenv("NPY_TEST_PIN", raising=False)
    if not Path("/proc/cpuinfo").exists():
        assert cpu.pin_kernels() == {}
        return
    assert cpu.pin_kernels() == {"NPY_TEST_PIN": ""}  # empty: native, as this process
    assert os.environ["NPY_TEST_PIN"] == ""


@pytest.mark.skipif(
    platform.machine() not in {"x86_64", "AMD64"} or not {"avx2", "fma"} <= machine_flags(),
    reason="the AVX2 digests hold on x86-64 CPUs with AVX2 and FMA",
)
def test_numeric_kernels_give_the_avx2_digests():
    assert digests() == AVX2_DIGESTS


@pytest.mark.skipif("avx512f" not in machine_flags(), reason="needs an AVX-512 machine")
def test_native_avx512_kernels_differ_so_the_check_can_fail():
    native = digests(NPY_DISABLE_CPU_FEATURES="", OPENBLAS_CORETYPE="")
    assert native != AVX2_DIGESTS
