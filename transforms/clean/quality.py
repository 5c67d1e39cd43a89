"""Quality tags: records whose title or abstract is not one (too short, placeholder, page chrome, no words).

Tag first, then split: these rules add reasons to ``reasons``; routing sends tagged records to quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.routing import tag


@dataclass(frozen=True)
class QualitySettings:
    """Thresholds for the quality reasons; defaults come from real captures (see README).

    Real abstracts are mostly 500-2,000 characters; the shortest genuine one among ~13,000 conference
    abstracts (a one-sentence "open problem") has 98 characters and 16 words, while placeholders
    ("Preface to COLT 2015", "withdrawn") stay under 40 characters.
    """

    min_abstract_chars: int = 80
    """Below this (cleaned) length an abstract is ``abstract:too-short``."""
    min_abstract_words: int = 10
    """Fewer words than this is ``abstract:too-short`` as well (catches long single tokens, URLs)."""
    min_abstract_letter_share: float = 0.5
    """Share of letters among non-space characters below which the text is ``abstract:not-an-abstract``."""
    min_title_chars: int = 3
    """Below this (cleaned) length a title is ``title:too-short``."""
    max_title_chars: int = 400
    """Above this a title is ``title:too-long`` (an abstract or page text captured as title)."""
    max_social_emoji: int = 1
    """More emoji than this (pictographs, not letters or ©®™) make an abstract ``abstract:social-post``: no
    genuine abstract among 24,000 arXiv ones and 2,420 daily-papers ones has two (``bench/experiments``)."""
    max_links_only_words: int = 15
    """An abstract with a link and fewer words than this besides its links is ``abstract:links-only`` (a
    "Project page: URL Code: URL" note left in place of an abstract)."""


_NOT_AN_ABSTRACT = (
    r"(?i)\bthis is an automated message\b|\blibrarian bot\b|\bi found the following papers similar\b"
    r"|\bthe following papers were recommended by\b|\bget trending papers in your email\b"
    r"|\b(?:sign up|log in|sign in) (?:to|for) (?:comment|continue|upvote)\b|\bjoin the community\b"
    r"|\b(?:models|datasets|spaces) citing this paper\b|\bcollections including this paper\b"
    r"|^\s*(?:\(?no abstract(?: available)?\)?|abstract(?: not available)?|n/?a|none|null|tbd|coming soon"
    r"|placeholder|(?:paper (?:was |has been )?)?withdrawn(?: paper)?|withdraw|preface(?: to .{0,40})?"
    r"|\[deleted\]|\[removed\]|loading\.*|page not found|404)\s*[.!]?\s*$"
    r"|\benable javascript\b|\baccept (?:all )?cookies\b"
)
"""Bot comments, placeholder values and page navigation captured in place of an abstract."""

_SOCIAL_POST = (
    r"(?i)\b(?:(?:excited|happy|thrilled|delighted|proud|glad) to (?:share|announce|present|introduce)"
    r"|our latest (?:work|paper|preprint)|(?:hi|hello|hey) (?:everyone|all|folks)|stay tuned|feel free to)\b"
)
"""First-person announcement phrases of a social post or a comment ("🚀 Excited to share our latest work"); not
"check out our" nor "our recent work", which genuine arXiv abstracts use. Hashtags count only beside an
exclamation mark or an emoji: an abstract about tweets quotes them."""
_EMOJI = r"[\p{Extended_Pictographic}&&[^©®™\x{2190}-\x{21FF}\x{27A1}\x{2B00}-\x{2BFF}]]"
"""Pictographs; not ©®™ and not arrows (``↔`` and ``➡`` are pictographs too, and arXiv abstracts use them)."""
_HASHTAG = r"(?:^|\s)#[A-Za-z]\w+"

_TITLE_CHROME = (
    r"(?i)^\s*(?:subscribe|sign (?:in|up)|log ?in|get trending papers.*|trending papers|daily papers|papers"
    r"|read more|show more|see more|load more|loading\.*|home|menu|search|next|previous|prev|more|upvote\d*"
    r"|page \d+|papers with code|hugging ?face)\s*[.!:]?\s*$"
)
"""Navigation and button labels captured as a title."""

_TITLE_PLACEHOLDER = (
    r"(?i)^\s*(?:title|untitled|no title|placeholder|withdrawn|withdraw|tbd|null|none|n/?a|\[deleted\])"
    r"\s*[.!]?\s*$"
)
"""Values that stand in for a missing title."""


def tag_quality(frame: pl.LazyFrame, settings: QualitySettings = QualitySettings()) -> pl.LazyFrame:
    """Append quality reasons to ``reasons``, judged on the cleaned ``title``/``abstract``.

    Reasons: ``abstract:empty``, ``abstract:too-short``, ``abstract:not-an-abstract``,
    ``abstract:repeats-title``, ``abstract:social-post``, ``abstract:links-only``, ``title:empty``,
    ``title:too-short``, ``title:too-long``, ``title:page-chrome``, ``title:placeholder``. The last three
    abstract reasons catch what scrapers of paper pages store in place of the abstract (another scraper's
    December 2025 dumps: the title again, the authors' post announcing the paper, a note of links).
    """
    abstract = pl.col("abstract").fill_null("")
    title = pl.col("title").fill_null("")
    abstract_len = abstract.str.len_chars()
    non_space = abstract.str.replace_all(r"\s", "").str.len_chars()
    letters = abstract.str.count_matches(r"\p{L}")
    words = abstract.str.count_matches(r"\S+")
    return tag(
        frame,
        {
            "abstract:empty": abstract_len == 0,
            "abstract:too-short": (abstract_len > 0)
            & ((abstract_len < settings.min_abstract_chars) | (words < settings.min_abstract_words)),
            "abstract:not-an-abstract": (abstract_len > 0)
            & (
                abstract.str.contains(_NOT_AN_ABSTRACT)
                | (letters < non_space * settings.min_abstract_letter_share)
            ),
            "abstract:repeats-title": (abstract_len > 0)
            & _letters(title).str.starts_with(_letters(abstract))
            & (_letters(abstract) != ""),
            "abstract:social-post": (abstract_len > 0)
            & (
                abstract.str.contains(_SOCIAL_POST)
                | (abstract.str.count_matches(_EMOJI) > settings.max_social_emoji)
                | (abstract.str.count_matches(_HASHTAG) >= 2) & abstract.str.contains(f"!|{_EMOJI}")
            ),
            "abstract:links-only": abstract.str.contains(r"https?://")
            & (
                abstract.str.replace_all(r"https?://\S+", "").str.count_matches(r"\p{L}{2,}")
                < settings.max_links_only_words
            ),
            "title:empty": title.str.len_chars() == 0,
            "title:too-short": (title.str.len_chars() > 0)
            & (title.str.len_chars() < settings.min_title_chars),
            "title:too-long": title.str.len_chars() > settings.max_title_chars,
            "title:page-chrome": title.str.contains(_TITLE_CHROME),
            "title:placeholder": title.str.contains(_TITLE_PLACEHOLDER),
        },
    )


def _letters(text: pl.Expr) -> pl.Expr:
    """Lower-cased letters and digits only: a title and an abstract compared without case, spaces or marks."""
    return text.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", "")
