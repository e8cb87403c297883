# syntax=docker/dockerfile:1
# The bot's image, after the uv Docker guide: dependencies installed from uv.lock in a build stage
# (bytecode compiled, the project itself non-editable), gettext catalogs compiled at build, and
# only the virtual environment copied into a slim runtime stage that runs as a non-root user.
# compose.yaml runs two replicas of it in webhook mode; docs/operations.md says how.
# CI lints this file with hadolint and checks that every path it copies exists (tests/deploy/).

FROM python:3.11-slim-trixie AS builder

# The same uv as the test extra's in uv.lock (tests/deploy/ checks that they agree).
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /uvx /bin/

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0

WORKDIR /app

# The dependencies alone first: this layer is rebuilt only when the lock changes.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-install-project --no-dev

# Then the project: the packages pyproject.toml names (tests, bench and the rest stay out).
COPY pyproject.toml uv.lock README.md ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY survey ./survey
COPY reports ./reports
COPY storage ./storage
COPY locales ./locales
COPY standin ./standin
COPY webapp ./webapp
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable

# The catalogs, compiled into the installed package (-I: not the copy in /app, the current
# folder), so that start-up finds them up to date.
RUN /app/.venv/bin/python -I -c "from bot.i18n import compile_catalogs; compile_catalogs()"


FROM python:3.11-slim-trixie

RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --home-dir /app --no-create-home bot

WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
RUN mkdir -p /app/data && chown 10001:10001 /app/data

# WEBHOOK_LISTEN_HOST: in a container the webhook server listens on every interface; the port
# is published (compose.yaml) to a reverse proxy that terminates TLS. LOG_FORMAT: one JSON
# object per line for the log collector. /app/data: the SQLite files when DATABASE_URL and
# REDIS_URL are not set (a single replica).
ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    WEBHOOK_LISTEN_HOST=0.0.0.0 \
    WEBHOOK_LISTEN_PORT=8080 \
    LOG_FORMAT=json

# The user "bot" created above, by number (so that runAsNonRoot-style checks can verify it).
USER 10001:10001
EXPOSE 8080

# In webhook mode GET /healthz; by long polling there is no server and it passes (bot/healthcheck.py).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]

# SIGTERM (docker stop): updates being handled get 8 s to finish, below Docker's 10 s.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
