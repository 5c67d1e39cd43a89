"""Generate the tables of the reference pages from the code.

Each generated block of a page sits between ``<!-- generated: NAME -->`` and ``<!-- end generated: NAME -->``;
``GENERATORS`` maps NAME to the function that writes it. ``python docs/reference.py`` rewrites every block in
place; ``python docs/reference.py --check`` only reports stale blocks (exit 1). ``tests/test_docs.py`` runs the
same comparison.

The command line is imported in one place, :func:`_cli_parser`, and its exit codes are looked up in one
place, :func:`_exit_codes`: when the CLI moves, those two functions change and nothing else.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: import this checkout's packages
    sys.path.insert(0, str(ROOT))

MARKER = re.compile(
    r"(<!-- generated: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end generated: (?P=name) -->)", re.DOTALL
)
MIB = 1 << 20


# ---------------------------------------------------------------- where the command line is


def _cli_parser() -> argparse.ArgumentParser:
    """The ``papers`` argument parser (update this import when the CLI moves)."""
    from flows.cli.parser import build_parser

    return build_parser()


def _exit_codes() -> list[tuple[int, str, str]]:
    """(code, name, meaning) of every exit code of ``papers``, lowest first (``flows/cli/exits.py``)."""
    from flows.cli.exits import MEANINGS, ExitCode

    return [(int(code), code.name, MEANINGS[code]) for code in sorted(ExitCode)]


# ---------------------------------------------------------------- generators, one per generated block


def paper_columns() -> str:
    from transforms.schema import column_table

    return column_table()


def listing_columns() -> str:
    from transforms.schema import LISTING_ROW_SCHEMA

    return _schema_table(LISTING_ROW_SCHEMA)


def ledger_columns() -> str:
    from transforms.schema import LEDGER_SCHEMA

    return _schema_table(LEDGER_SCHEMA)


def quarantine_columns() -> str:
    from transforms.schema import QUARANTINE_SCHEMA

    return _schema_table(QUARANTINE_SCHEMA)


def schema_version() -> str:
    from transforms.schema import SCHEMA_VERSION

    return f"The schema version of this contract is `{SCHEMA_VERSION}`."


def cleaning_rules() -> str:
    from transforms.clean.rules import rules_table

    return rules_table().rstrip("\n")


def listing_evidence() -> str:
    from transforms.parse.listing import evidence_table

    return evidence_table()


def scraper_fields() -> str:
    from transforms.parse.fields import fields_table

    return fields_table()


def config_fields() -> str:
    from flows.run.config import RunConfig

    sections, seen, queue = [], set(), [RunConfig]
    while queue:  # RunConfig first, then each nested settings class once, in field order
        cls = queue.pop(0)
        if cls in seen:
            continue
        seen.add(cls)
        rows = _fields(cls)
        queue += [kind for _, kind, _ in rows if isinstance(kind, type)]
        sections.append(_config_section(cls, rows))
    return "\n\n".join(sections)


def cli_synopsis() -> str:
    lines = [_usage(parser) for parser in _subcommands(_cli_parser()).values()]
    return "```\n" + "\n".join(lines) + "\n```"


def cli_commands() -> str:
    parser = _cli_parser()
    helps = _subcommand_helps(parser)
    sections = []
    for name, sub in _subcommands(parser).items():
        rows = ["| argument | help |", "| --- | --- |"]
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            rows.append(f"| `{_argument(action)}` | {_cell(_prose(action.help or ''))} |")
        text = [f"### {name}", "", _prose(helps.get(name, "")), "", "```", _usage(sub), "```", ""]
        if sub.description:
            text += [textwrap.fill(_prose(sub.description), 110), ""]
        sections.append("\n".join([*text, *rows]))
    return "\n\n".join(sections)


def exit_codes() -> str:
    rows = ["| code | name | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{code}` | `{name}` | {_cell(meaning)} |" for code, name, meaning in _exit_codes()]
    return "\n".join(rows)


def package_tree() -> str:
    """Every package of the code with its job (the first paragraph of its docstring)."""
    rows = ["| package | its job |", "| --- | --- |"]
    for init in sorted(ROOT.glob("*/__init__.py")) + sorted(ROOT.glob("*/*/__init__.py")):
        package = ".".join(init.parent.relative_to(ROOT).parts)
        if package.split(".")[0] not in ("flows", "transforms", "expectations"):
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        rows.append(f"| `{package}` | {_cell(doc.split(chr(10) * 2)[0].replace('``', '`'))} |")
    return "\n".join(rows)


def layer_contracts() -> str:
    """The import-linter contracts of pyproject.toml, as ``make lint`` checks them."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    rows = ["| contract | rule |", "| --- | --- |"]
    for contract in config["contracts"]:
        if contract["type"] == "layers":
            inside = f"inside `{contract['containers'][0]}`: " if contract.get("containers") else ""
            layers = [
                " and ".join(f"`{name.strip()}`" for name in layer.split("|")) for layer in contract["layers"]
            ]
            rule = inside + " over ".join(layers) + " (packages of one layer do not import each other)"
        elif contract["type"] == "forbidden":
            rule = f"`{'`, `'.join(contract['source_modules'])}` never import " + ", ".join(
                f"`{module}`" for module in contract["forbidden_modules"]
            )
        else:
            rule = f"{contract['type']} under " + ", ".join(f"`{a}`" for a in contract["ancestors"])
        rows.append(f"| {contract['name']} | {rule} |")
    return "\n".join(rows)


GENERATORS: dict[str, Callable[[], str]] = {
    "package-tree": package_tree,
    "layer-contracts": layer_contracts,
    "paper-columns": paper_columns,
    "listing-columns": listing_columns,
    "ledger-columns": ledger_columns,
    "quarantine-columns": quarantine_columns,
    "schema-version": schema_version,
    "cleaning-rules": cleaning_rules,
    "listing-evidence": listing_evidence,
    "scraper-fields": scraper_fields,
    "config-fields": config_fields,
    "cli-synopsis": cli_synopsis,
    "cli-commands": cli_commands,
    "exit-codes": exit_codes,
}


# ---------------------------------------------------------------- helpers


def _schema_table(schema: Any) -> str:
    rows = ["| column | type | nullable |", "| --- | --- | --- |"]
    rows += [f"| `{f.name}` | `{f.type}` | {'yes' if f.nullable else 'no'} |" for f in schema]
    return "\n".join(rows)


def _fields(cls: type) -> list[tuple[str, Any, str]]:
    """(name, type, default) of a pydantic model's or a dataclass's fields; the type is a class when the
    field is itself a settings class (rendered as its own section)."""
    rows = []
    if dataclasses.is_dataclass(cls):
        for field in dataclasses.fields(cls):
            default = field.default_factory() if field.default is dataclasses.MISSING else field.default
            rows.append((field.name, str(field.type), _value(field.name, default)))
        return rows
    for name, info in cls.model_fields.items():
        kind = info.annotation
        settings = isinstance(kind, type) and (
            dataclasses.is_dataclass(kind) or hasattr(kind, "model_fields")
        )
        bounds = [_bound(item) for item in info.metadata]
        shown = kind if settings else " ".join([_type_name(kind), *[b for b in bounds if b]])
        rows.append((name, shown, _value(name, info.get_default(call_default_factory=True))))
    return rows


def _config_section(cls: type, rows: list[tuple[str, Any, str]]) -> str:
    docs = _attribute_docs(cls)
    where = Path(inspect.getsourcefile(cls)).resolve().relative_to(ROOT)
    lines = [f"## {cls.__name__}", "", f"Defined in `{where}`.", ""]
    lines += ["| field | type | default | description |", "| --- | --- | --- | --- |"]
    for name, kind, default in rows:
        if isinstance(kind, type):
            kind_cell, default = f"`{kind.__name__}`", f"see [{kind.__name__}](#{kind.__name__.lower()})"
        else:
            kind_cell = f"`{kind}`"
        lines.append(f"| `{name}` | {kind_cell} | {default} | {_cell(docs.get(name, ''))} |")
    return "\n".join(lines)


def _attribute_docs(cls: type) -> dict[str, str]:
    """The attribute docstrings of a class (the string right after a field), read from its source."""
    tree = ast.parse(Path(inspect.getsourcefile(cls)).read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__)
    docs = {}
    for field, after in zip(node.body, node.body[1:], strict=False):
        if (
            isinstance(field, ast.AnnAssign)
            and isinstance(field.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[field.target.id] = _markdown(" ".join(inspect.cleandoc(after.value.value).split()))
    return docs


def _markdown(text: str) -> str:
    """reStructuredText roles and double backticks as Markdown code."""
    return re.sub(r"(?::\w+:)?``?([^`]+)``?", r"`\1`", text)


def _type_name(kind: Any) -> str:
    if isinstance(kind, type):
        return kind.__name__
    return re.sub(r"\b(?:[a-z_]\w*\.)+(?=[A-Za-z_])", "", str(kind))


def _bound(item: Any) -> str:
    signs = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    for attribute, sign in signs.items():
        if getattr(item, attribute, None) is not None:
            return f"{sign} {getattr(item, attribute)}"
    return ""


def _value(name: str, value: Any) -> str:
    if isinstance(value, list):
        return "`[" + ", ".join(_plain(item) for item in value) + "]`"
    shown = f"`{_plain(value)}`"
    if name.endswith("_bytes") and isinstance(value, int) and value % MIB == 0:
        shown += f" ({value // MIB} MiB)"
    return shown


def _plain(value: Any) -> str:
    if isinstance(value, Path):
        return (
            str(value.relative_to(ROOT)) if value.is_absolute() and value.is_relative_to(ROOT) else str(value)
        )
    return repr(value)


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _subcommand_helps(parser: argparse.ArgumentParser) -> dict[str, str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {}


def _usage(parser: argparse.ArgumentParser) -> str:
    """The usage line at a fixed width (not the terminal's), without the ``usage:`` prefix."""
    formatter = argparse.HelpFormatter(parser.prog, width=110, max_help_position=40)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups, prefix="")
    return formatter.format_help().strip("\n")


def _argument(action: argparse.Action) -> str:
    if not action.option_strings:
        return action.metavar or action.dest
    name = ", ".join(action.option_strings)
    if action.nargs == 0:
        return name
    return f"{name} {action.metavar or action.dest.upper()}"


def _cell(text: str) -> str:
    """One table cell: one line, pipes escaped outside code spans (inside them Python-Markdown keeps them)."""
    parts = " ".join(text.split()).split("`")
    return "`".join(part if i % 2 else part.replace("|", "\\|") for i, part in enumerate(parts))


def _prose(text: str) -> str:
    """argparse's plain text as Markdown text: no emphasis or HTML read into ``*``, ``_`` and ``<``."""
    return re.sub(r"([*_\\])", r"\\\1", text).replace("<", "&lt;")


# ---------------------------------------------------------------- pages


def pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def render(text: str) -> str:
    """``text`` with every generated block written anew."""

    def block(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in GENERATORS:
            raise KeyError(f"no generator for block {name!r}: add it to GENERATORS in docs/reference.py")
        return f"{match.group(1)}\n{GENERATORS[name]()}\n\n{match.group(4)}"  # blank lines: Markdown blocks

    return MARKER.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    stale = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(page.relative_to(ROOT))
            if not check:
                page.write_text(new, encoding="utf-8")
    verb = "stale" if check else "rewrote"
    for page in stale:
        print(f"{verb}: {page}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
