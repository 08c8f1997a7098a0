# One image for the API, the worker and the one-shot admin commands.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY caseflow ./caseflow
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY migrations ./migrations
COPY worker.py ./
RUN pip install . && useradd --create-home --uid 10001 caseflow
USER caseflow

EXPOSE 8000
CMD ["caseflow", "api", "--host", "0.0.0.0", "--port", "8000"]
