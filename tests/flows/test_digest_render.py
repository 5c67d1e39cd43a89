"""The digest's three forms carry any text a source sends: markup, ampersands, quotes, control characters and
``javascript:`` links come out as text (or not at all), the feed stays well formed and the page parses strictly."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import feedparser
import html5lib
import polars as pl

from flows.render.digest import build_digest, provisional_days, render_feed, render_html, render_text
from transforms.report.digest import Selection
from transforms.schema import PAPER_SCHEMA, polars_schema

DAY = date(2025, 7, 8)
TITLE = 'Attention <script>alert("x")</script> & "quotes" \x1b[31mred\x07 \u202eevil'
ABSTRACT = "We show that a < b && c > d.\x00 The rest is <b>bold</b> and ends here. " + "Long words " * 60


def nasty_papers() -> pl.LazyFrame:
    schema = polars_schema(PAPER_SCHEMA)
    row = {
        "paper_id": "title:00000000000000aa",
        "title": TITLE,
        "abstract": ABSTRACT,
        "arxiv_id": None,  # nor an arXiv page to link instead
        "url": "javascript:alert(1)",
        "authors": ["Zoë <Z> O'Neil", "A & B\x0b"],
        "topics": ["robotics"],
        "code_urls": ["https://github.com/a/b?x=1&y='2'", "https://github.com/other"],
        "venue": "ICML",
        "venue_year": 2025,
        "github_stars": 5,
        "organization_fullname": "Org & <Co>",
        "last_listed_on": DAY,
        "listings": [
            {
                "listed_on": DAY,
                "source": "hf-daily",
                "upvotes": 3,
                "num_comments": 0,
                "rank": 1,
                "github_stars": None,
            }
        ],
    }
    return pl.DataFrame([row], schema={name: schema[name] for name in row}, orient="row").lazy()


def test_text_from_the_data_is_text_in_the_feed_the_page_and_the_mail() -> None:
    digest = build_digest(nasty_papers(), "20250708T063000.000000Z", Selection(), provisional=(DAY,))
    feed_text = render_feed(digest)
    ET.fromstring(feed_text.encode())  # well formed: every character escaped or dropped
    feed = feedparser.parse(feed_text)
    assert not feed.bozo, feed.get("bozo_exception")
    (entry,) = feed.entries
    assert entry.title == 'Attention <script>alert("x")</script> & "quotes" [31mred evil'
    assert [author.name for author in entry.authors] == ["Zoë <Z> O'Neil", "A & B"]
    assert entry.summary == "We show that a < b && c > d. The rest is <b>bold</b> and ends here."
    assert [link.rel for link in entry.links] == ["related"]  # a javascript: address is no link
    assert [link.href for link in entry.links if link.rel == "related"] == [
        "https://github.com/a/b?x=1&y='2'"
    ]
    assert entry.tp_venue == "ICML 2025" and entry.tp_stars == "5" and entry.tp_provisional == "true"
    assert {tag.term for tag in entry.tags} == {"robotics", "provisional"}
    assert "<script>" not in feed_text and "\x1b" not in feed_text

    page = render_html(digest)
    document = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    assert [element.tag for element in document.iter() if element.tag in {"script", "b", "img"}] == []
    assert "provisional" in page and "javascript:" not in page
    heading = next(element for element in document.iter() if element.get("class") == "paper")
    assert heading.tag == "span" and heading.text == entry.title

    text = render_text(digest)
    assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
    assert "(provisional: the day's list may still grow)" in text


def test_a_version_without_any_listing_has_an_empty_digest_that_still_parses() -> None:
    papers = nasty_papers().with_columns(pl.lit(None, dtype=pl.Date).alias("last_listed_on"))
    digest = build_digest(papers, "v", Selection())
    assert digest.entries.is_empty() and digest.first is None
    assert not feedparser.parse(render_feed(digest)).bozo
    html5lib.HTMLParser(strict=True).parse(render_html(digest))
    assert "No paper was listed" in render_text(digest)


def test_only_open_provisional_days_of_the_manifest_are_marked() -> None:
    manifest = {
        "volume": {
            "provisional": [
                {"listed_on": "2025-07-04", "status": "provisional"},
                {"listed_on": "2025-07-04", "status": "provisional"},
                {"listed_on": "2025-07-03", "status": "stable:agreed"},
            ]
        }
    }
    assert provisional_days(manifest) == (date(2025, 7, 4),)
    assert provisional_days({}) == ()
