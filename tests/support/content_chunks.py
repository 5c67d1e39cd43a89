"""Content-defined chunks of bytes (a gear hash, as chunk-deduplicating storage cuts files): how much of a file a
later file shares, measured the way the Hub's storage would."""

from __future__ import annotations


def content_chunks(data: bytes, mask: int = (1 << 12) - 1) -> list[bytes]:
    import random

    gear = [random.Random(b).getrandbits(64) for b in range(256)]
    chunks, start, h = [], 0, 0
    for index, byte in enumerate(data):
        h = ((h << 1) + gear[byte]) & 0xFFFFFFFFFFFFFFFF
        if index - start >= 512 and h & mask == 0:
            chunks.append(data[start : index + 1])
            start, h = index + 1, 0
    chunks.append(data[start:])
    return chunks
