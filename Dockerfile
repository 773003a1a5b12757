# The churn API: `docker build --build-arg GIT_REVISION=$(git rev-parse HEAD) -t churnlab .`
# once models/ holds the model to serve: `dvc repro`, or for a registered version
# `git checkout churn-model@vX.Y.Z && dvc pull models/`
# (`churnlab register` pushed them to the DVC remote; docs/registry.md). Then
# `docker run -p 8000:8000 churnlab`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# XGBoost needs the OpenMP runtime.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements-serve.txt ./
RUN pip install -r requirements-serve.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-deps . && rm -rf src
COPY params.yaml ./
# the uplift and survival models ride along (each holds a "skipped" record when its stage
# did not apply, and the scorer then serves the churn model alone)
COPY models/pipeline.skops models/metadata.json models/uplift.skops models/survival.skops ./models/

ARG GIT_REVISION=unknown
ENV CHURNLAB_GIT_REVISION=${GIT_REVISION}

RUN useradd --create-home --uid 10001 churnlab
USER churnlab

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
CMD ["churnlab", "serve", "--host", "0.0.0.0", "--port", "8000"]
