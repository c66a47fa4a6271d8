#!/usr/bin/env bash
# Dev-only: installs what docs/screenshots needs (Debian's Chromium, and the pinned web components, fonts and emoji
# in ./node_modules). Nothing here is used by the bot or its tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

# Chromium, a colour emoji font for the few places text reaches the page unconverted (an embed author's name is an
# attribute of the component, so its emoji can't become Twemoji images), and libfaketime, which gives the bot
# process capture.py's virtual clock as its wall clock (so what the bot stamps itself is deterministic too).
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Color Emoji" \
    || ! ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium fonts-noto-color-emoji libfaketime
fi

# Exactly the versions in package-lock.json, into ./node_modules only.
npm ci --no-audit --no-fund

chromium --version 2>/dev/null | head -1
