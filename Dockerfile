# Ticket Bridge in a container. With compose: `docker compose up -d --build` (compose.yaml). Without:
#   docker build -t ticket-bridge .
#   docker run -d --name ticket-bridge --env-file .env -v ticket-bridge-data:/data --restart unless-stopped ticket-bridge
# The database lives on the /data volume; settings come from the environment (never baked into the image).
ARG PYTHON_IMAGE=python:3.12-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    DATABASE_PATH=/data/bot.db

# A virtual environment (the same on python:slim and on a distribution's Python) and an unprivileged user that
# owns only the data folder.
RUN python3 -m venv /opt/venv \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin bridge \
    && mkdir -p /app /data \
    && chown bridge:bridge /data

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY bot ./bot
COPY cogs ./cogs

USER bridge
VOLUME ["/data"]
# Healthy while the bot renews its database lease and has Discord (python -m bot --health; see bot/health.py).
HEALTHCHECK --interval=60s --timeout=20s --start-period=120s --retries=3 CMD ["python", "-m", "bot", "--health"]
# SIGTERM lets replies in flight finish (up to 20 s) before the bot disconnects.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
