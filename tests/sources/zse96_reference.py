"""An independent x-zse-96 for the tests, written from the published algorithm and vectors.

Source: ../shared/research/zhihu-and-cookie-sites.md ("x-zse-96", steps 1-10, and its test vectors).
It deliberately shares no code with `app.sources.zhihu.sign`: the fake Zhihu verifies a request by
*decrypting* its header (the cipher run backwards) and checking the plaintext, so a Hearth signer that
is wrong in any step fails against it, and `reference_sign` is a second, separately written encoder
that must reproduce the published vectors byte for byte.
"""

from __future__ import annotations

import hashlib

PREFIX = "2.0_"
SOURCE_VERSION = "101_3_3.0"
# as published (65 characters); `& 63` means only the first 64 are ever emitted
ALPHABET = "6fpLRqJO8M/c3jnYxFkUVC4ZIG12SiH=5v0mXDazWBTsuw7QetbKdoPyAl+hN9rgE"[:64]
IV_TEXT = b"059053f7d15e01d7"
_ROUND_KEYS_HEX = (
    "45c62932 3d15f2fe 5442e14f eb8921c0 d256542e ae28cbde f7782b08 ee48a883 "
    "733e8d1a c61cdffb e7c6016a 1b713876 df5eeb0a 8f44a6ca 9beb07a3 7e564e94 "
    "870bcbcb 794d026c a54f723a ffaabf19 fb5d9cc3 832a8363 b5e884fa 5e2b60cf "
    "4ec93b52 1b3a7714 ad0d330f f2551fdf 13ab7196 d0f96ade 15ab9f7d 8be5d87b"
)
ROUND_KEYS = [int(word, 16) for word in _ROUND_KEYS_HEX.split()]
SBOX = bytes.fromhex(
    "14dff507f802c2d15706e3fdf080de5bed097d9de65dfccd5a4f90c79fc5baa727259cc6262a2ba8d9990f6750bd47bf"
    "6154f75f24450e230cab1c72b29456b620539e6d16ff5eee97554d7cfe12041a7bb0e8c183ac8f8e961e0a92a23ee0da"
    "c4e501c0d51b6e38e7b48a6bf2bb3678132c75e4d7cb35effb7f510b8560cc8429734937f99366307a916a764abe1d10"
    "ae05b1813f71631fa14cf622d30d3c44cfa0416f52a543a9e13970f49b33ecc8e93a3d2f6489b9401146eaa3db6caaa6"
    "3b95346918d44ead2d0074e27788ce87afc3195c79d07e8b034b8d158262f1289a42b831b52ef35865b7081748bc68b3"
    "d286fac9a459d8cadc32dd988c21ebd6"
)
PAD = 0x0E
MASK32 = 0xFFFFFFFF

assert len(ROUND_KEYS) == 32 and len(SBOX) == 256 and len(ALPHABET) == 64


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & MASK32


def _t(word: int) -> int:
    substituted = int.from_bytes(bytes(SBOX[b] for b in word.to_bytes(4, "big")), "big")
    b = substituted
    return b ^ _rotl(b, 2) ^ _rotl(b, 10) ^ _rotl(b, 18) ^ _rotl(b, 24)


def _rounds(block: bytes, keys: list[int]) -> bytes:
    """The SM4-shaped block function; with the keys reversed it is its own inverse."""
    x = [int.from_bytes(block[i : i + 4], "big") for i in range(0, 16, 4)]
    for key in keys:
        x.append(x[-4] ^ _t(x[-3] ^ x[-2] ^ x[-1] ^ key))
    return b"".join(w.to_bytes(4, "big") for w in reversed(x[-4:]))


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(p ^ q for p, q in zip(a, b, strict=True))


def _first_chain() -> bytes:
    return bytes(c ^ 0x2A for c in IV_TEXT)


def plaintext(path_query: str, d_c0: str, r: int) -> bytes:
    """The 48 bytes that get encrypted: [r, 0] + md5 hex of the source string + fourteen 0x0E."""
    digest = hashlib.md5(f"{SOURCE_VERSION}+{path_query}+{d_c0}".encode()).hexdigest()
    return bytes([r, 0]) + digest.encode("ascii") + bytes([PAD] * 14)


def reference_sign(path_query: str, d_c0: str, r: int) -> str:
    """x-zse-96 encoded forwards, step by step from the description (r in 0..126)."""
    buf = plaintext(path_query, d_c0, r)
    chain, out = _first_chain(), b""
    for i in range(0, 48, 16):
        chain = _rounds(_xor(buf[i : i + 16], chain), ROUND_KEYS)
        out += chain
    d = bytearray(reversed(out))
    for k in range(0, 48, 4):
        d[k] ^= 0x3A
    chars = []
    for k in range(0, 48, 3):
        n = d[k] | d[k + 1] << 8 | d[k + 2] << 16
        chars.extend(ALPHABET[(n >> (6 * i)) & 63] for i in range(4))
    return PREFIX + "".join(chars)


def decrypt(header: str) -> bytes | None:
    """The 48-byte plaintext inside an x-zse-96 value, or None if it is not one at all."""
    if not header.startswith(PREFIX) or len(header) != len(PREFIX) + 64:
        return None
    body = header[len(PREFIX) :]
    if any(c not in ALPHABET for c in body):
        return None
    d = bytearray()
    for k in range(0, 64, 4):
        n = sum(ALPHABET.index(c) << (6 * i) for i, c in enumerate(body[k : k + 4]))
        d += bytes([n & 0xFF, (n >> 8) & 0xFF, (n >> 16) & 0xFF])
    for k in range(0, 48, 4):
        d[k] ^= 0x3A
    cipher = bytes(reversed(d))
    inverse = list(reversed(ROUND_KEYS))
    chain, plain = _first_chain(), b""
    for i in range(0, 48, 16):
        block = cipher[i : i + 16]
        plain += _xor(_rounds(block, inverse), chain)
        chain = block
    return plain


def verify(path_query: str, d_c0: str, header: str) -> bool:
    """True when `header` decrypts to this path's and d_c0's plaintext, with any pad byte r in 0..126."""
    plain = decrypt(header)
    if plain is None or plain[0] > 126:
        return False
    return plain == plaintext(path_query, d_c0, plain[0])
