# Signpost image: the API and the Celery worker share it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 DO_NOT_TRACK=1 UNSTRUCTURED_DISABLE_NOTICE=1

WORKDIR /app
COPY pyproject.toml constraints.txt requirements-nlp.txt README.md ./
COPY signpost ./signpost
COPY store ./store
COPY services ./services
COPY api ./api
COPY graph ./graph
COPY tools ./tools
COPY ingestion ./ingestion
COPY prompts ./prompts
COPY evals ./evals
COPY demo ./demo

# CPU-only torch first so nothing pulls the CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu 'torch==2.13.0+cpu' \
 && pip install -c constraints.txt '.[local]' \
 && pip uninstall -y torchvision timm \
 && pip install --no-deps --require-hashes -r requirements-nlp.txt

EXPOSE 8000
CMD ["signpost", "serve"]
