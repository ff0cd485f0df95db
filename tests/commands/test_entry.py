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


def test_a_plain_launch_reads_its_options_without_importing_the_commands(data_dir: Path) -> None:
    """`hearth [--data-dir D] [-v]` (the window) needs no command module: building the full parser imported
    all of them (~60 ms of the launch, lxml among them). A command, --help or a mistake still gets it."""
    import json
    import subprocess
    import sys

    code = """
import json, sys
from app.__main__ import _preparse
from app.cli import Windows, run
seen = {}
def start(paths, argv):
    seen["data_dir"] = str(paths.data_dir)
    seen["commands"] = sorted(m for m in sys.modules if m.startswith("app.commands.") and m != "app.commands.context")
    return 0
args = _preparse(sys.argv[1:])
seen["verbose"], seen["desktop"] = args.verbose, args.install_desktop_entry
run(sys.argv[1:], windows=Windows(start=start, sign_in=lambda *a: False))
print(json.dumps(seen))
"""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code, "--data-dir", str(data_dir), "-vv"],
        cwd=root, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"data_dir": str(data_dir), "commands": [], "verbose": 2, "desktop": False}
    for argv, expected in ((["--help"], "COMMAND"), (["--bogus"], "unrecognized arguments: --bogus")):
        out = subprocess.run(
            [sys.executable, "-m", "app", *argv], cwd=root, capture_output=True, text=True, timeout=60
        )
        assert expected in out.stdout + out.stderr  # the full parser's help and errors
    version = subprocess.run(
        [sys.executable, "-m", "app", "--version"], cwd=root, capture_output=True, text=True
    )
    assert version.stdout.startswith("hearth ")
