"""Batch passage embedding on OpenVINO: bf16 where the CPU computes it natively, else f32.

Syncs embed thousands of passages; queries embed one short text. onnxruntime serves the
queries (lowest latency for one text). For batches OpenVINO runs the same ONNX export
about 2.5× faster on CPUs with native bf16 (AMX, AVX512-BF16) and still faster in f32
elsewhere. Its bf16 vectors agree with the f32 ones to a cosine above 0.9999, far inside
what retrieval can tell apart, so passages embedded here and queries embedded by
onnxruntime share one embedding space (tests/test_search.py holds that bound).

Each infer request runs on its own single-threaded stream, started asynchronously from the
calling thread, so tokenizing and pooling one batch overlaps inferring the others, and no
engine thread spins waiting for work, which on two cores would take the CPU that
extraction and Postgres need during the same sync.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

BATCH_SIZE = 32  # measured: bf16 kernels want wider batches than onnxruntime's 16


class OpenVinoBatchEncoder:
    """A compiled OpenVINO model with one infer request per stream, fed from one thread.

    The calling thread tokenizes and pools while the streams infer (releasing the GIL):
    requests run asynchronously, so no Python thread ever waits inside OpenVINO while
    another feeds it. One `encode` runs at a time per process.
    """

    def __init__(self, model_path: Path, *, streams: int | None = None) -> None:
        ov = import_openvino()

        self.streams = streams or max(1, min(4, os.cpu_count() or 1))
        core = ov.Core()
        capabilities = core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        self.precision = "bf16" if "BF16" in capabilities else "f32"
        compiled = core.compile_model(
            core.read_model(str(model_path)),
            "CPU",
            {
                "INFERENCE_PRECISION_HINT": self.precision,
                "NUM_STREAMS": self.streams,
                "INFERENCE_NUM_THREADS": self.streams,
                # Pinning would bind the process's threads (the event loop, onnxruntime's
                # query threads) to the cores OpenVINO picked; a server shares them.
                "ENABLE_CPU_PINNING": False,
            },
        )
        self._requests = [compiled.create_infer_request() for _ in range(self.streams)]
        self._lock = threading.Lock()
        log.info("batch embedding on OpenVINO (%s, %d streams)", self.precision, self.streams)

    def encode(
        self,
        batches: Sequence[list[int]],
        inputs: Callable[[list[int]], tuple[np.ndarray, np.ndarray]],
        done: Callable[[list[int], np.ndarray, np.ndarray], None],
    ) -> None:
        """Run every batch: `inputs(batch)` gives (ids, mask), `done` gets the hidden states."""
        with self._lock:
            free = list(self._requests)
            running: deque[tuple[Any, list[int], np.ndarray]] = deque()
            try:
                for batch in batches:
                    if not free:
                        free.append(self._finish(running.popleft(), done))
                    ids, mask = inputs(batch)
                    request = free.pop()
                    request.start_async(
                        {
                            "input_ids": ids,
                            "attention_mask": mask,
                            "token_type_ids": np.zeros_like(ids),
                        }
                    )
                    running.append((request, batch, mask))
                while running:
                    self._finish(running.popleft(), done)
            finally:
                for request, _, _ in running:  # an error mid-way: let the rest settle
                    request.wait()

    @staticmethod
    def _finish(
        item: tuple[Any, list[int], np.ndarray],
        done: Callable[[list[int], np.ndarray, np.ndarray], None],
    ) -> Any:
        request, batch, mask = item
        request.wait()
        done(batch, request.get_output_tensor(0).data, mask)
        return request


def import_openvino() -> Any:
    """Import OpenVINO with its usage telemetry switched off.

    `import openvino` sends an analytics event unless the user opted out in a file under
    ~/intel; without the openvino_telemetry package it falls back to a no-op stub. A
    self-hosted service must not phone home, so the package is made unimportable first.
    """
    if "openvino_telemetry" not in sys.modules:
        sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]
    import openvino

    return openvino


def open_batch_encoder(model_path: Path) -> OpenVinoBatchEncoder | None:
    """Return the OpenVINO encoder, or None (onnxruntime then embeds batches too)."""
    try:
        return OpenVinoBatchEncoder(model_path)
    except ImportError:
        log.info("openvino is not installed: batches are embedded with onnxruntime")
    except Exception:  # noqa: BLE001 - an unusable runtime must not stop ingestion
        log.warning("OpenVINO could not load the model; using onnxruntime", exc_info=True)
    return None


def mean_pool(hidden: Any, mask: np.ndarray) -> np.ndarray:
    """Mean-pool token states over the attention mask and L2-normalise (sentence-transformers)."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return pooled  # type: ignore[no-any-return]
