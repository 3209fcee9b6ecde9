# The chm-search API image: `docker compose up` builds it (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Only what the package needs: no .git, no local data directory, no test or benchmark files.
COPY pyproject.toml README.md ./
COPY analyzers ./analyzers
COPY record_catalogue ./record_catalogue
COPY ingest ./ingest
COPY search_api ./search_api
COPY search_index ./search_index
COPY translate ./translate
# The postgres extra brings psycopg, which the compose stack's catalogue URL (postgresql+psycopg) needs.
RUN pip install ".[postgres]" \
    && useradd --create-home --uid 10001 chm \
    && mkdir -p /data /models/packages /glossary \
    && cp translate/data/glossary.csv /glossary/glossary.csv \
    && chown -R chm:chm /data /models /glossary

USER chm
ENV CHM_DATA_DIR=/data
EXPOSE 8000
CMD ["chm-search", "serve", "--host", "0.0.0.0", "--port", "8000"]
