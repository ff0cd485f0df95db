"""What only the desktop app can do reaches the CLI through `Windows`, handed in by app.__main__: without
it `hearth` prints its help and `hearth cookies signin` says it needs the app; with it, both go through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import Windows, run
from app.config import Paths, Settings


def test_without_the_desktop_app_no_command_prints_the_help(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--data-dir", str(data_dir)]) == 0
    assert "usage: hearth" in capsys.readouterr().out


def test_without_the_desktop_app_signin_is_a_one_line_error(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--data-dir", str(data_dir), "cookies", "signin", "zhihu.com"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hearth: the sign-in window needs Hearth's desktop app") and "Traceback" not in err
    assert "hearth cookies set" in err


def test_the_entry_point_s_windows_start_the_app_and_sign_in(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started: list[tuple[Path, list[str]]] = []
    signed: list[tuple[Path, str]] = []

    def start(paths: Paths, argv: list[str]) -> int:
        started.append((paths.data_dir, argv))
        return 7

    def sign_in(paths: Paths, settings: Settings, site: str) -> bool:
        assert isinstance(settings, Settings)
        signed.append((paths.data_dir, site))
        return site == "zhihu.com"

    windows = Windows(start=start, sign_in=sign_in)
    assert run(["--data-dir", str(data_dir)], windows=windows) == 7
    assert started == [(data_dir, ["--data-dir", str(data_dir)])]
    assert run(["--data-dir", str(data_dir), "cookies", "signin", "ZHIHU.com"], windows=windows) == 0
    assert "signed in to zhihu.com" in capsys.readouterr().out
    assert run(["--data-dir", str(data_dir), "cookies", "signin", "weibo.com"], windows=windows) == 1
    assert "was cancelled" in capsys.readouterr().out
    assert signed == [(data_dir, "zhihu.com"), (data_dir, "weibo.com")]
