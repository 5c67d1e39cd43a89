"""Language detection on cleaned abstracts, and quarantine reasons for languages that are not allowed."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from transforms.language.detect import clearly_english, detect_language, tag_language, with_language

# Abstract-like sentences written for these tests (not taken from any capture).
NON_ENGLISH = {
    "fr": "Nous proposons une nouvelle méthode pour entraîner des réseaux de neurones profonds avec peu de "
    "données étiquetées, et nous montrons des gains nets sur plusieurs jeux de données publics.",
    "de": "Wir stellen ein neues Verfahren vor, mit dem tiefe neuronale Netze mit wenigen annotierten Daten "
    "trainiert werden können, und zeigen deutliche Verbesserungen auf mehreren öffentlichen Datensätzen.",
    "es": "Proponemos un método nuevo para entrenar redes neuronales profundas con pocos datos etiquetados y "
    "mostramos mejoras claras en varios conjuntos de datos públicos.",
    "it": "Proponiamo un nuovo metodo per addestrare reti neurali profonde con pochi dati etichettati e "
    "mostriamo miglioramenti evidenti su diversi insiemi di dati pubblici.",
    "pt": "Propomos um novo método para treinar redes neurais profundas com poucos dados rotulados e "
    "mostramos melhorias claras em vários conjuntos de dados públicos.",
    "ru": "Мы предлагаем новый метод обучения глубоких нейронных сетей на небольшом количестве размеченных "
    "данных и показываем заметное улучшение на нескольких открытых наборах данных.",
    "zh-cn": "我们提出了一种新的方法，用少量标注数据训练深度神经网络，并在多个公开基准上取得了显著提升。",
    "ja": "少量のラベル付きデータで深層ニューラルネットワークを学習する新しい手法を提案し、"
    "複数の公開ベンチマークで大幅な改善を示します。",
}

ENGLISH = (
    "We propose a new method for training deep neural networks with few labelled examples and show clear "
    "improvements on several public benchmarks, including image classification and question answering."
)

UNDETECTABLE = ["", "1234 5678", "∑∑ ++ --", "   "]


@pytest.mark.parametrize(("code", "text"), sorted(NON_ENGLISH.items()))
def test_detects_non_english_abstracts(code: str, text: str) -> None:
    detected, score = detect_language(text)
    assert detected == code
    assert 0.5 < score <= 1.0


def test_detects_english() -> None:
    code, score = detect_language(ENGLISH)
    assert code == "en"
    assert score > 0.9


@pytest.mark.parametrize("text", [*UNDETECTABLE, None])
def test_text_without_features_is_undetectable(text: str | None) -> None:
    assert detect_language(text) == ("undetectable", 0.0)


def test_detection_is_deterministic() -> None:
    # A short, ambiguous text is where an unseeded langdetect flips between runs.
    results = {detect_language("Neural Networks") for _ in range(20)}
    assert len(results) == 1


def test_with_language_adds_columns_in_row_order() -> None:
    frame = pl.DataFrame(
        {"id": [1, 2, 3, 4], "abstract": [ENGLISH, NON_ENGLISH["de"], None, "Ünïcödé ∑ 123"]}
    )
    result = with_language(frame)
    assert result.columns == ["id", "abstract", "language", "language_score"]
    assert result.schema["language"] == pl.String
    assert result.schema["language_score"] == pl.Float64
    assert result["language"].to_list()[:3] == ["en", "de", "undetectable"]
    assert result["language_score"][2] == 0.0


def test_with_language_on_another_column() -> None:
    frame = pl.DataFrame({"text": [NON_ENGLISH["fr"]]})
    assert with_language(frame, column="text")["language"].to_list() == ["fr"]


def test_non_english_abstracts_are_quarantined_with_their_code() -> None:
    texts = [ENGLISH, *NON_ENGLISH.values(), *UNDETECTABLE]
    frame = with_language(pl.DataFrame({"abstract": texts}))
    tagged = tag_language(frame.lazy()).collect()
    expected = [
        [],
        *[[f"language:{code}"] for code in NON_ENGLISH],
        *[["language:undetectable"]] * len(UNDETECTABLE),
    ]
    assert tagged["reasons"].to_list() == expected


def test_tag_language_respects_allowed_languages_and_existing_reasons() -> None:
    frame = pl.LazyFrame(
        {
            "language": ["en", "de", "fr", None, "undetectable"],
            "reasons": [[], [], ["abstract:too-short"], ["abstract:empty"], []],
        },
        schema={"language": pl.String, "reasons": pl.List(pl.String)},
    )
    result = tag_language(frame, allowed=("en", "de")).collect()
    expected = pl.DataFrame(
        {
            "language": ["en", "de", "fr", None, "undetectable"],
            "reasons": [
                [],
                [],
                ["abstract:too-short", "language:fr"],
                ["abstract:empty"],
                ["language:undetectable"],
            ],
        },
        schema={"language": pl.String, "reasons": pl.List(pl.String)},
    )
    assert_frame_equal(result, expected)


def test_tag_language_adds_reasons_column_when_missing() -> None:
    frame = pl.LazyFrame({"language": ["en", "ja"]})
    assert tag_language(frame).collect()["reasons"].to_list() == [[], ["language:ja"]]


LONG_ENGLISH = (
    "We study how the learning rate schedule of stochastic gradient descent affects the stability of training "
    "for deep networks. Our analysis shows that a slowly decaying schedule keeps the iterates in a flat region "
    "of the loss, and we confirm this on image classification and language modelling benchmarks, where the "
    "proposed schedule matches or improves on the accuracy of the standard cosine schedule."
)
LONG_FRENCH = " ".join([NON_ENGLISH["fr"]] * 3)
ENGLISH_WITH_FRENCH_QUOTE = LONG_ENGLISH + " " + NON_ENGLISH["fr"]


def test_english_gate_settles_only_clear_english_prose() -> None:
    texts = [
        LONG_ENGLISH,  # settled
        ENGLISH,  # too short: left to langdetect
        LONG_FRENCH,  # no English function words
        ENGLISH_WITH_FRENCH_QUOTE,  # other languages' function words
        LONG_ENGLISH + " " + NON_ENGLISH["zh-cn"] * 2,  # another script
        None,
        "",
    ]
    gated = pl.DataFrame({"text": texts}).select(clearly_english(pl.col("text")))["text"].to_list()
    assert gated == [True, False, False, False, False, False, False]


def test_what_the_gate_settles_langdetect_calls_english() -> None:
    assert detect_language(LONG_ENGLISH)[0] == "en"
    assert detect_language(LONG_ENGLISH)[1] > 0.9999
