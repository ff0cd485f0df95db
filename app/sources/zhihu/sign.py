"""Zhihu's `x-zse-96` request signature: md5 of "101_3_3.0+path+d_c0", SM4-structured, custom base64.

Pure functions, no I/O. `sign_headers(path, d_c0)` gives the headers every signed www API request
carries; the random pad byte `r` is a parameter so tests can pin it to the published vectors.
"""

from __future__ import annotations

import hashlib
import secrets
import struct

ZSE_93 = "101_3_3.0"
API_VERSION = "3.0.91"
APP_ZA = "OS=Web"

_ZK = struct.unpack(
    ">32I",
    bytes.fromhex(
        "45c62932 3d15f2fe 5442e14f eb8921c0 d256542e ae28cbde f7782b08 ee48a883 733e8d1a c61cdffb "
        "e7c6016a 1b713876 df5eeb0a 8f44a6ca 9beb07a3 7e564e94 870bcbcb 794d026c a54f723a ffaabf19 "
        "fb5d9cc3 832a8363 b5e884fa 5e2b60cf 4ec93b52 1b3a7714 ad0d330f f2551fdf 13ab7196 d0f96ade "
        "15ab9f7d 8be5d87b"
    ),
)
_ZB = bytes.fromhex(
    "14dff507f802c2d15706e3fdf080de5bed097d9de65dfccd5a4f90c79fc5baa727259cc6262a2ba8d9990f6750bd47bf"
    "6154f75f24450e230cab1c72b29456b620539e6d16ff5eee97554d7cfe12041a7bb0e8c183ac8f8e961e0a92a23ee0da"
    "c4e501c0d51b6e38e7b48a6bf2bb3678132c75e4d7cb35effb7f510b8560cc8429734937f99366307a916a764abe1d10"
    "ae05b1813f71631fa14cf622d30d3c44cfa0416f52a543a9e13970f49b33ecc8e93a3d2f6489b9401146eaa3db6caaa6"
    "3b95346918d44ead2d0074e27788ce87afc3195c79d07e8b034b8d158262f1289a42b831b52ef35865b7081748bc68b3"
    "d286fac9a459d8cadc32dd988c21ebd6"
)
_IV = bytes(b ^ 0x2A for b in b"059053f7d15e01d7")
_ALPHABET = "6fpLRqJO8M/c3jnYxFkUVC4ZIG12SiH=5v0mXDazWBTsuw7QetbKdoPyAl+hN9rgE"
_MASK = 0xFFFFFFFF

assert len(_ZK) == 32 and len(_ZB) == 256 and len(_ALPHABET) >= 64  # the 65th char is never indexed


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK


def _t(word: int) -> int:
    b = (
        _ZB[(word >> 24) & 0xFF] << 24
        | _ZB[(word >> 16) & 0xFF] << 16
        | _ZB[(word >> 8) & 0xFF] << 8
        | _ZB[word & 0xFF]
    )
    return b ^ _rotl(b, 2) ^ _rotl(b, 10) ^ _rotl(b, 18) ^ _rotl(b, 24)


def _encrypt_block(block: bytes) -> bytes:
    # block: 16 bytes -> 16 bytes, 32 SM4-style rounds with Zhihu's fixed round keys
    x = [int.from_bytes(block[i : i + 4], "big") for i in range(0, 16, 4)]
    for i in range(32):
        x.append(x[i] ^ _t(x[i + 1] ^ x[i + 2] ^ x[i + 3] ^ _ZK[i]))
    return b"".join(w.to_bytes(4, "big") for w in (x[35], x[34], x[33], x[32]))


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(p ^ q for p, q in zip(a, b, strict=True))


def signature_source(api_path: str, d_c0: str) -> str:
    """The string that is hashed: the API path+query exactly as requested, and d_c0 as sent."""
    return f"{ZSE_93}+{api_path}+{d_c0}"


def x_zse_96(api_path: str, d_c0: str, *, r: int | None = None) -> str:
    """The `x-zse-96` value ("2.0_" + 64 chars) for one request; `r` (0..126) is random unless given."""
    if r is None:
        r = secrets.randbelow(127)
    if not 0 <= r <= 126:
        raise ValueError(f"pad byte r must be in 0..126, not {r}")
    digest = hashlib.md5(signature_source(api_path, d_c0).encode("utf-8")).hexdigest()
    buf = bytes([r, 0]) + digest.encode("ascii") + bytes([0x0E]) * 14  # 48 bytes
    c0 = _encrypt_block(_xor(buf[0:16], _IV))
    c1 = _encrypt_block(_xor(buf[16:32], c0))
    c2 = _encrypt_block(_xor(buf[32:48], c1))
    d = bytearray(reversed(c0 + c1 + c2))
    for k in range(0, len(d), 4):
        d[k] ^= 0x3A
    out = []
    for k in range(0, len(d), 3):
        n = d[k] | d[k + 1] << 8 | d[k + 2] << 16
        out.extend(_ALPHABET[(n >> (6 * i)) & 63] for i in range(4))
    return "2.0_" + "".join(out)


def d_c0_from_cookies(cookies: dict[str, str]) -> str | None:
    """The d_c0 value as it will be sent (browsers keep the surrounding quotes, so do we)."""
    value = cookies.get("d_c0")
    return value or None


def sign_headers(api_path: str, d_c0: str, *, referer: str, r: int | None = None) -> dict[str, str]:
    """Every header a signed www.zhihu.com API request needs (besides cookie and user-agent)."""
    return {
        "x-api-version": API_VERSION,
        "x-zse-93": ZSE_93,
        "x-zse-96": x_zse_96(api_path, d_c0, r=r),
        "x-app-za": APP_ZA,
        "x-requested-with": "fetch",
        "Referer": referer,
    }


def parse_cookie_header(header: str) -> dict[str, str]:
    """A raw `Cookie:` header into name -> value (values verbatim, quotes kept)."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            cookies[name.strip()] = value.strip()
    return cookies


__all__ = [
    "API_VERSION",
    "APP_ZA",
    "ZSE_93",
    "d_c0_from_cookies",
    "parse_cookie_header",
    "sign_headers",
    "x_zse_96",
]
