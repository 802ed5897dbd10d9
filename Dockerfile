# syntax=docker/dockerfile:1
# One image for every role: `run`, `worker`, `api` (the first argument).
# It talks to an external Redis (REDIS_URL); the embedded redis-server of
# `feedwatch[embedded]` is for single-machine runs outside containers.
# Validated without a Docker engine: see docs/deploy.md ("What is validated").

ARG PYTHON_IMAGE=python:3.11.10-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/feedwatch
# Every runtime dependency from the lock, checked by hash, wheels only: no
# compiler is needed here, and none reaches the final stage.
COPY requirements.lock ./
RUN /opt/feedwatch/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: \
        --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY service ./service
COPY workers ./workers
RUN /opt/feedwatch/bin/pip install --no-cache-dir --no-deps . \
    && /opt/feedwatch/bin/pip check \
    && /opt/feedwatch/bin/python -m compileall -q /opt/feedwatch/lib

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="feedwatch" \
      org.opencontainers.image.description="Feed monitoring: one alert per story, across syndicated copies" \
      org.opencontainers.image.source="https://github.com/feedwatch/feedwatch" \
      org.opencontainers.image.documentation="https://github.com/feedwatch/feedwatch/blob/main/docs/deploy.md" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
RUN groupadd --system --gid 10001 feedwatch \
    && useradd --system --uid 10001 --gid feedwatch --no-create-home \
       --home-dir /var/lib/feedwatch --shell /usr/sbin/nologin feedwatch \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/feedwatch
COPY --from=build /opt/feedwatch /opt/feedwatch
COPY config/feedwatch.yaml /etc/feedwatch/feedwatch.yaml
ENV PATH=/opt/feedwatch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FEEDWATCH_CONFIG=/etc/feedwatch/feedwatch.yaml \
    FEEDWATCH_HTTP_HOST=0.0.0.0 \
    FEEDWATCH_HTTP_PORT=8080 \
    XDG_STATE_HOME=/var/lib/feedwatch
USER 10001:10001
WORKDIR /var/lib/feedwatch
EXPOSE 8080
# For plain Docker; Kubernetes ignores it and uses the probes in deploy/k8s.
# The port follows FEEDWATCH_HTTP_PORT (a worker serves health on --metrics-port).
HEALTHCHECK --interval=30s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os,sys,urllib.request as u; p=os.environ.get('FEEDWATCH_HTTP_PORT','8080'); sys.exit(0 if u.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=2).status == 200 else 1)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["feedwatch"]
CMD ["api"]
