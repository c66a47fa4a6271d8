from __future__ import annotations

import io
import logging

from bot.logs import RedactingFormatter

TOKEN = "MTIzNDU2Nzg5.fake.token-value-for-tests"
KEY = "series-secret-key-42"


def emit(formatter: RedactingFormatter, *args, exc: BaseException | None = None) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("redaction-test")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    if exc is not None:
        try:
            raise exc
        except type(exc):
            logger.exception(*args)
    else:
        logger.info(*args)
    return stream.getvalue()


def test_secrets_are_redacted_from_messages_and_tracebacks():
    formatter = RedactingFormatter([TOKEN, KEY])
    out = emit(formatter, "calling %s with %s", f"https://x/basic/check-key/{KEY}", TOKEN)
    assert KEY not in out and TOKEN not in out and out.count("[redacted]") == 2
    out = emit(formatter, "boom", exc=RuntimeError(f"header apikey={KEY} token={TOKEN}"))
    assert KEY not in out and TOKEN not in out and "RuntimeError" in out


def test_short_or_empty_secrets_are_ignored():
    formatter = RedactingFormatter(["", "ab"])
    assert "ab" in emit(formatter, "abc")
