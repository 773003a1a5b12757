"""churnlab: a reproducible DVC experiment repository for customer-churn prediction."""

from churnlab.cpu import pin_kernels

pin_kernels()  # before numpy loads: the committed figures on AVX-512 machines too (cpu.py)

__version__ = "0.1.0"
