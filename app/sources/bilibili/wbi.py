"""Bilibili's WBI request signature (`w_rid` + `wts`) and the keys it is made from. Pure functions, no I/O.

The keys are the file names of the nav endpoint's `wbi_img.img_url`/`sub_url`; they change about
daily. `mixin_key` shuffles them through a fixed table; `w_rid` is md5 of the sorted,
encodeURIComponent-encoded query (values stripped of !'()*) followed by the mixin key.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

MIXIN_TABLE = (
    46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35, 27, 43, 5, 49, 33, 9, 42, 19, 29, 28, 14, 39,
    12, 38, 41, 13, 37, 48, 7, 16, 24, 55, 40, 61, 26, 17, 0, 1, 60, 51, 30, 4, 22, 25, 54, 21, 56, 59, 6, 63,
    57, 62, 11, 36, 20, 34, 44, 52,
)  # fmt: skip
_STRIPPED = str.maketrans("", "", "!'()*")
# encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) unescaped; !'()* are already stripped
_SAFE = "-_.~"


@dataclass(frozen=True, slots=True)
class WbiKeys:
    img_key: str
    sub_key: str

    @property
    def mixin(self) -> str:
        return mixin_key(self.img_key, self.sub_key)


def key_from_url(url: str) -> str:
    """'https://i0.hdslb.com/bfs/wbi/7cd0…077c.png' -> '7cd0…077c'."""
    name = url.rsplit("/", 1)[-1]
    return name.split(".", 1)[0]


def mixin_key(img_key: str, sub_key: str) -> str:
    raw = img_key + sub_key
    return "".join(raw[i] for i in MIXIN_TABLE if i < len(raw))[:32]


def encode_query(params: Mapping[str, object]) -> str:
    """Sorted by key, values without !'()*, percent-encoded like encodeURIComponent (space is %20)."""
    pairs = []
    for key in sorted(params):
        value = str(params[key]).translate(_STRIPPED)
        pairs.append(f"{quote(str(key), safe=_SAFE)}={quote(value, safe=_SAFE)}")
    return "&".join(pairs)


def w_rid(params: Mapping[str, object], mixin: str) -> str:
    """md5 hex of the encoded query (params must already hold `wts`) with the mixin key appended."""
    return hashlib.md5((encode_query(params) + mixin).encode("utf-8")).hexdigest()


def sign_params(params: Mapping[str, object], keys: WbiKeys, *, wts: int | None = None) -> dict[str, str]:
    """The params to send: the stripped originals plus `wts` and `w_rid` (a query string in any order works)."""
    signed = {str(k): str(v).translate(_STRIPPED) for k, v in params.items()}
    signed["wts"] = str(int(time.time()) if wts is None else wts)
    signed["w_rid"] = w_rid(signed, keys.mixin)
    return signed
