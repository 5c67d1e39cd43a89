"""The topic section of ``bench/derive_eval.py``: the keyword topics measured on the conference papers, whose
venue (or IJCAI/AAAI area) implies a topic (``bench/derive_areas.toml``), cross-venue, and their distribution on
the hf-daily-api captures. The split and area helpers are shared with the topic-model benches."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path

from bench.derive_inputs import input_frame, load_hf_days
from tests.support.venue_labels import conference_venue_string
from transforms.derive.taxonomy import load_taxonomy
from transforms.derive.topic import assign_topics
from transforms.derive.venue_area import prefer_venue_area
from transforms.derive.venues import venue_hints

REPO_ROOT = Path(__file__).resolve().parents[1]
AREAS_FILE = REPO_ROOT / "bench" / "derive_areas.toml"
SHORT_NAMES = {
    "computer-vision": "CV",
    "natural-language-processing": "NLP",
    "speech-and-audio": "SPE",
    "multimodal": "MM",
    "generative-models": "GEN",
    "reinforcement-learning": "RL",
    "robotics": "ROB",
    "graph-learning": "GRA",
    "learning-theory": "LT",
    "optimization": "OPT",
    "efficient-ml": "EFF",
    "safety-and-privacy": "SAF",
    "interpretability": "INT",
    "agents": "AGT",
    "ai-for-science": "SCI",
    "quantum-ml": "QML",
    "data-mining": "DM",
    "neural-architectures": "ARC",
    "general-ml": "GML",
}


def load_areas() -> tuple[dict[str, dict], dict[str, dict]]:
    """Venue and primary-area mappings: ``same_as`` resolved, ``wrong`` computed from the domain list."""
    raw = tomllib.loads(AREAS_FILE.read_text(encoding="utf-8"))
    domains = set(raw["domains"])

    def resolve(name: str, entry: dict) -> dict:
        accept, compatible = set(entry["accept"]), set(entry.get("compatible", []))
        wrong = (domains | set(entry.get("also_wrong", []))) - accept - compatible
        return {"name": name, "area": entry["area"], "accept": accept, "wrong": wrong}

    conf = {name: resolve(name.upper(), entry) for name, entry in raw["conf"].items()}
    primary: dict[str, dict] = {}
    for name, entry in raw["primary_area"].items():
        target = entry.get("same_as", name)
        primary[name] = resolve(target, raw["primary_area"][target])
    return conf, primary


def load_keyword_refinements() -> tuple[dict[str, str], dict[str, str]]:
    """Author-keyword refinements of the mapping: topics a keyword names, and sub-areas that extend ``accept``."""
    raw = tomllib.loads(AREAS_FILE.read_text(encoding="utf-8"))
    return dict(raw.get("keyword_topics", {})), dict(raw.get("keyword_accept", {}))


def keyword_hits(keywords: str | None, table: dict[str, str]) -> set[str]:
    """Topics of ``table`` whose key equals one of the paper's keywords or is its ``Area:`` prefix."""
    found: set[str] = set()
    for keyword in (k.strip() for k in (keywords or "").split(";")):
        for key, topic in table.items():
            if keyword == key or keyword.startswith(key + ":"):
                found.add(topic)
    return found


def load_split() -> dict:
    """The cross-venue split and the targets (``[split]`` of ``bench/derive_areas.toml``)."""
    return tomllib.loads(AREAS_FILE.read_text(encoding="utf-8"))["split"]


def split_of(row: dict, split: dict) -> str:
    """``held-out`` for the held-out venues and years, else ``tune``."""
    conf, year = row["conf"], row.get("year")
    if conf in split["held_out_venues"] or year in split["held_out_years"].get(conf, []):
        return "held-out"
    return "tune"


def cross_venue_lines(
    rows: list[dict], topics_per_row: list[list[str]], primary: list[str], *, with_venue: bool = False
) -> list[str]:
    """Per split and area: implied area found, implied area as primary, clearly wrong primary (with and without
    author keywords), mean topics per paper, and whether the targets are met (areas of at least ``min_papers``).
    ``with_venue``: the topics were derived with the row's venue as a structured venue field."""
    conf_map, area_map = load_areas()
    keyword_topics, keyword_accept = load_keyword_refinements()
    split = load_split()
    stats: dict[tuple[str, str], Counter[str]] = {}
    for row, topics, topic in zip(rows, topics_per_row, primary, strict=True):
        spec = conf_map.get(row["conf"]) or area_map.get(row.get("primary_area") or "")
        part = split_of(row, split)
        totals = stats.setdefault((part, "(all papers)"), Counter())
        totals["papers"] += 1
        totals["topics"] += len(topics)
        if spec is None:
            continue
        area = spec["area"]
        counts = stats.setdefault((part, area), Counter())
        counts["papers"] += 1
        counts["topics"] += len(topics)
        accept_kw = spec["accept"] | keyword_hits(row.get("keywords"), keyword_accept)
        wrong_kw = spec["wrong"] - keyword_hits(row.get("keywords"), keyword_topics)
        counts["found"] += any(t in spec["accept"] for t in topics)
        counts["found_kw"] += any(t in accept_kw for t in topics)
        counts["primary"] += topic in spec["accept"]
        counts["wrong"] += topic in spec["wrong"]
        counts["wrong_kw"] += topic in wrong_kw
    title = "### Cross-venue validation" + (", with the venue stated" if with_venue else "")
    intro = (
        [
            "The same papers with their venue as a structured venue field (`CVPR 2016 Poster`, as a Papers-with-Code "
            "record or an arXiv journal_ref states it), so the venue's area goes first where the text supports it "
            "(`transforms/derive/venue_area.py`). The venue never adds a topic, so `found` cannot move; `primary` "
            "and `wrong` show what ordering by venue does. AAAI and IJCAI have no single area, so their tracks "
            "do not move.",
            "",
        ]
        if with_venue
        else []
    )
    lines = [
        title,
        "",
        *intro,
        "Split (`[split]` in `bench/derive_areas.toml`): held out are whole venues ("
        + ", ".join(v.upper() for v in split["held_out_venues"])
        + ") and later years ("
        + "; ".join(f"{c.upper()} {', '.join(map(str, ys))}" for c, ys in split["held_out_years"].items())
        + "). Areas pool every venue and IJCAI/AAAI primary area that implies them. Targets (areas with at least "
        f"{split['min_papers']} papers): implied area in `topics` >= {split['target_found']:.0%}, clearly wrong "
        f"primary <= {split['target_wrong']:.0%}, mean topics per paper <= {split['target_topics']}. "
        "`+kw`: with IJCAI's author keywords refining the mapping; the plain columns use the venue mapping alone.",
        "",
        "| split | area | papers | found | found +kw | primary | wrong | wrong +kw | topics/paper | targets |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for (part, area), c in sorted(stats.items(), key=lambda item: (item[0][0] != "tune", item[0][1])):
        n = c["papers"]
        mean_topics = c["topics"] / n
        if area == "(all papers)":
            verdict = "met" if mean_topics <= split["target_topics"] else "missed"
            lines.append(f"| {part} | {area} | {n} | | | | | | {mean_topics:.2f} | {verdict} |")
            continue
        if n < split["min_papers"]:
            verdict = f"not held (< {split['min_papers']})"
        else:
            misses = []
            if c["found"] / n < split["target_found"]:
                misses.append("found")
            if c["wrong"] / n > split["target_wrong"]:
                misses.append("wrong")
            if mean_topics > split["target_topics"]:
                misses.append("topics")
            verdict = "met" if not misses else "missed: " + ", ".join(misses)
        lines.append(
            f"| {part} | {area} | {n} | {c['found'] / n:.1%} | {c['found_kw'] / n:.1%} | {c['primary'] / n:.1%} | "
            f"{c['wrong'] / n:.1%} | "
            f"{c['wrong_kw'] / n:.1%} | {mean_topics:.2f} | {verdict} |"
        )
    return lines


# Not measured by this script: the figures of bench/topic_speed.py, kept here so --write does not drop them.
TOPIC_SPEED = [
    "### Speed (`bench/topic_speed.py`, not this script)",
    "",
    "    PYTHONPATH=. .venv/bin/python bench/topic_speed.py --shared ../shared --sizes 1000 10000 --repeat 3 \\",
    "        --derive --check",
    "",
    "`transforms/derive/topic.py` splits each lower-cased title and abstract once into ASCII word runs (what the",
    "terms' ASCII `\\b` separates), joins the words, and the 2-4-word sequences linked only by spaces/hyphens, to the",
    "taxonomy term keys (open-ended words through their prefixes, found once per distinct word), replays the",
    "regex's leftmost-first, non-overlapping choice on the candidates in vectorised passes, and scores with",
    "group_by. The regex scorer it replaced (one `str.extract_all` per topic, field and tier: 36 passes and 36",
    "list columns) is the reference in `tests/support/topic_reference.py`. Papers: the first N conference-papers",
    "rows (13,185 in all, so none repeats), every 50th given an arXiv record's categories. Side by side in one",
    "process, median of 3, 2026-12-04, load average 8-15 on the 2 shared cores (seconds are inflated, the ratios",
    "count):",
    "",
    "| papers | timed | with regex scorer (s) | with tokenised scorer (s) | speed-up | papers differing |",
    "|---:|---|---:|---:|---:|---:|",
    "| 1,000 | topic scoring | 1.63 | 0.66 | 2.5x | 0 |",
    "| 1,000 | whole derive stage | 20.46 | 3.09 | 6.6x | 0 |",
    "| 10,000 | topic scoring | 5.59 | 2.68 | 2.1x | 0 |",
    "| 10,000 | whole derive stage | 29.07 | 14.89 | 2.0x | 0 |",
    "",
    "- Same output: 0 papers differ in any timed run; on every real capture (15,849 papers: conference-papers,",
    "  hf-daily-api and arxiv-api, raw and as `clean_records` cleans them) 0 differ, raw or cleaned; every figure",
    "  of this report is unchanged (this script's output before and after, diffed: identical). The test",
    "  `tests/transforms/test_topic_equivalence.py` compares both scorers with `assert_frame_equal` on edge cases",
    "  (hyphens, Unicode spaces and letters, overlapping and chained phrases), generated texts and a real sample.",
    "- Whole derive stage (`derive_fields`): with the regex scorer it costs ~20 s whatever the size (21 s at 200",
    "  papers, 20.5 s at 1,000) although that scorer alone takes ~2 s at 200; with the tokenised scorer it is",
    "  3.1 s at 1,000. The cause (presumably the optimiser on 36 list columns under the venue-hint and link",
    "  expressions) was not profiled. At 10,000 papers most of the 14.9 s left is venue hints and links (by",
    "  difference, ~12 s).",
    "- CPU time (`time.process_time`, one run each at 10,000 papers): 1.5 s tokenised against 3.3 s regex; of the",
    "  1.5 s, tokenising and the per-chunk word table ~0.6 s, candidates and overlap passes ~0.4 s, scores ~0.3 s.",
    "  The wall-clock ratio for topic scoring alone is ~2x because the regex scorer was cheap per text; its",
    "  cost was in the derive plan.",
]


def topic_section(shared: Path) -> list[str]:
    """Per-area hit rates, clearly-wrong primaries, confusion matrix, and the hf-daily topic distribution."""
    conf_map, area_map = load_areas()
    keyword_topics, keyword_accept = load_keyword_refinements()
    rows = [
        json.loads(line)
        for line in (shared / "data" / "conference-papers" / "papers.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.strip()
    ]
    frame = input_frame([{"title": r["title"], "abstract": r["abstract"]} for r in rows])
    derived = assign_topics(frame).select("topic", "topics").collect()
    per_area: dict[str, Counter[str]] = {}
    confusion: dict[str, Counter[str]] = {}
    for row, topic, topics in zip(rows, derived["topic"], derived["topics"], strict=True):
        spec = conf_map.get(row["conf"]) or area_map.get(row.get("primary_area") or "")
        if spec is None:
            label = f"{row['conf'].upper()} (unmapped)"
        elif row["conf"] in conf_map:
            label = spec["name"]
        else:
            label = f"{row['conf'].upper()}: {spec['name']}"
        confusion.setdefault(label, Counter())[topic] += 1
        if not spec:
            continue
        counts = per_area.setdefault(label, Counter())
        counts["papers"] += 1
        accept = spec["accept"] | keyword_hits(row.get("keywords"), keyword_accept)
        wrong = spec["wrong"] - keyword_hits(row.get("keywords"), keyword_topics)
        counts["hit"] += any(t in accept for t in topics)
        counts["primary_hit"] += topic in accept
        counts["wrong"] += topic in wrong
        counts["keyword_refined"] += accept != spec["accept"] or wrong != spec["wrong"]
        counts["area:" + spec["area"]] = 1
    lines = ["## Topic", ""]
    lines += [
        "Venue-implied area vs derived topics on `conference-papers` (13,185 accepted/rejected papers; "
        "title and abstract only, no categories). Mapping: `bench/derive_areas.toml`.",
        "",
        "| venue / area | implied | papers | implied in `topics` | implied is `topic` "
        "| clearly wrong `topic` | keyword-refined |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for label, counts in sorted(per_area.items()):
        area = next(key[5:] for key in counts if key.startswith("area:"))
        n = counts["papers"]
        lines.append(
            f"| {label} | {area} | {n} | {counts['hit'] / n:.1%} | {counts['primary_hit'] / n:.1%} | "
            f"{counts['wrong'] / n:.1%} | {counts['keyword_refined']} |"
        )
    total = sum(c["papers"] for c in per_area.values())
    wrong = sum(c["wrong"] for c in per_area.values())
    lines += ["", f"Clearly wrong primary overall: {wrong}/{total} = {wrong / total:.1%}.", ""]
    lines += [*cross_venue_lines(rows, derived["topics"].to_list(), derived["topic"].to_list()), ""]
    stated = input_frame(
        [
            {"title": r["title"], "abstract": r["abstract"], "venue_field": conference_venue_string(r)}
            for r in rows
        ]
    )
    by_venue = stated.pipe(assign_topics).collect().lazy().pipe(venue_hints).pipe(prefer_venue_area).collect()
    by_venue_lines = cross_venue_lines(
        rows, by_venue["topics"].to_list(), by_venue["topic"].to_list(), with_venue=True
    )
    lines += [*by_venue_lines, ""]
    ids = list(load_taxonomy().ids)
    short = {topic: SHORT_NAMES.get(topic, topic) for topic in ids}
    lines += [
        "Confusion matrix (rows: venue/area, columns: primary `topic`; "
        + ", ".join(f"{v}={k}" for k, v in short.items())
        + "):",
        "",
    ]
    lines.append("| venue / area | " + " | ".join(short[t] for t in ids) + " |")
    lines.append("|---|" + "---:|" * len(ids))
    for label, counts in sorted(confusion.items()):
        lines.append(f"| {label} | " + " | ".join(str(counts.get(t, 0)) for t in ids) + " |")
    hf = load_hf_days(shared)
    hf_frame = input_frame([{"title": p.get("title") or "", "abstract": p.get("summary") or ""} for p in hf])
    hf_derived = assign_topics(hf_frame).select("topic", "topics").collect()
    primary_counts = Counter(hf_derived["topic"].to_list())
    multi_counts = Counter(t for topics in hf_derived["topics"].to_list() for t in topics)
    lines += [
        "",
        f"Topic distribution of the hf-daily-api days ({len(hf)} items, duplicates across days kept):",
        "",
        "| topic | primary | share | in `topics` | share |",
        "|---|---:|---:|---:|---:|",
    ]
    for topic in ids:
        lines.append(
            f"| {topic} | {primary_counts.get(topic, 0)} | {primary_counts.get(topic, 0) / len(hf):.1%} | "
            f"{multi_counts.get(topic, 0)} | {multi_counts.get(topic, 0) / len(hf):.1%} |"
        )
    return [*lines, "", *TOPIC_SPEED]
