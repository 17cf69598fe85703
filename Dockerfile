# Tandem API image. Build from the repository root:  docker build -t tandem .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PIP_ROOT_USER_ACTION=ignore \
    TANDEM_ENV=production \
    TANDEM_DATA_DIR=/home/tandem/data

RUN groupadd --system --gid 10001 tandem \
 && useradd --system --uid 10001 --gid tandem --create-home --home-dir /home/tandem \
        --shell /usr/sbin/nologin tandem

WORKDIR /app

# Dependencies first (cached until the lock changes): exact pins, every file hash-checked,
# wheels only (the slim image has no compiler; the lock has wheels for x86_64 and aarch64).
COPY requirements.lock ./
RUN pip install --require-hashes --only-binary=:all: -r requirements.lock

# Then the project itself, without dependencies (they all came from the lock).
COPY . .
RUN pip install --no-deps . \
 && rm -rf build *.egg-info

USER tandem

EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["tandem", "serve", "--host", "0.0.0.0", "--port", "8000"]
