"""The daily digest of a version: its entries per day, the time to build it, and the time to send it by SMTP.

    .venv/bin/python -m flows.cli run ../shared/data/hf-daily-api --out /tmp/digest-real --quiet
    .venv/bin/python bench/digest_send.py --out /tmp/digest-real --repeat 7 --recipients 2

Builds the digest of ``latest`` (default selection: the 7 days ending at the newest listing day) and renders its
feed and page as publish does (``documents``), then sends it
``--repeat`` times to ``--recipients`` addresses through an aiosmtpd server on 127.0.0.1 (one connection per send,
one message per recipient, as ``papers digest --send`` does) and prints the median and range of each. ``--top K``
keeps at most K papers a day (``papers digest --top``). A send the server refuses (a message over its size limit:
aiosmtpd's default is 32 MiB) is reported, not retried.

    .venv/bin/python bench/digest_send.py --out /tmp/run-scale/1m/published-chunks-10 --repeat 3 --recipients 1
    .venv/bin/python bench/digest_send.py --out /tmp/run-scale/1m/published-chunks-10 --repeat 3 --recipients 1 \
        --top 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl

from flows.errors import DeliveryFailed
from flows.net.smtp import SmtpSettings
from flows.render.digest import digest_documents
from flows.run.digest import Mailing, deliver, version_digest
from flows.store.catalog import Catalog
from tests.support.smtp_server import smtp_server
from transforms.report.digest import Selection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--recipients", type=int, default=2)
    parser.add_argument("--top", type=int, default=None, help="at most this many papers a day")
    args = parser.parse_args()
    version = Catalog(args.out).resolve("latest")

    builds, documents, digest = [], [], None
    selection = Selection(top=args.top)
    catalog = Catalog(args.out)
    papers = catalog.scan_papers(version).select(pl.len()).collect().item()
    for _ in range(args.repeat):
        started = time.perf_counter()
        digest = version_digest(args.out, version, selection)
        builds.append(time.perf_counter() - started)
        started = time.perf_counter()  # what publish writes: the digest's feed and page (no profile)
        written = digest_documents(catalog.scan_papers(version), version, selection, {}, ())
        documents.append(time.perf_counter() - started)
    assert digest is not None
    recipients = tuple(f"reader{i}@example.org" for i in range(args.recipients))
    sends: list[float] = []
    size, refused = 0, None
    with smtp_server() as server:
        settings = SmtpSettings(server.host, server.port, "digest@example.org", starttls=False)
        for round_ in range(args.repeat):
            started = time.perf_counter()
            try:
                deliver(settings, [Mailing(digest, recipients)])
            except DeliveryFailed as error:
                refused = str(error)
                break
            sends.append(time.perf_counter() - started)
            server.received.wait_for((round_ + 1) * len(recipients))
        if sends:
            size = len(server.received.messages[0].as_bytes())
    print(
        json.dumps(
            {
                "version": version,
                "first_day": digest.first.isoformat() if digest.first else None,
                "last_day": digest.last.isoformat() if digest.last else None,
                "entries": digest.entries.height,
                "entries_per_day": digest.per_day,
                "top": args.top,
                "message_bytes": size,
                "documents_bytes": {name: len(text.encode()) for name, text in written.items()},
                "recipients": len(recipients),
                "papers_in_version": papers,
                "build_s_median": round(statistics.median(builds), 4),
                "build_s_range": [round(min(builds), 4), round(max(builds), 4)],
                "documents_s_median": round(statistics.median(documents), 4),
                "documents_s_range": [round(min(documents), 4), round(max(documents), 4)],
                "send_s_median": round(statistics.median(sends), 4) if sends else None,
                "send_s_range": [round(min(sends), 4), round(max(sends), 4)] if sends else None,
                "send_refused": refused,
                "repeat": args.repeat,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
