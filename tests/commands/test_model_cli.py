"""`hearth model ...` end to end: make-random -> info -> generate (text and --ids) -> bench, and the errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli-model") / "tiny7.pth"
    assert (
        run(
            [
                "model",
                "make-random",
                "--version",
                "7",
                "--layers",
                "2",
                "--width",
                "128",
                "--seed",
                "3",
                str(out),
            ]
        )
        == 0
    )
    return out


def hearth(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_make_random_writes_the_file(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = hearth(
        capsys,
        "model",
        "make-random",
        "--version",
        "5.2",
        "--layers",
        "1",
        "--width",
        "64",
        "--vocab",
        "300",
        str(tmp_path / "r"),
    )
    assert code == 0 and out.strip() == str(tmp_path / "r.pth")
    assert (tmp_path / "r.pth").stat().st_size > 0
    code, out, _ = hearth(
        capsys,
        "model",
        "make-random",
        "--version",
        "6",
        "--layers",
        "1",
        "--width",
        "64",
        "--vocab",
        "300",
        str(tmp_path / "r.safetensors"),
    )
    assert code == 0 and Path(out.strip()).suffix == ".safetensors"


def test_info(data_dir: Path, capsys: pytest.CaptureFixture[str], checkpoint: Path) -> None:
    code, out, _ = hearth(capsys, "model", "info", str(checkpoint))
    assert code == 0
    lines = dict(
        line.split(None, 1)
        for line in out.splitlines()
        if line.strip() and not line.startswith(("file ", "tuned"))
    )
    assert lines["generation"].strip() == "RWKV-7"
    assert lines["layers"].strip() == "2" and lines["width"].strip() == "128"
    assert lines["heads"].strip() == "2 × 64"
    assert lines["vocab"].strip() == "65536 (world tokenizer)"
    assert "fp32" in lines["memory"] and "int8" in lines["memory"]
    code, out, _ = hearth(capsys, "model", "info", "--json", str(checkpoint))
    facts = json.loads(out)
    assert (facts["version"], facts["layers"], facts["width"], facts["heads"], facts["head_size"]) == (
        "7",
        2,
        128,
        2,
        64,
    )
    assert facts["vocab"] == 65536 and facts["file_dtype"] == "fp32"
    assert facts["memory_bytes"]["fp32"] == facts["params"] * 4


def test_generate_greedy_ids_match_the_library(
    data_dir: Path, capsys: pytest.CaptureFixture[str], checkpoint: Path
) -> None:
    from app.ai.generate import generate
    from app.ai.model import load_model
    from app.ai.sampler import GREEDY
    from app.ai.tokenizer import WorldTokenizer

    code, out, err = hearth(
        capsys,
        "model",
        "generate",
        str(checkpoint),
        "--prompt",
        "User: hi\n\nAssistant:",
        "--temperature",
        "0",
        "--max-tokens",
        "10",
        "--ids",
        "--device",
        "cpu",
        "--dtype",
        "fp32",
    )
    assert code == 0
    ids = [int(x) for x in out.split()]
    assert len(ids) == 10
    model = load_model(checkpoint, device="cpu", dtype="fp32")
    expected = generate(
        model, WorldTokenizer.default(), "User: hi\n\nAssistant:", GREEDY.with_(max_tokens=10, stop=())
    )
    assert ids == expected.token_ids
    assert "10 tokens, length; prompt 7 tokens" in err

    code, out, _ = hearth(
        capsys,
        "model",
        "generate",
        str(checkpoint),
        "--prompt",
        "User: hi\n\nAssistant:",
        "--temperature",
        "0",
        "--max-tokens",
        "10",
        "--dtype",
        "fp32",  # auto is int8 on the CPU (app/ai/plan.py)
    )
    assert code == 0 and out == WorldTokenizer.default().decode(ids) + "\n"


def test_generate_sampling_with_a_seed_is_reproducible(
    data_dir: Path, capsys: pytest.CaptureFixture[str], checkpoint: Path
) -> None:
    argv = [
        "model",
        "generate",
        str(checkpoint),
        "--prompt",
        "Once",
        "--top-p",
        "0.9",
        "--max-tokens",
        "6",
        "--ids",
    ]
    first = hearth(capsys, *argv, "--seed", "7")[1]
    again = hearth(capsys, *argv, "--seed", "7")[1]
    other = hearth(capsys, *argv, "--seed", "8")[1]
    assert first == again != other


def test_generate_chat_and_prompt_sources(
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    checkpoint: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = hearth(
        capsys, "model", "generate", str(checkpoint), "--prompt", "hi", "--chat", "--max-tokens", "2"
    )
    assert code == 0 and "prompt 7 tokens" in err  # "User: hi\n\nAssistant:"
    prompt_file = tmp_path / "p.txt"
    prompt_file.write_text("User: hi\n\nAssistant:", encoding="utf-8")
    code, _, err = hearth(
        capsys, "model", "generate", str(checkpoint), "--prompt-file", str(prompt_file), "--max-tokens", "1"
    )
    assert code == 0 and "prompt 7 tokens" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("User: hi"))
    code, _, err = hearth(capsys, "model", "generate", str(checkpoint), "--prompt", "-", "--max-tokens", "1")
    assert code == 0 and "prompt 3 tokens" in err  # "User: hi"


def test_bench_prints_json(data_dir: Path, capsys: pytest.CaptureFixture[str], checkpoint: Path) -> None:
    code, out, _ = hearth(capsys, "model", "bench", str(checkpoint), "--prefill", "32", "--decode", "4")
    assert code == 0
    result = json.loads(out)
    assert result["prefill_tokens"] == 32 and result["decode_tokens"] == 4
    assert result["prefill_tokens_per_s"] > 0 and result["decode_tokens_per_s"] > 0
    assert result["version"] == "7" and result["device"] == "cpu"
    assert isinstance(result["native_kernels"], str) and result["native_kernels"]  # "on", or why not


@pytest.mark.parametrize("verb", ["info", "generate", "bench"])
def test_wrong_model_file_is_one_clear_line(
    data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, verb: str
) -> None:
    bad = tmp_path / "notes.pth"
    bad.write_text("this is not a checkpoint, just some text that is long enough", encoding="utf-8")
    extra = ["--prompt", "x"] if verb == "generate" else []
    code, out, err = hearth(capsys, "model", verb, str(bad), *extra)
    assert code == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("hearth: ") and "notes.pth" in err
    code, _, err = hearth(capsys, "model", verb, str(tmp_path / "missing.pth"), *extra)
    assert code == 1 and "not found" in err


def test_not_an_rwkv_state_dict(data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import torch

    path = tmp_path / "other.pth"
    torch.save({"linear.weight": torch.zeros(2, 2)}, path)
    code, _, err = hearth(capsys, "model", "info", str(path))
    assert code == 1 and "not an RWKV checkpoint" in err and len(err.strip().splitlines()) == 1


def test_make_random_bad_shape(data_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = hearth(
        capsys,
        "model",
        "make-random",
        "--version",
        "7",
        "--layers",
        "1",
        "--width",
        "100",
        str(tmp_path / "x"),
    )
    assert code == 1 and "multiple of --head-size" in err


@pytest.mark.parametrize("option", [["--temperature", "-1"], ["--top-p", "2"], ["--max-tokens", "-3"]])
def test_bad_sampling_options_are_usage_errors(
    capsys: pytest.CaptureFixture[str], checkpoint: Path, option: list[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        run(["model", "generate", str(checkpoint), "--prompt", "x", *option])
    assert exc.value.code == 2


def test_registering_the_model_command_does_not_import_torch() -> None:
    code = "import sys, app.cli; app.cli.build_parser(); import app.commands.model; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_ctrl_c_stops_generation_and_keeps_the_text(checkpoint: Path, tmp_path: Path) -> None:
    import os
    import signal

    env = dict(os.environ, HEARTH_DATA_DIR=str(tmp_path))
    argv = [
        sys.executable,
        "-m",
        "app",
        "model",
        "generate",
        str(checkpoint),
        "--prompt",
        "Once",
        "--max-tokens",
        "100000",
    ]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        first = proc.stdout.read(1)  # the first streamed byte: generation is running
        assert first
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert b"cancelled" in err
    assert len(first + out) > 0
