# One image for everything caseflow runs in production (see docker-compose.yml):
#   caseflow api         the HTTP API and dashboard (the default command)
#   caseflow worker      a Temporal worker
#   caseflow migrate     one-shot schema upgrade;   caseflow user add ...   issue a token
# Configuration comes from CASEFLOW_* environment variables (README, "Configuration").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CASEFLOW_API_HOST=0.0.0.0 \
    CASEFLOW_API_PORT=8000

# Sources are listed one by one, so no local data (.caseflow), .git or caches end up inside.
WORKDIR /src
COPY pyproject.toml README.md worker.py ./
COPY caseflow ./caseflow
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY migrations ./migrations
RUN pip install . \
    && rm -rf /src \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin caseflow

# Run from an empty directory as an unprivileged user: only the installed package is imported.
WORKDIR /home/caseflow
USER caseflow

EXPOSE 8000
CMD ["caseflow", "api"]
