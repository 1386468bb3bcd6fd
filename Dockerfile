# The UN–Tajikistan partnership bot. Build: docker build -t un-tj-bot .
# Run:   docker run -d --name un-tj-bot --env-file .env -v un-tj-data:/data un-tj-bot
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
# With the postgres extra (asyncpg, ~12 MB): the same image runs on SQLite (DATABASE_PATH)
# or, when DATABASE_URL is set, on PostgreSQL (docs/DEPLOY.md).
RUN python -m venv /venv && /venv/bin/pip install ".[postgres]"
COPY locales ./locales
# Catalogs compiled at build: the bot then loads .mo files instead of compiling .po at start.
RUN /venv/bin/pybabel compile -d locales

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_PATH=/data/bot.sqlite3 \
    LOG_FORMAT=json \
    MPLCONFIGDIR=/tmp/matplotlib
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin bot \
    && mkdir -p /data \
    && chown bot:bot /data
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build /src/locales ./locales
COPY bot ./bot
COPY handlers ./handlers
COPY content ./content
USER bot
VOLUME ["/data"]
# Healthy: database reachable, content loaded, heartbeat and a Bot API answer in the last 2 min.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
# PTB stops polling/webhook on SIGTERM; the sender finishes or releases what is in flight.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
