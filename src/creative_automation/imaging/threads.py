"""Image kernels on one thread each, for processes whose parallelism is their own work.

A worker runs many campaigns on threads and `cap run` renders groups in one process per core;
either way every core already has a kernel to run. OpenCV's and OpenBLAS's own thread pools
on top of that only add threads contending for the same cores (N campaign threads × 2 + 2
more). Under the load benchmark the difference was within its run-to-run noise: this is about
not oversubscribing, not a measured speed-up.
"""

from __future__ import annotations

import cv2
from threadpoolctl import threadpool_limits


def one_thread_per_kernel() -> None:
    """OpenCV, and any BLAS or OpenMP runtime numpy or OpenCV loaded, on one thread each, for
    the rest of the process."""
    cv2.setNumThreads(1)
    threadpool_limits(limits=1)


__all__ = ["one_thread_per_kernel"]
