"""`hearth cookies signin SITE` end to end: a real process opens the sign-in window (offscreen QtWebEngine)
on a local fake login page, the page signs in by itself, and the HttpOnly cookie lands in the real keyring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.vault import CookieVault
from tests.support.http import LocalServer, Reply, Request

ROOT = Path(__file__).resolve().parents[2]
AUTO_LOGIN = """<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="/login"><input name="user" value="me"></form></body></html>"""


def test_signin_command_stores_the_login_cookie(
    secret_service: object, server: LocalServer, tmp_path: Path
) -> None:
    server.route(
        "/signin",
        Reply(
            200, AUTO_LOGIN, {"Content-Type": "text/html", "Set-Cookie": "d_c0=abc123; Path=/; Max-Age=3600"}
        ),
    )

    def login(req: Request) -> Reply:
        return Reply(
            200,
            "<html><body>welcome</body></html>",
            {"Content-Type": "text/html", "Set-Cookie": "z_c0=login-secret; HttpOnly; Path=/; Max-Age=3600"},
        )

    server.route("/login", login)
    data = tmp_path / "data"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.pop("HEARTH_DATA_DIR", None)

    def hearth(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", "--data-dir", str(data), *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert hearth("config", "set", "zhihu.www_base", server.url("")).returncode == 0
    done = hearth("cookies", "signin", "zhihu.com")
    assert done.returncode == 0, done.stderr
    assert "signed in to zhihu.com" in done.stdout
    stored = CookieVault().get("zhihu.com")
    assert (
        stored is not None and stored.cookies["z_c0"] == "login-secret" and stored.cookies["d_c0"] == "abc123"
    )
    assert stored.user_agent and "QtWebEngine" not in stored.user_agent
    assert "login-secret" not in done.stdout + done.stderr
