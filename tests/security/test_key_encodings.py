"""A key with ``/ ~ ! + =`` is never printed in any form: the redactor knows every encoding a URL
or a JSON line may give it (aiohttp's query-string encoding keeps ``/ ~ !`` and encodes ``+ =``,
which plain ``quote``/``quote_plus`` do not match), and ``doctor`` shows none of them even when the
PBX echoes the request's URL back in its error page."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from urllib.parse import quote, quote_plus

import pytest
import yarl
from aiohttp import web

from bot.cli.doctor import run_doctor
from bot.config import Settings
from bot.logsetup import Redactor

KEY = "Ab/cd~ef!gh+ij=kl mn"


def encodings(secret: str) -> dict[str, str]:
    query = yarl.URL("https://pbx.example/socket.io/1/").with_query({"key": secret}).raw_query_string
    quoted = quote(secret, safe="")
    return {
        "raw": secret, "quote": quote(secret, safe=""), "quote_plus": quote_plus(secret),
        "aiohttp query": query.removeprefix("key="),
        "lower-case hex": re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quoted),
        "quoted twice": quote(quote(secret, safe=""), safe=""), "json": json.dumps(secret)[1:-1],
        "json ascii": json.dumps(secret + "é")[1:-7],
    }  # fmt: skip


@pytest.mark.parametrize("form", list(encodings(KEY)))
def test_every_encoding_of_a_secret_is_redacted(form: str) -> None:
    text = encodings(KEY)[form]
    line = Redactor([KEY])(f"GET https://pbx.example/?key={text}&domain=x failed")
    assert text not in line and "key=***&domain=x" in line, line


@pytest.fixture
async def echoing_pbx() -> AsyncIterator[str]:
    """A PBX whose handshake error page quotes the request line (a common proxy error page)."""

    async def echo(request: web.Request) -> web.Response:
        return web.Response(status=400, text=f"bad request {request.path_qs}")

    app = web.Application()
    app.router.add_get("/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_doctor_prints_the_key_in_no_encoding(echoing_pbx: str, tmp_path: object) -> None:
    settings = Settings(_env_file=None, onpbx_domain="x.onpbx.ru", onpbx_key=KEY, onpbx_url=echoing_pbx,
                        onpbx_api="2", onpbx_history="off", bot_db=f"{tmp_path}/bot.sqlite3")  # type: ignore[call-arg]
    out = io.StringIO()
    assert await run_doctor(settings, out) == 1
    printed = out.getvalue()
    assert "FAIL pbx" in printed and "HTTP 400" in printed, printed
    for form, text in encodings(KEY).items():
        assert text not in printed, f"the key leaked as {form}: {printed}"
