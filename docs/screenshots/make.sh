#!/usr/bin/env bash
# Dev-only: regenerate every screenshot from the bot's own payloads.
#   docs/screenshots/make.sh            capture (runs the real bot against the fakes) then render every PNG
#   docs/screenshots/make.sh --render   render only, from the scenes.json already there
# PYTHON picks the interpreter that has the bot's requirements (default: .venv/bin/python, else python3).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
    if [ -x "$REPO/.venv/bin/python" ]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON="python3"; fi
fi
[ -d "$HERE/node_modules" ] && command -v chromium >/dev/null 2>&1 \
    && ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || "$HERE/setup.sh"
cd "$REPO"
if [ "${1:-}" != "--render" ]; then
    "$PYTHON" "$HERE/capture.py"
fi
"$PYTHON" "$HERE/render.py"
