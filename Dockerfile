# syntax=docker/dockerfile:1
# One image for every role: `run`, `worker`, `api`. It talks to an external Redis
# (REDIS_URL); the embedded redis-server is for single-machine runs outside it.

FROM python:3.11.10-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/feedwatch
COPY requirements.lock ./
RUN /opt/feedwatch/bin/pip install --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY service ./service
COPY workers ./workers
RUN /opt/feedwatch/bin/pip install --no-deps .

FROM python:3.11.10-slim-bookworm
LABEL org.opencontainers.image.title="feedwatch" \
      org.opencontainers.image.description="Feed monitoring: one alert per story, across syndicated copies" \
      org.opencontainers.image.source="https://github.com/feedwatch/feedwatch" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="0.1.0"
RUN groupadd --system --gid 10001 feedwatch \
    && useradd --system --uid 10001 --gid feedwatch --home-dir /var/lib/feedwatch --create-home feedwatch
COPY --from=build /opt/feedwatch /opt/feedwatch
COPY config /etc/feedwatch
ENV PATH=/opt/feedwatch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FEEDWATCH_CONFIG=/etc/feedwatch/feedwatch.yaml \
    FEEDWATCH_HTTP_HOST=0.0.0.0 \
    XDG_STATE_HOME=/var/lib/feedwatch
USER 10001:10001
WORKDIR /var/lib/feedwatch
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["feedwatch"]
CMD ["api"]
