"""Code and project links: URL repairs, canonicalisation, classification, merging and code status."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.derive.links import extract_links
from transforms.schema import PAPER_SCHEMA, polars_schema

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_PAGE = REPO_ROOT / "data" / "sample" / "trending-papers-page.txt"
INPUT_SCHEMA = {
    "abstract": pl.String,
    "arxiv_comment": pl.String,
    "source_code_url": pl.String,
    "source_project_url": pl.String,
}
OUTPUT_COLUMNS = ["code_urls", "project_urls", "code_status"]


def frame(rows: list[dict[str, object]]) -> pl.LazyFrame:
    """Input frame with missing columns null."""
    return pl.DataFrame(
        [{name: row.get(name) for name in INPUT_SCHEMA} for row in rows], schema=INPUT_SCHEMA
    ).lazy()


def derived(rows: list[dict[str, object]]) -> pl.DataFrame:
    """code_urls, project_urls and code_status for the rows."""
    return extract_links(frame(rows)).select(OUTPUT_COLUMNS).collect()


def expected(rows: list[tuple[list[str], list[str], str]]) -> pl.DataFrame:
    """The expected code_urls, project_urls and code_status."""
    return pl.DataFrame(
        rows,
        schema={
            "code_urls": pl.List(pl.String),
            "project_urls": pl.List(pl.String),
            "code_status": pl.String,
        },
        orient="row",
    )


def test_output_dtypes_match_the_contract() -> None:
    out = extract_links(frame([{"abstract": "Code: https://github.com/a/b"}])).collect()
    contract = polars_schema(PAPER_SCHEMA)
    for name in ("code_urls", "project_urls", "links", "code_status"):
        assert out.schema[name] == contract[name], name


def test_url_repairs() -> None:
    rows = [
        {"abstract": "Code is available at https://github.com/owner/repo."},
        {"abstract": "Our code and models are available at {https://github.com/HCPLab-SYSU/SKT}."},
        {"abstract": "See \\url{https://github.com/owner/repo}, and more."},
        {"abstract": "Code: https://github.com/owner/repo.The results show gains."},
        {"abstract": "Code: https://github.com/owner/repoThe results show gains."},
        {"abstract": "Code: https://github.com/owner/repo /"},
        {"abstract": "Code (https://github.com/owner/repo); data elsewhere."},
        {"abstract": "Project: https://name.github.io/page/{https://name.github.io/page/}."},
        {"abstract": "Code at github.com/owner/repo and nowhere else."},
        {"abstract": "Code is released at https: //github.com/owner/repo.git."},
        {"abstract": "Code is available athttps://github.com/owner/repo."},
        {"abstract": "Page source: https://github.com/owner/name.github.io"},
    ]
    repo = "https://github.com/owner/repo"
    assert_frame_equal(
        derived(rows),
        expected(
            [
                ([repo], [], "linked"),
                (["https://github.com/HCPLab-SYSU/SKT"], [], "linked"),
                ([repo], [], "linked"),
                ([repo], [], "linked"),
                ([repo], [], "linked"),
                ([repo], [], "linked"),
                ([repo], [], "linked"),
                ([], ["https://name.github.io/page"], "none"),
                ([repo], [], "linked"),
                ([repo], [], "linked"),
                ([repo], [], "linked"),
                ([], ["https://github.com/owner/name.github.io"], "none"),
            ]
        ),
    )


def test_repository_canonicalisation_per_host() -> None:
    rows = [
        {"abstract": "https://github.com/Owner/Repo.git"},
        {"abstract": "https://www.github.com/Owner/Repo/tree/main/src?tab=readme#usage"},
        {"abstract": "https://gitlab.com/group/project/-/blob/master/README.md"},
        {"abstract": "https://bitbucket.org/team/tool/src/master/"},
        {"abstract": "https://codeberg.org/user/thing/"},
        {"abstract": "HTTPS://GitHub.com/Owner/Repo/issues/3"},
    ]
    assert derived(rows)["code_urls"].to_list() == [
        ["https://github.com/Owner/Repo"],
        ["https://github.com/Owner/Repo"],
        ["https://gitlab.com/group/project"],
        ["https://bitbucket.org/team/tool"],
        ["https://codeberg.org/user/thing"],
        ["https://github.com/Owner/Repo"],
    ]


def test_classification_and_ignored_links() -> None:
    rows = [
        {"abstract": "Project page: https://lab.github.io/proj/ and code https://github.com/lab/proj"},
        {"abstract": "Data: https://huggingface.co/datasets/org/data and https://zenodo.org/record/1"},
        {"abstract": "Demo: https://huggingface.co/spaces/org/demo; paper https://arxiv.org/abs/2401.00001"},
        {"abstract": "Website https://example.org/~me/project.html"},
        {"abstract": "Mirror ftp://files.example.org/code.tar and git@github.com:a/b.git"},
        {"abstract": ""},
        {"abstract": None},
    ]
    assert_frame_equal(
        derived(rows),
        expected(
            [
                (["https://github.com/lab/proj"], ["https://lab.github.io/proj"], "linked"),
                ([], [], "none"),
                ([], [], "none"),
                ([], ["https://example.org/~me/project.html"], "none"),
                ([], [], "none"),
                ([], [], "none"),
                ([], [], "none"),
            ]
        ),
    )


def test_a_url_with_a_user_or_password_is_never_a_link() -> None:
    rows = [
        {"abstract": "Project: https://reader:s3cret@lab.example.org/proj and https://lab.example.org/open"},
        {"abstract": "Code: https://bot:ghp_token@github.com/lab/proj.git"},
    ]
    assert_frame_equal(
        derived(rows),
        expected([([], ["https://lab.example.org/open"], "none"), ([], [], "none")]),
    )


def test_hub_repositories_have_their_own_kinds_and_are_not_code() -> None:
    rows = [
        {"abstract": "Weights: https://huggingface.co/org/model-7b/tree/main and hf.co/org/small"},
        {
            "abstract": "Data: https://huggingface.co/datasets/org/data/viewer and https://huggingface.co/datasets/squad"
        },
        {"abstract": "Demo https://huggingface.co/spaces/org/demo. Code https://github.com/org/demo"},
        {"abstract": "Models are publicly available: https://huggingface.co/org/model"},
        {"abstract": "See https://huggingface.co/papers/2401.00001 and https://huggingface.co/docs/x"},
    ]
    out = extract_links(frame(rows)).collect()
    assert out["links"].to_list() == [
        [
            {"url": "https://huggingface.co/org/model-7b", "kind": "model", "field": "abstract"},
            {"url": "https://huggingface.co/org/small", "kind": "model", "field": "abstract"},
        ],
        [
            {"url": "https://huggingface.co/datasets/org/data", "kind": "dataset", "field": "abstract"},
            {"url": "https://huggingface.co/datasets/squad", "kind": "dataset", "field": "abstract"},
        ],
        [
            {"url": "https://huggingface.co/spaces/org/demo", "kind": "space", "field": "abstract"},
            {"url": "https://github.com/org/demo", "kind": "code", "field": "abstract"},
        ],
        [{"url": "https://huggingface.co/org/model", "kind": "model", "field": "abstract"}],
        [],
    ]
    assert out["code_urls"].to_list() == [[], [], ["https://github.com/org/demo"], [], []]
    assert out["project_urls"].to_list() == [[], [], [], [], []]
    assert out["code_status"].to_list() == ["none", "none", "linked", "none", "none"]


@pytest.mark.parametrize(
    ("text", "repo"),
    [
        ("Code: https:/github.com/owner/repo.", "https://github.com/owner/repo"),
        ("Code: http:/github.com/owner/repo", "https://github.com/owner/repo"),
        ("GitHub - Newiz430/Psi-RAG: Official code of Psi-RAG", "https://github.com/Newiz430/Psi-RAG"),
        ("(GitHub – owner/my.repo) is the code.", "https://github.com/owner/my.repo"),
        ("Available at https://github.com/a/b?x=1&amp;y=2", "https://github.com/a/b"),
        # Links are read from the captured text, where TeX escapes are still in the URL.
        ("Code: \\url{https://github.com/a/b\\_c}", "https://github.com/a/b_c"),
    ],
)
def test_scrape_damage_repairs(text: str, repo: str) -> None:
    assert derived([{"abstract": text}])["code_urls"].to_list() == [[repo]]


def test_links_are_read_from_the_captured_abstract() -> None:
    captured = pl.LazyFrame(
        {
            "abstract_raw": ["Code: https://github.com/Newiz430/Psi-RAG"],
            "abstract": ["Code: https://github.com/Newiz430/Ψ-RAG"],
        }
    )
    rows = captured.with_columns(
        [
            pl.lit(None, dtype=pl.String).alias(name)
            for name in ("arxiv_comment", "source_code_url", "source_project_url")
        ]
    )
    assert extract_links(rows).collect()["code_urls"].to_list() == [["https://github.com/Newiz430/Psi-RAG"]]


def test_source_links_merged_deduplicated_in_field_order() -> None:
    out = extract_links(
        frame(
            [
                {
                    "abstract": "Code: https://github.com/a/b/ and page https://a.github.io/b.",
                    "arxiv_comment": "Code at https://github.com/a/c",
                    "source_code_url": "https://github.com/a/b.git",
                    "source_project_url": "https://a.github.io/b/",
                },
                {"source_code_url": "https://github.com/x/y", "source_project_url": "javascript:alert(1)"},
            ]
        )
    ).collect()
    assert out["links"].to_list() == [
        [
            {"url": "https://github.com/a/b", "kind": "code", "field": "abstract"},
            {"url": "https://a.github.io/b", "kind": "project", "field": "abstract"},
            {"url": "https://github.com/a/c", "kind": "code", "field": "arxiv_comment"},
        ],
        [{"url": "https://github.com/x/y", "kind": "code", "field": "source_code_url"}],
    ]
    assert out["code_status"].to_list() == ["linked", "linked"]


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Our code is public.", "claimed"),
        ("Code has been made publicly available.", "claimed"),
        ("We share pre-trained models and our code.", "claimed"),
        ("The source code will be available upon acceptance.", "planned"),
        ("We plan to open-source the entire framework.", "planned"),
        ("Our source code will be available at MindSpore/models.", "planned"),
        ("We study code generation; the benchmark is publicly available.", "none"),
        ("An encoder/decoder with a learned codebook is released as a model card.", "none"),
        ("Distributed source coding is available for sensor networks.", "none"),
        ("Our dataset is available at https://huggingface.co/datasets/org/data.", "none"),
        ("Code LLMs are publicly available and strong.", "none"),
        ("Pseudo-code is available in the appendix.", "none"),
        # "implementation" alone is the method, not a release (issue 14).
        (
            "A reusable trick to simplify RLM implementation is open-source friendly and available at scale.",
            "none",
        ),
        ("Our implementation is publicly available.", "none"),
        ("Our implementation and code are publicly available.", "claimed"),
        ("The repository is publicly available.", "claimed"),
        ("", "none"),
    ],
)
def test_code_status_cues(text: str, status: str) -> None:
    assert derived([{"abstract": text}])["code_status"].to_list() == [status]


def _sample_pairs() -> list[tuple[str, str]]:
    """Title/abstract pairs of the bundled page (two newsletter lines, then title line/abstract line)."""
    lines = SAMPLE_PAGE.read_text(encoding="utf-8").splitlines()[2:]
    return [(lines[index], lines[index + 1]) for index in range(0, len(lines) - 1, 2)]


# Every link and code claim on the bundled page, keyed by the start of the paper's title.
SAMPLE_EXPECTED = {
    "Global Context Networks": (["https://github.com/xvjiarui/GCNet"], [], "linked"),
    "Beyond saliency": (["https://github.com/Hey1Li/Salient-Relevance-Propagation"], [], "linked"),
    "Deep Language Networks": (["https://github.com/microsoft/deep-language-networks"], [], "linked"),
    "The Unreasonable Effectiveness of Random Pruning": (
        ["https://github.com/VITA-Group/Random_Pruning"],
        [],
        "linked",
    ),
    "Revisiting Nearest Neighbor for Tabular Data": (
        ["https://github.com/qile2000/LAMDA-TALENT"],
        [],
        "linked",
    ),
    "SVCCA": (["https://github.com/google/svcca"], [], "linked"),
    "Learning Delays in Spiking Neural Networks": (["https://github.com/Thvnvtos/SNN-delays"], [], "linked"),
    "Adaptive Cross-Layer Attention": (["https://github.com/SDL-ASU/ACLA"], [], "linked"),
    "Hopfield Networks is All You Need": (["https://github.com/ml-jku/hopfield-layers"], [], "linked"),
    "UIEC^2-Net": (["https://github.com/BIGWangYuDong/UWEnhancement"], [], "linked"),
    "Location-aware Adaptive Normalization": (["https://github.com/HakamShams/LOAN"], [], "linked"),
    "Efficient Crowd Counting via Structured Knowledge": (
        ["https://github.com/HCPLab-SYSU/SKT"],
        [],
        "linked",
    ),
    "ASGrasp": ([], ["https://pku-epic.github.io/ASGrasp"], "none"),
    "Approximating Two-Layer Feedforward Networks": ([], [], "claimed"),
    "ResMLP": ([], [], "claimed"),
    "Channel Pruning for Accelerating Very Deep Neural": ([], [], "claimed"),
    "Pruning Very Deep Neural Network Channels": ([], [], "claimed"),
    "Agentic Neural Networks": ([], [], "planned"),
    "FinalMLP": ([], [], "planned"),
}


def test_bundled_page_links_and_claims() -> None:
    pairs = _sample_pairs()
    out = derived([{"abstract": abstract} for _, abstract in pairs])
    found: dict[str, tuple[list[str], list[str], str]] = {}
    for (title, _), row in zip(pairs, out.iter_rows(), strict=True):
        code_urls, project_urls, status = row
        if code_urls or project_urls or status != "none":
            keys = [key for key in SAMPLE_EXPECTED if title.startswith(key)]
            found[keys[0] if keys else title] = (code_urls, project_urls, status)
    assert found == SAMPLE_EXPECTED
    assert sum(len(code) for code, _, _ in found.values()) == 12
    assert sum(len(project) for _, project, _ in found.values()) == 1
