"""Code and project links: extract URLs from the abstract and arXiv comment, repair scrape damage,
canonicalise repositories, merge the source-provided links, and classify whether code is linked, claimed
or planned.

Vectorised: URLs are pulled out with ``str.extract_all``, exploded to one row per candidate, repaired and
classified with regex expressions, de-duplicated per paper and aggregated back.
"""

from __future__ import annotations

import polars as pl

from transforms.schema import PAPER_SCHEMA, polars_schema

LINKS_DTYPE: pl.DataType = polars_schema(PAPER_SCHEMA)["links"]
EMPTY_STRINGS = pl.lit([], dtype=pl.List(pl.String))

# Fields in the order their links are listed (earlier wins when the same URL appears twice).
LINK_FIELDS = ("abstract", "arxiv_comment", "source_code_url", "source_project_url")
TEXT_FIELDS = ("abstract", "arxiv_comment")

CODE_HOSTS = r"github\.com|gitlab\.com|bitbucket\.org|codeberg\.org"
# Written without a scheme in abstracts often enough ("code: github.com/x/y") to be worth recognising.
SCHEMELESS_HOSTS = (
    r"(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|huggingface\.co|hf\.co)/"
)
# A copied GitHub page title: "GitHub - owner/repo: description" names the repository.
GITHUB_PAGE_TITLE = r"(^|[\s(\[:;,])GitHub\s+[-–—]\s+([A-Za-z0-9][\w.\-]*)/([\w.\-]*[\w\-])"
# Hugging Face Hub repositories: models, datasets and Spaces are links of their own kinds, never code.
HUB_KINDS = ("model", "dataset", "space")
URL_PATTERN = r"(?i:https?)://[^\s<>\"'{}|\\^`\[\]]+"
# Pages of the code hosts that are not repositories.
CODE_HOST_RESERVED = (
    "about|apps|collections|enterprise|explore|features|login|marketplace|orgs|pricing|settings|site|sponsors|"
    "topics|trending|users|join|search|help|dashboard"
)
HF_RESERVED = (
    "papers|docs|blog|collections|organizations|settings|join|login|learn|tasks|models|new|pricing|"
    "posts|chat|spaces|datasets|api"
)
# Hosts whose links are references, datasets, videos or social posts: never a paper's code or project page.
IGNORED_HOSTS = (
    r"(?:[\w-]+\.)*(?:arxiv\.org|doi\.org|creativecommons\.org|youtube\.com|youtu\.be|twitter\.com|x\.com|"
    r"wikipedia\.org|kaggle\.com|zenodo\.org|figshare\.com|paperswithcode\.com|openreview\.net|aclanthology\.org|"
    r"dl\.acm\.org|ieeexplore\.ieee\.org|springer\.com|sciencedirect\.com|nature\.com|medium\.com|"
    r"linkedin\.com|facebook\.com|reddit\.com|t\.co|bit\.ly|aka\.ms|tinyurl\.com|goo\.gl|mturk\.com|"
    r"pypi\.org|docs\.google\.com|forms\.gle|discord\.gg|discord\.com|npmjs\.com)"
)
# Sentence-opening words that scraped text glues onto the end of a URL ("github.com/x/yThe results ...").
GLUED_WORDS = (
    "The|We|Our|This|These|Code|Project|Experiments|Extensive|"
    "Furthermore|Moreover|Additionally|Finally|Results"
)


def repair_text(text: pl.Expr) -> pl.Expr:
    """Undo scrape damage around URLs before extraction: braces, ``\\url{}``, TeX escapes (``\\_``), ``&amp;``,
    a space before the final slash, a lost slash (``https:/github.com``), repository URLs written without a
    scheme, and copied GitHub page titles (``GitHub - owner/repo: ...``)."""
    return (
        text.fill_null("")
        .str.replace_all("&amp;", "&", literal=True)
        .str.replace_all(r"\\url\{", " ")
        .str.replace_all(r"\\([_%&#~])", "$1")
        .str.replace_all(r"\b((?i:https?)):?\s?//", "$1://")
        .str.replace_all(r"\b((?i:https?)):/([A-Za-z0-9])", "$1://$2")
        .str.replace_all(GITHUB_PAGE_TITLE, "${1}https://github.com/$2/$3 ")
        .str.replace_all(r"[{}]", " ")
        .str.replace_all(r"((?i:https?)://\S+) /(\s|$)", "$1/$2")
        .str.replace_all(r"(^|[\s(\[:;,])(" + SCHEMELESS_HOSTS + ")", "${1}https://$2")
    )


def clean_url(url: pl.Expr) -> pl.Expr:
    """Cut what was glued to a URL (next sentence or word, trailing punctuation); lower-case scheme/host."""
    cut = (
        url.str.replace(r"\.[A-Z][a-z]+.*$", "")
        .str.replace(r"([a-z0-9])(?:" + GLUED_WORDS + ")$", "$1")
        .str.replace(r"[.,;:!?)\]'\"’”>*~]+$", "")
        .str.replace(r"#.*$", "")
    )
    scheme_host = cut.str.extract(r"^((?i:https?)://[^/?#]+)", 1)
    return pl.concat_str(scheme_host.str.to_lowercase(), cut.str.replace(r"^(?i:https?)://[^/?#]+", ""))


def classify_url(url: pl.Expr) -> pl.Expr:
    """A struct (url, kind): the canonical URL and its kind, or kind null for ignored links (and for a URL that
    carries a user or password: it is never published as a link).

    Kinds: ``code`` (a source repository), ``project`` (a project page), and the Hugging Face Hub's ``model``,
    ``dataset`` and ``space`` (released artefacts or demos: not the paper's code, so kept out of ``code_urls``
    and ``code_status``).
    """
    host_path = url.str.replace(r"^https?://(?:www\.)?", "")
    repo = host_path.str.extract_groups(r"^(" + CODE_HOSTS + r")/([^/?#]+)/([^/?#]+)")
    repo_url = pl.concat_str(
        pl.lit("https://"),
        repo.struct.field("1"),
        pl.lit("/"),
        repo.struct.field("2"),
        pl.lit("/"),
        repo.struct.field("3").str.replace(r"\.git$", ""),
    )
    raw_github = host_path.str.extract_groups(r"^raw\.githubusercontent\.com/([^/?#]+)/([^/?#]+)")
    raw_github_url = pl.concat_str(
        pl.lit("https://github.com/"), raw_github.struct.field("1"), pl.lit("/"), raw_github.struct.field("2")
    )
    hub_path = host_path.str.replace(r"^hf\.co/", "huggingface.co/")
    hf_model = hub_path.str.extract_groups(r"^huggingface\.co/([^/?#]+)/([^/?#]+)")
    hf_model_url = pl.concat_str(
        pl.lit("https://huggingface.co/"), hf_model.struct.field("1"), pl.lit("/"), hf_model.struct.field("2")
    )
    hf_model_ok = hf_model.struct.field("1").is_not_null() & ~hf_model.struct.field("1").str.contains(
        f"^(?:{HF_RESERVED})$"
    )
    hf_repo = hub_path.str.extract_groups(r"^huggingface\.co/(spaces|datasets)/([^/?#]+)(?:/([^/?#]+))?")
    hf_repo_kind = hf_repo.struct.field("1").str.strip_suffix("s")
    hf_repo_url = pl.concat_str(
        pl.lit("https://huggingface.co/"),
        hf_repo.struct.field("1"),
        pl.lit("/"),
        hf_repo.struct.field("2"),
        pl.when(hf_repo.struct.field("3").is_not_null())
        .then(pl.lit("/") + hf_repo.struct.field("3"))
        .otherwise(pl.lit("")),
    )
    anonymous = host_path.str.extract(r"^(anonymous\.4open\.science/r/[^/?#]+)", 1)
    host = host_path.str.extract(r"^([^/?#:]+)", 1)
    project_url = url.str.replace(r"/+$", "")
    # A URL with a user or password in it (``https://user:pass@host/``) carries a credential: never a link.
    is_http = url.str.contains(r"^https?://[^/?#]+\.[a-z]") & ~url.str.contains(r"^https?://[^/?#]*@")
    reserved_owner = repo.struct.field("2").str.contains(r"^(?:" + CODE_HOST_RESERVED + r")$")
    # A repository named "<name>.github.io" holds a project page's source, not the paper's code.
    page_source = repo.struct.field("3").str.contains(r"(?i)\.github\.io$").fill_null(False)
    code_host_page = host.str.contains(r"^(?:" + CODE_HOSTS + r")$")
    hf_host = host.str.contains(r"^(?:huggingface\.co|hf\.co)$")
    canonical = (
        pl.when(~is_http)
        .then(pl.lit(None, dtype=pl.String))
        .when(repo.struct.field("1").is_not_null() & ~reserved_owner)
        .then(repo_url)
        .when(raw_github.struct.field("1").is_not_null())
        .then(raw_github_url)
        .when(hf_repo.struct.field("2").is_not_null())
        .then(hf_repo_url)
        .when(hf_model_ok)
        .then(hf_model_url)
        .when(anonymous.is_not_null())
        .then(pl.concat_str(pl.lit("https://"), anonymous))
        .otherwise(project_url)
    )
    kind = (
        pl.when(~is_http)
        .then(pl.lit(None, dtype=pl.String))
        .when(repo.struct.field("1").is_not_null() & ~reserved_owner & page_source)
        .then(pl.lit("project"))
        .when(repo.struct.field("1").is_not_null() & ~reserved_owner)
        .then(pl.lit("code"))
        .when(raw_github.struct.field("1").is_not_null() | anonymous.is_not_null())
        .then(pl.lit("code"))
        .when(hf_repo.struct.field("2").is_not_null())
        .then(hf_repo_kind)
        .when(hf_model_ok)
        .then(pl.lit("model"))
        .when(hf_host | host.str.contains(r"^" + IGNORED_HOSTS + r"$"))
        .then(pl.lit(None, dtype=pl.String))
        .when(code_host_page & reserved_owner.fill_null(False))
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.lit("project"))
    )
    return pl.struct(canonical.alias("url"), kind.alias("kind"))


def captured_text(papers: pl.LazyFrame, field: str) -> pl.Expr:
    """The field as captured (``<field>_raw``) when the frame has it, else the field: URLs are read from the
    text before any cleaning rule could touch them."""
    if f"{field}_raw" in papers.collect_schema().names():
        return pl.coalesce(pl.col(f"{field}_raw"), pl.col(field))
    return pl.col(field)


def _candidates(papers: pl.LazyFrame, fields: tuple[str, ...]) -> pl.LazyFrame:
    """One row per URL candidate: paper row, field, field rank and raw URL, in reading order."""
    parts = [
        papers.select(
            pl.col("_row"),
            pl.lit(field).alias("field"),
            pl.lit(rank, dtype=pl.Int32).alias("_rank"),
            repair_text(captured_text(papers, field)).str.extract_all(URL_PATTERN).alias("url"),
        ).explode("url")
        for rank, field in enumerate(fields)
    ]
    return pl.concat(parts, how="vertical").filter(pl.col("url").is_not_null())


def _link_lists(papers: pl.LazyFrame, fields: tuple[str, ...]) -> pl.LazyFrame:
    """Per paper row: the de-duplicated ``links`` (url, kind, field) in field order, then reading order."""
    candidates = _candidates(papers, fields)
    classified = (
        candidates.with_columns(classify_url(clean_url(pl.col("url"))).alias("_link"))
        .select(
            "_row",
            "_rank",
            "field",
            pl.col("_link").struct.field("url"),
            pl.col("_link").struct.field("kind"),
        )
        .filter(pl.col("kind").is_not_null())
        .with_columns(pl.int_range(pl.len()).over("_row").alias("_position"))
        .sort("_row", "_rank", "_position", maintain_order=True)
        .unique(subset=["_row", "url"], keep="first", maintain_order=True)
    )
    return classified.group_by("_row", maintain_order=True).agg(
        pl.struct("url", "kind", "field").alias("links")
    )


# A claim needs a code or repository word: "implementation" alone is how papers describe their method ("to
# simplify RLM implementation"), not a release of it.
CODE_NOUN = r"\b(?:code|codes|source code|codebase|code base|repository|repositories|repo|software|toolkit)\b"
# Phrases where "code" is not the paper's code: tasks on code, coding theory, pseudo-code.
CODE_NOT_OURS = (
    r"\bcode[\s\-]+(?:generation|completion|llms?|large language models?|language models?|models?|editing|"
    r"review|"
    r"repair|search|understanding|synthesis|execution|reasoning|snippets?|agents?|translation|summarization|"
    r"benchmarks?|datasets?|tasks?|switching|smells?|clones?|comments?|changes?|quality|intelligence)\b"
    r"|\b(?:pseudo[\s\-]?code|qr code|error[\s\-]correcting codes?|polar codes?|ldpc codes?|linear codes?|"
    r"quantum codes?|stabilizer codes?|surface codes?|source coding)\b"
)
CLAIMED = (
    r"\b(?:is|are|has been|have been|was|were)\s+(?:now\s+)?(?:made\s+)?(?:publicly\s+|freely\s+|openly\s+)?"
    r"(?:available|released|public|open[\s\-]?sourced?|accessible)\b"
    r"|\bwe\s+(?:also\s+)?(?:publicly\s+)?(?:release|share|open[\s\-]?source|provide|publish|make)\b"
    r"|\bopen[\s\-]source\b|\bcan be (?:found|accessed|downloaded)\b|\bavailable (?:at|on|online|from)\b"
)
PLANNED = (
    r"\b(?:will|shall|would)\s+(?:also\s+)?(?:be\s+)?(?:made\s+)?(?:publicly\s+|freely\s+|openly\s+)?"
    r"(?:available|released|public|open[\s\-]?sourced?|accessible|shared|published)\b"
    r"|\bwill\s+(?:release|open[\s\-]?source|share|publish|make)\b"
    r"|\bplan(?:s|ning)?\s+to\s+(?:release|open[\s\-]?source|share|publish|make)\b"
    r"|\bupon\s+(?:acceptance|publication)\b|\bcoming soon\b|\bto be released\b"
)
PLANNED_OPEN_SOURCE = r"\b(?:will|plan(?:s|ning)?\s+to|intend\s+to)\s+(?:be\s+)?open[\s\-]?sourc"


def code_claim_status(text: pl.Expr) -> pl.Expr:
    """``claimed``/``planned``/null from the sentences of ``text`` that speak about the paper's own code."""
    sentences = (
        text.fill_null("")
        .str.to_lowercase()
        .str.replace_all(CODE_NOT_OURS, " codetask ")
        .str.replace_all(r"([.!?;])\s+", "$1\n")
        .str.split("\n")
    )
    about_code = pl.element().str.contains(CODE_NOUN)
    claimed = sentences.list.eval(about_code & pl.element().str.contains(CLAIMED)).list.any()
    planned = sentences.list.eval(
        (about_code & pl.element().str.contains(PLANNED)) | pl.element().str.contains(PLANNED_OPEN_SOURCE)
    ).list.any()
    return pl.when(planned).then(pl.lit("planned")).when(claimed).then(pl.lit("claimed"))


def extract_links(papers: pl.LazyFrame, fields: tuple[str, ...] = LINK_FIELDS) -> pl.LazyFrame:
    """Add ``links``, ``code_urls``, ``project_urls`` and ``code_status``.

    ``code_urls`` and ``code_status`` count source repositories only; Hub models, datasets and Spaces are in
    ``links`` with their own kind.

    Needs the columns named in ``fields`` (default: abstract, arxiv_comment, source_code_url,
    source_project_url). ``fields`` lets a measurement restrict extraction, e.g. to the abstract only.
    """
    indexed = papers.with_row_index("_row")
    lists = _link_lists(indexed, fields)
    links = pl.col("links").fill_null(pl.lit([], dtype=LINKS_DTYPE))
    text_fields = [captured_text(papers, field).fill_null("") for field in fields if field in TEXT_FIELDS]
    claim = code_claim_status(pl.concat_str(text_fields, separator="\n")) if text_fields else pl.lit(None)
    code_urls = links.list.eval(pl.element().filter(pl.element().struct.field("kind") == "code")).list.eval(
        pl.element().struct.field("url")
    )
    project_urls = links.list.eval(
        pl.element().filter(pl.element().struct.field("kind") == "project")
    ).list.eval(pl.element().struct.field("url"))
    return (
        indexed.join(lists, on="_row", how="left", maintain_order="left")
        .with_columns(links.cast(LINKS_DTYPE).alias("links"))
        .with_columns(
            code_urls.fill_null(EMPTY_STRINGS).alias("code_urls"),
            project_urls.fill_null(EMPTY_STRINGS).alias("project_urls"),
        )
        .with_columns(
            pl.when(pl.col("code_urls").list.len() > 0)
            .then(pl.lit("linked"))
            .otherwise(claim.fill_null("none"))
            .alias("code_status")
        )
        .drop("_row")
    )
