"""Build a synthetic corpus of Hugging Face daily-papers API responses from the real captures.

    .venv/bin/python bench/corpus.py --shared ../shared --records 100000 --out /tmp/corpus-100k

Every record is a real daily-papers item of ``../shared/data/hf-daily-api`` (its authors, dates, counters and
field set), given a new arXiv id, a new title and a new abstract. Titles join the first half of one real title
to the second half of another; abstracts are 4 to 9 sentences drawn from the real abstracts of the HF captures
and of ``conference-papers`` (so two generated abstracts share only stock phrases, like two real ones).

On top of the base papers, ``--duplicates`` (10 % by default) of the records are planted near-duplicates of an
earlier record: no arXiv id (so only the near-duplicate rule can find them), one to three words of the
abstract changed or dropped in each of a few sentences, and the title reworded slightly. ``--non-english``
abstracts (a few per 10,000) are written in one of eight other languages.

Writes ``OUT/days/day-NNNNN.json`` (``--per-file`` items each, the API's list format) and
``OUT/truth.parquet`` (``arxiv_id`` or planted id, ``true_paper``, ``planted``, ``language``) outside the input
folder. The same arguments always give the same bytes.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]

NON_ENGLISH = {
    "fr": [
        "Nous proposons une nouvelle méthode pour entraîner des réseaux de neurones profonds avec peu de "
        "données annotées.",
        "Les expériences sur plusieurs jeux de données publics montrent une amélioration nette par rapport "
        "aux méthodes existantes.",
        "Notre approche combine un apprentissage auto-supervisé et une régularisation adaptée à la tâche.",
        "Nous analysons également la stabilité de l'entraînement lorsque le taux d'apprentissage diminue.",
    ],
    "de": [
        "Wir stellen ein neues Verfahren vor, mit dem tiefe neuronale Netze mit wenigen annotierten Daten "
        "trainiert werden können.",
        "Experimente auf mehreren öffentlichen Datensätzen zeigen eine deutliche Verbesserung gegenüber "
        "bestehenden Methoden.",
        "Unser Ansatz verbindet selbstüberwachtes Lernen mit einer aufgabenspezifischen Regularisierung.",
        "Außerdem untersuchen wir die Stabilität des Trainings bei abnehmender Lernrate.",
    ],
    "es": [
        "Proponemos un nuevo método para entrenar redes neuronales profundas con pocos datos etiquetados.",
        "Los experimentos en varios conjuntos de datos públicos muestran una mejora clara frente a los "
        "métodos existentes.",
        "Nuestro enfoque combina el aprendizaje autosupervisado con una regularización adaptada a la tarea.",
        "También analizamos la estabilidad del entrenamiento cuando la tasa de aprendizaje disminuye.",
    ],
    "pt": [
        "Propomos um novo método para treinar redes neurais profundas com poucos dados rotulados.",
        "Os experimentos em vários conjuntos de dados públicos mostram uma melhoria clara em relação aos "
        "métodos existentes.",
        "A nossa abordagem combina aprendizagem autossupervisionada com uma regularização adequada à tarefa.",
        "Também analisamos a estabilidade do treino quando a taxa de aprendizagem diminui.",
    ],
    "it": [
        "Proponiamo un nuovo metodo per addestrare reti neurali profonde con pochi dati annotati.",
        "Gli esperimenti su diversi insiemi di dati pubblici mostrano un netto miglioramento rispetto ai "
        "metodi esistenti.",
        "Il nostro approccio combina l'apprendimento auto-supervisionato con una regolarizzazione adatta "
        "al compito.",
        "Analizziamo inoltre la stabilità dell'addestramento quando il tasso di apprendimento diminuisce.",
    ],
    "ru": [
        "Мы предлагаем новый метод обучения глубоких нейронных сетей на небольшом количестве размеченных "
        "данных.",
        "Эксперименты на нескольких открытых наборах данных показывают заметное улучшение по сравнению с "
        "существующими методами.",
        "Наш подход сочетает самообучение с регуляризацией, учитывающей особенности задачи.",
    ],
    "zh-cn": [
        "我们提出了一种新的方法，用少量标注数据训练深度神经网络。",
        "在多个公开基准上的实验表明，该方法相比现有方法取得了显著提升。",
        "我们的方法将自监督学习与面向任务的正则化相结合。",
    ],
    "ja": [
        "本研究では、少量のラベル付きデータで深層ニューラルネットワークを学習する新しい手法を提案する。",
        "複数の公開データセットでの実験により、既存手法に比べて明確な改善が得られることを示す。",
        "提案手法は自己教師あり学習とタスクに適した正則化を組み合わせたものである。",
    ],
}
"""Hand-written translations of a typical ML abstract (the captures hold no non-English abstract)."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def load_items(shared: Path) -> list[dict]:
    """Real daily-papers items (dicts with a ``paper`` object) from every readable capture."""
    items: list[dict] = []
    for path in sorted((shared / "data" / "hf-daily-api").glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(document, dict):
            document = document.get("data", [])
        items.extend(
            item for item in document if isinstance(item, dict) and isinstance(item.get("paper"), dict)
        )
    return items


def load_texts(shared: Path, items: list[dict]) -> tuple[list[str], list[str]]:
    """(sentences, titles) of the HF captures and the conference papers."""
    abstracts = [item["paper"].get("summary") or "" for item in items]
    titles = [item["paper"].get("title") or "" for item in items]
    conference = shared / "data" / "conference-papers" / "papers.jsonl"
    if conference.exists():
        for line in conference.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            abstracts.append(row.get("abstract") or "")
            titles.append(row.get("title") or "")
    sentences = sorted(
        {
            sentence
            for abstract in abstracts
            for sentence in _SENTENCE_END.split(" ".join(abstract.split()))
            if 40 <= len(sentence) <= 400
        }
    )
    titles = sorted({" ".join(title.split()) for title in titles if len(title.split()) >= 4})
    return sentences, titles


def reword(text: str, rng: random.Random, edits: int) -> str:
    """``text`` with ``edits`` words dropped, doubled or swapped with a neighbour."""
    words = text.split()
    for _ in range(edits):
        if len(words) < 4:
            break
        at = rng.randrange(1, len(words) - 1)
        action = rng.randrange(3)
        if action == 0:
            del words[at]
        elif action == 1:
            words.insert(at, words[at])
        else:
            words[at], words[at + 1] = words[at + 1], words[at]
    return " ".join(words)


def build(
    shared: Path,
    records: int,
    duplicates: float,
    non_english: float,
    seed: int,
    offset: int = 0,
    window: int = 0,
) -> tuple[list, list]:
    """(items, truth rows) of the corpus; record ``i`` gets the arXiv id of index ``offset + i``.

    A planted duplicate copies a record drawn from all earlier ones, or with ``window`` from the ``window``
    records before it (a paper listed again within days, as daily listings do)."""
    rng = random.Random(seed)
    templates = load_items(shared)
    sentences, titles = load_texts(shared, templates)
    languages = sorted(NON_ENGLISH)
    items: list[dict] = []
    truth: list[dict] = []
    for index in range(offset, offset + records):
        template = templates[index % len(templates)]
        item = copy.deepcopy(template)
        paper = item["paper"]
        if items and rng.random() < duplicates:
            start = max(0, len(items) - window) if window else 0
            original = items[rng.randrange(start, len(items)) if window else rng.randrange(len(items))][
                "paper"
            ]
            abstract = " ".join(
                reword(sentence, rng, rng.randint(1, 3)) if rng.random() < 0.5 else sentence
                for sentence in _SENTENCE_END.split(original["summary"])
            )
            paper.update(id=None, title=reword(original["title"], rng, 1), summary=abstract)
            true_paper, planted, language = truth[_index_of(original) - offset]["true_paper"], True, None
        else:
            first, second = rng.choice(titles).split(), rng.choice(titles).split()
            title = " ".join(first[: len(first) // 2] + second[len(second) // 2 :])
            if rng.random() < non_english:
                language = rng.choice(languages)
                pool = NON_ENGLISH[language]
                abstract = " ".join(rng.sample(pool, k=min(len(pool), rng.randint(2, 4))))
            else:
                language = None
                abstract = " ".join(rng.sample(sentences, k=rng.randint(4, 9)))
            arxiv_id = f"{2001 + (index // 100_000) % 99:04d}.{index % 100_000:05d}"
            paper.update(id=arxiv_id, title=title, summary=abstract)
            true_paper, planted = arxiv_id, False
        item["title"], item["paper"]["_bench_index"] = paper["title"], index
        items.append(item)
        truth.append({"index": index, "true_paper": true_paper, "planted": planted, "language": language})
    for item in items:
        del item["paper"]["_bench_index"]
    return items, truth


def _index_of(paper: dict) -> int:
    return paper["_bench_index"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=REPO / ".." / "shared")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--duplicates", type=float, default=0.10)
    parser.add_argument("--non-english", type=float, default=0.0005)
    parser.add_argument("--per-file", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--offset",
        type=int,
        default=0,
        help="index of the first record: a daily corpus on top of a history of N records uses --offset N",
    )
    parser.add_argument(
        "--duplicate-window",
        type=int,
        default=0,
        help="plant each duplicate of one of the N records before it (0: of any earlier record)",
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    items, truth = build(
        args.shared,
        args.records,
        args.duplicates,
        args.non_english,
        args.seed,
        args.offset,
        args.duplicate_window,
    )
    days = args.out / "days"
    days.mkdir(parents=True, exist_ok=True)
    for number, start in enumerate(range(0, len(items), args.per_file)):
        chunk = items[start : start + args.per_file]
        (days / f"day-{number:05d}.json").write_text(json.dumps(chunk, ensure_ascii=False), encoding="utf-8")
    pl.DataFrame(truth, infer_schema_length=None).write_parquet(args.out / "truth.parquet")
    planted = sum(row["planted"] for row in truth)
    foreign = sum(row["language"] is not None for row in truth)
    print(json.dumps({"records": len(items), "planted_duplicates": planted, "non_english": foreign}))


if __name__ == "__main__":
    main()
