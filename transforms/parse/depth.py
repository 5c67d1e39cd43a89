"""Nesting depth of a JSON text, read off its bytes.

Walking the parsed document node by node cost more than parsing it (every dict and list of a 10,000-item
capture visited in Python); the brackets outside strings give the same depth for any text ``json.loads``
accepted, in one compiled pass over the bytes. Compiled on first call and cached next to this file.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _bracket_depth(data: np.ndarray) -> int:
    deepest = 0
    depth = 0
    in_string = False
    escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 92:  # backslash
                escaped = True
            elif byte == 34:  # closing quote
                in_string = False
        elif byte == 34:
            in_string = True
        elif byte == 91 or byte == 123:  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
        elif byte == 93 or byte == 125:  # ] }
            depth -= 1
    return deepest


def text_depth(content: bytes) -> int:
    """How deep the JSON text nests (a scalar is 0). Exact for valid JSON: inside strings every quote and
    backslash is escaped, and UTF-8 continuation bytes are never ASCII."""
    return int(_bracket_depth(np.frombuffer(content, dtype=np.uint8)))
