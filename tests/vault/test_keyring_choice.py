"""With no OS keyring Hearth says so and lists the choices; it never falls back to plain text on its own,
and keeps cookies in a plain-text keyring only when the user named that backend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from keyring.backends import chainer, fail

from app.errors import VaultError
from app.vault import CookieVault
from tests.vault.plaintext_backend import PlaintextKeyring

ROOT = Path(__file__).resolve().parents[2]
COOKIE = "z_c0=2|1:0|10:1700000000|4:z_c0|92:c2VjcmV0|f00d; d_c0=AGDf|1690000000"
SECRET = "c2VjcmV0"


@pytest.fixture
def plaintext(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PlaintextKeyring:
    monkeypatch.setenv("HEARTH_TEST_PLAINTEXT_KEYRING", str(tmp_path / "keyring_pass.cfg"))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-keyringrc"))  # no keyring config file either
    return PlaintextKeyring()


def test_no_keyring_at_all_says_so_with_the_choices() -> None:
    with pytest.raises(VaultError, match="no OS keyring") as err:
        CookieVault(fail.Keyring()).set("zhihu.com", {"z_c0": SECRET})
    hint = err.value.hint
    assert "gnome-keyring or KWallet" in hint and "EncryptedKeyring" in hint and "PlaintextKeyring" in hint
    assert SECRET not in err.value.user_message()


def test_a_plain_text_keyring_picked_automatically_is_refused(plaintext: PlaintextKeyring) -> None:
    class Chain(chainer.ChainerBackend):  # keyring's chain, holding what it would find on such a machine
        backends = (fail.Keyring(), plaintext)  # type: ignore[assignment]

    for backend in (plaintext, Chain()):
        with pytest.raises(VaultError, match="will not put cookies in plain text") as err:
            CookieVault(backend).set("zhihu.com", {"z_c0": SECRET})
        assert plaintext.file_path in err.value.user_message() and "PYTHON_KEYRING_BACKEND" in err.value.hint
    assert not Path(plaintext.file_path).exists()  # nothing was written, not even the site index


def test_a_plain_text_keyring_the_user_named_is_used(
    plaintext: PlaintextKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.vault.plaintext_backend.PlaintextKeyring")
    vault = CookieVault(plaintext)
    vault.set("zhihu.com", {"z_c0": SECRET})
    assert vault.get("zhihu.com").cookies == {"z_c0": SECRET}  # type: ignore[union-attr]
    info = vault.backend_info()
    assert info.kind == "plaintext" and info.chosen and plaintext.file_path in info.describe()


def _cookies_set(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "HEARTH_TEST_PLAINTEXT_KEYRING": str(tmp_path / "kr.cfg"),
            "XDG_CONFIG_HOME": str(tmp_path / "cfg"), **env}  # fmt: skip
    full.pop("HEARTH_DATA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(tmp_path / "data"), "cookies", "set", "zhihu.com"],
        input=COOKIE,
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        cwd=ROOT,
    )


def test_the_cli_refuses_without_a_keyring_and_notes_an_explicit_plain_text_choice(tmp_path: Path) -> None:
    none = _cookies_set(tmp_path, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    assert none.returncode == 1 and none.stderr.startswith("hearth: there is no OS keyring")
    assert "Traceback" not in none.stderr and SECRET not in none.stderr + none.stdout
    chosen = _cookies_set(tmp_path, PYTHON_KEYRING_BACKEND="tests.vault.plaintext_backend.PlaintextKeyring")
    assert chosen.returncode == 0, chosen.stderr
    assert "stored 2 cookies for zhihu.com" in chosen.stdout
    assert f"note: they are in a plain-text file at {tmp_path / 'kr.cfg'}" in chosen.stdout
    assert SECRET in (tmp_path / "kr.cfg").read_text("utf-8")  # where the user asked for it
