"""`hearth model info|generate|bench|make-random`: look inside an RWKV checkpoint, run it from the terminal,
measure its speed, or write a random one for tests. app.ai (and torch) are imported only when a verb runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from app.config import Key
from app.errors import ModelLoadError
from app.i18n import _, ngettext
from app.sizes import format_size

if TYPE_CHECKING:
    from app.ai.checkpoint import CheckpointInfo
    from app.commands.context import Context

DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "fp32", "bf16", "fp16", "int8", "int4")
KERNELS = ("auto", "avx512", "avx2", "neondot", "neon", "portable", "torch")
VERSIONS = ("4", "5.2", "6", "7")


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(_("must be >= 0, not {text}").format(text=text))
    return value


def _probability(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(_("must be between 0 and 1, not {text}").format(text=text))
    return value


def _decay(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(_("must be in (0, 1], not {text}").format(text=text))
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(_("must be >= 0, not {text}").format(text=text))
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(_("must be > 0, not {text}").format(text=text))
    return value


def _add_runtime_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=DEVICES, help=_("where to run (default: setting ai.device)"))
    parser.add_argument("--dtype", choices=DTYPES, help=_("weight precision (default: setting ai.dtype)"))
    parser.add_argument(
        "--threads", type=_count, help=_("CPU threads, 0 = all cores (default: setting ai.threads)")
    )
    parser.add_argument(
        "--kernels",
        choices=KERNELS,
        help=_("CPU kernels: a native variant or torch ops (default: setting ai.kernels)"),
    )


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("model", help=_("inspect, run and benchmark local RWKV models"))
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    info = verbs.add_parser("info", help=_("what a checkpoint holds (reads shapes only, not the weights)"))
    info.add_argument("path", type=Path)
    info.add_argument("--json", action="store_true", help=_("print JSON"))
    _add_runtime_options(info)
    info.set_defaults(func=cmd_info)

    gen = verbs.add_parser("generate", help=_("continue a prompt, streaming the text"))
    gen.add_argument("path", type=Path)
    source = gen.add_mutually_exclusive_group(required=True)
    source.add_argument("--prompt", help=_("the prompt text ('-' reads stdin)"))
    source.add_argument("--prompt-file", type=Path, help=_("read the prompt from a UTF-8 file"))
    gen.add_argument(
        "--chat",
        action="store_true",
        help=_("wrap the prompt as 'User: ...\\n\\nAssistant:' and stop at '\\n\\n'"),
    )
    gen.add_argument("--max-tokens", type=_count, default=200)
    gen.add_argument("--temperature", type=_non_negative_float, default=1.0, help=_("0 = greedy"))
    gen.add_argument("--top-p", type=_probability, default=0.3)
    gen.add_argument("--top-k", type=_count, default=0, help=_("0 = off"))
    gen.add_argument("--presence-penalty", type=float, help=_("default 0 (0.5 with --chat)"))
    gen.add_argument("--frequency-penalty", type=float, help=_("default 0 (0.5 with --chat)"))
    gen.add_argument("--penalty-decay", type=_decay, default=0.996, help=_("per token (default 0.996)"))
    gen.add_argument(
        "--stop", action="append", default=None, help=_("stop string (repeatable; escapes like \\n work)")
    )
    gen.add_argument("--seed", type=int, help=_("makes sampling reproducible"))
    gen.add_argument(
        "--ids", action="store_true", help=_("print the generated token ids instead of the text")
    )
    _add_runtime_options(gen)
    gen.set_defaults(func=cmd_generate)

    bench = verbs.add_parser("bench", help=_("prefill and decode speed as JSON"))
    bench.add_argument("path", type=Path)
    bench.add_argument("--prefill", type=_positive, default=512, help=_("prompt tokens (default 512)"))
    bench.add_argument("--decode", type=_positive, default=64, help=_("generated tokens (default 64)"))
    _add_runtime_options(bench)
    bench.set_defaults(func=cmd_bench)

    rnd = verbs.add_parser("make-random", help=_("write a random fp32 checkpoint (tests, benchmarks)"))
    rnd.add_argument("--version", choices=VERSIONS, required=True)
    rnd.add_argument("--layers", type=_positive, required=True)
    rnd.add_argument("--width", type=_positive, required=True, help=_("n_embd"))
    rnd.add_argument("--vocab", type=_positive, default=65536)
    rnd.add_argument("--head-size", type=_positive, default=64)
    rnd.add_argument("--seed", type=int, default=0)
    rnd.add_argument("out", type=Path, help=_("output file (.pth, or .safetensors)"))
    rnd.set_defaults(func=cmd_make_random)

    use = verbs.add_parser("use", help=_("make a model file the active one (checks it, sets ai.model_path)"))
    use.add_argument("path", type=Path)
    use.set_defaults(func=cmd_use)


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- info -------------------------------------------------------------------------------------------------
def cmd_info(ctx: Context, args: argparse.Namespace) -> int:
    from app.ai.checkpoint import inspect_checkpoint

    info = inspect_checkpoint(_existing(args.path))
    facts = describe_info(info)
    plan = _plan(ctx, args, info)
    facts["plan"] = plan.as_dict()
    if args.json:
        ctx.print(json.dumps(facts, indent=2))
        return 0
    size = _existing(args.path).stat().st_size
    heads = f"{info.n_head} × {info.head_size}" if info.n_head else _("— (RWKV-4 has no heads)")
    lora = " ".join(f"{k}={v}" for k, v in info.lora.items()) or "—"
    memory = " · ".join(f"{dt} {format_size(n)}" for dt, n in facts["memory_bytes"].items())
    rows = [
        (_("file"), f"{info.path} ({format_size(size)})"),
        (_("generation"), f"RWKV-{info.version}"),
        (_("layers"), info.n_layer),
        (_("width"), info.n_embd),
        (_("heads"), heads),
        ("ffn", info.ffn_dim),
        (
            _("vocab"),
            _("{size} ({tokenizer} tokenizer)").format(size=info.vocab_size, tokenizer=info.tokenizer),
        ),
        (_("parameters"), f"{info.params / 1e6:.1f} M ({info.params:,})"),
        (_("file dtype"), info.file_dtype),
        ("lora", lora),
        (_("tuned state"), _("yes") if info.has_time_state else _("no")),
        (_("memory"), memory),
        (_("plan"), plan.summary()),
        *(("", why) for why in plan.why),
    ]
    width = max(12, *(_columns(str(label)) for label, _value in rows))
    for label, value in rows:  # labels padded by terminal columns: a Chinese character takes two
        ctx.print(f"{label}{' ' * (width - _columns(str(label)))} {value}")
    return 0


def describe_info(info: CheckpointInfo) -> dict:
    return {
        "path": str(info.path),
        "version": info.version,
        "layers": info.n_layer,
        "width": info.n_embd,
        "heads": info.n_head,
        "head_size": info.head_size,
        "ffn_dim": info.ffn_dim,
        "vocab": info.vocab_size,
        "tokenizer": info.tokenizer,
        "params": info.params,
        "file_dtype": info.file_dtype,
        "lora": dict(info.lora),
        "has_time_state": info.has_time_state,
        "memory_bytes": {dt: info.memory_needed(dt) for dt in ("fp32", "bf16", "fp16", "int8", "int4")},
    }


# --- generate ---------------------------------------------------------------------------------------------
def cmd_generate(ctx: Context, args: argparse.Namespace) -> int:
    from app.ai.generate import generate
    from app.ai.prompts import CHAT_STOP, chat_prompt, free_prompt
    from app.ai.sampler import SamplingParams
    from app.ai.tokenizer import tokenizer_for

    text = _read_prompt(args)
    model = _load(ctx, args)
    tokenizer = tokenizer_for(model.info)
    prompt = chat_prompt([("user", text)]) if args.chat else free_prompt(text)
    default_penalty = 0.5 if args.chat else 0.0
    stops = tuple(_unescape(s) for s in args.stop) if args.stop else (CHAT_STOP if args.chat else ())
    params = SamplingParams(
        temperature=args.temperature,
        top_p=args.top_p,
        top_k=args.top_k,
        presence_penalty=default_penalty if args.presence_penalty is None else args.presence_penalty,
        frequency_penalty=default_penalty if args.frequency_penalty is None else args.frequency_penalty,
        penalty_decay=args.penalty_decay,
        max_tokens=args.max_tokens,
        stop=stops,
        seed=args.seed,
    )
    cancel = threading.Event()
    on_text = None if args.ids else (lambda piece: ctx.print(piece, end=""))
    with _ctrl_c_cancels(cancel):
        result = generate(model, tokenizer, prompt, params, on_text=on_text, cancel=cancel)
    if args.ids:
        ctx.print(" ".join(str(i) for i in result.token_ids))
    else:
        ctx.print("")
    ctx.err.write(
        "["
        + ngettext("{n} token", "{n} tokens", len(result.token_ids)).format(n=len(result.token_ids))
        + _(", {reason}; prompt {prompt} at {prefill:.1f} tok/s, decode {decode:.1f} tok/s").format(
            reason=result.finish_reason,
            prompt=ngettext("{n} token", "{n} tokens", result.prompt_tokens).format(n=result.prompt_tokens),
            prefill=result.prefill_tokens_per_s,
            decode=result.decode_tokens_per_s,
        )
        + "]\n"
    )
    return 0


def _read_prompt(args: argparse.Namespace) -> str:
    if args.prompt_file is not None:
        try:
            return args.prompt_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelLoadError(
                _("cannot read the prompt file {path}: {reason}").format(path=args.prompt_file, reason=exc)
            ) from None
    if args.prompt == "-":
        return sys.stdin.read()
    return args.prompt


@contextlib.contextmanager
def _ctrl_c_cancels(cancel: threading.Event) -> Iterator[None]:
    """The first Ctrl-C stops generation after the current token (the text so far stays); a second one aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum: int, frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _unescape(text: str) -> str:
    return text.replace("\\n", "\n").replace("\\t", "\t")


# --- bench ------------------------------------------------------------------------------------------------
def cmd_bench(ctx: Context, args: argparse.Namespace) -> int:
    from app.ai.generate import measure_speed

    started = time.perf_counter()
    model = _load(ctx, args)
    load_s = time.perf_counter() - started
    result = measure_speed(model, prefill_tokens=args.prefill, decode_tokens=args.decode)
    info = model.info
    result = {
        "model": str(info.path),
        "layers": info.n_layer,
        "width": info.n_embd,
        "params": info.params,
        "load_s": round(load_s, 3),
        **result,
        "native_kernels": model.native_reason or "on",
        "plan": model.plan.as_dict(),
    }
    ctx.print(json.dumps(result))
    return 0


# --- make-random ------------------------------------------------------------------------------------------
def cmd_make_random(ctx: Context, args: argparse.Namespace) -> int:
    from app.ai.make_random import make_random_checkpoint

    if args.version != "4" and args.width % args.head_size:
        raise ModelLoadError(
            _("--width {width} is not a multiple of --head-size {head_size}").format(
                width=args.width, head_size=args.head_size
            ),
            hint=_("RWKV-5/6/7 split the width into heads: e.g. --width 256 --head-size 64"),
        )
    fmt = "safetensors" if args.out.suffix == ".safetensors" else "pth"
    out = make_random_checkpoint(
        args.out,
        version=args.version,
        n_layer=args.layers,
        n_embd=args.width,
        vocab_size=args.vocab,
        head_size=args.head_size,
        seed=args.seed,
        fmt=fmt,
    )
    ctx.print(str(out))
    return 0


# --- helpers ----------------------------------------------------------------------------------------------
def _existing(path: Path) -> Path:
    path = path.expanduser()
    if not path.is_file():
        raise ModelLoadError(
            _("model file not found: {path}").format(path=path),
            hint=_("give the path of a .pth or .safetensors file"),
        )
    return path


def _runtime(ctx: Context, args: argparse.Namespace) -> dict:
    settings = ctx.settings
    return {
        "device": args.device or settings.get(Key.AI_DEVICE),
        "dtype": args.dtype or settings.get(Key.AI_DTYPE),
        "kernels": args.kernels or settings.get(Key.AI_KERNELS),
        "threads": settings.get(Key.AI_THREADS) if args.threads is None else args.threads,
    }


def _plan(ctx: Context, args: argparse.Namespace, info: CheckpointInfo):
    from app.ai.plan import plan_for

    return plan_for(info, **_runtime(ctx, args))


def _load(ctx: Context, args: argparse.Namespace):
    from app.ai.model import load_model

    return load_model(_existing(args.path), **_runtime(ctx, args))


# --- use --------------------------------------------------------------------------------------------------
def cmd_use(ctx: Context, args: argparse.Namespace) -> int:
    from app.ai.checkpoint import inspect_checkpoint

    path = _existing(args.path).resolve()
    info = inspect_checkpoint(path)
    ctx.settings.set(Key.AI_MODEL_PATH, str(path))
    ctx.settings.save()
    ctx.print(
        _("active model: {name} (RWKV-{version}, {millions:.1f} M parameters)").format(
            name=path.name, version=info.version, millions=info.params / 1e6
        )
    )
    return 0
