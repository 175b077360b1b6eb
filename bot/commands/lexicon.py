"""`gridwhistle lexicon check FILE`, `… suggest [--config FILE]` and `… learn-urgency DATA… [--out FILE]`.

check          validates a routing table and the urgency model it names: "OK" with counts (exit 0), or
               file:line: problem (exit 1).
suggest        proposes keywords from the township's re-assignments (RoutingCorrection rows), with the
               messages that support each, for a person to add to the table.
learn-urgency  learns the urgency model (nlp/learned.py) from labelled JSON Lines files (the routing
               guide's labels, as in bench/data) and writes it where the table names it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from tortoise.exceptions import DBConnectionError, OperationalError

from bot.commands import add_config_arg, settings_from
from bot.routing import build_router
from config.errors import ConfigError
from config.settings import ROUTING_TABLE
from nlp.learned import load_model
from nlp.lexicon import load_table
from nlp.router import table_model
from nlp.suggest import Suggestion, suggest_keywords


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lexicon", help="check the routing table; suggest keywords from corrections")
    commands = parser.add_subparsers(dest="lexicon_command", required=True, metavar="{check,suggest,learn-urgency}")

    check = commands.add_parser("check", help="validate a routing table file")
    check.add_argument("file", metavar="FILE", help="a routing table, e.g. config/routing.toml")
    add_config_arg(check)
    check.set_defaults(run=run_check)

    suggest = commands.add_parser("suggest", help="propose keywords from re-assigned requests")
    add_config_arg(suggest)
    suggest.add_argument("--min-support", type=int, default=2, metavar="N",
                         help="propose a word only when N corrections contain it (default 2)")
    suggest.add_argument("--department", metavar="CODE", help="only this department")
    suggest.set_defaults(run=run_suggest)

    learn = commands.add_parser("learn-urgency", help="learn the urgency model from labelled messages")
    learn.add_argument("data", metavar="DATA", nargs="+",
                       help="labelled JSON Lines files, or folders of *.jsonl (e.g. bench/data)")
    learn.add_argument("--out", type=Path, metavar="FILE",
                       help="where to write the model (default: the file the shipped table names)")
    learn.set_defaults(run=run_learn_urgency)


def run_check(args: argparse.Namespace) -> int:
    try:
        table = load_table(args.file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    counts = ", ".join(f"{n} {what}" for what, n in table.counts().items())
    model_file = table_model(args.file, table)
    if model_file:
        try:
            model = load_model(model_file)
        except ConfigError as exc:
            print(f"{exc} (named by [learned] urgency_model in {args.file})", file=sys.stderr)
            return 1
        counts += f"; urgency model {model_file.name}: {len(model.weights)} pieces"
    print(f"OK {args.file}: {counts}")
    return 0


def run_learn_urgency(args: argparse.Namespace) -> int:
    from nlp.learn_urgency import Example, learn

    def say(line: str) -> None:
        print(f"learn-urgency: {line}", file=sys.stderr, flush=True)

    try:
        examples = [Example(text, urgent) for text, urgent in _labelled(args.data)]
        model = learn(examples, say)
    except (ValueError, RuntimeError) as exc:
        print(f"gridwhistle lexicon learn-urgency: {exc}", file=sys.stderr)
        return 2
    out = args.out or table_model(ROUTING_TABLE, load_table(ROUTING_TABLE))
    if out is None:
        print("gridwhistle lexicon learn-urgency: the shipped table names no [learned] urgency_model; "
              "give --out FILE", file=sys.stderr)
        return 2
    out.write_text(json.dumps(model.as_json(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(model.weights)} pieces from {model.about['messages']} messages "
          f"({model.about['urgent']} urgent)")
    return 0


def _labelled(paths: list[str]) -> list[tuple[str, bool]]:
    """(text, urgent) from JSON Lines files; a bad line raises ValueError naming file:line and key."""
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += sorted(path.glob("*.jsonl"))
        elif path.is_file():
            files.append(path)
        else:
            raise ValueError(f"{path}: no such file or folder")
    if not files:
        raise ValueError(f"no *.jsonl files in {', '.join(paths)}")
    found = []
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{file}:{number}: not JSON: {exc.msg}") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError(f"{file}:{number}: text: a labelled line needs a text")
            if row.get("urgency") not in ("normal", "urgent"):
                raise ValueError(f"{file}:{number}: urgency: must be \"normal\" or \"urgent\", "
                                 f"not {row.get('urgency')!r}")
            found.append((row["text"], row["urgency"] == "urgent"))
    return found


def run_suggest(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        router = build_router(settings)
        corrections = asyncio.run(_load_corrections(settings.database.url))
    except ConfigError as exc:
        print(f"gridwhistle lexicon suggest: {exc}", file=sys.stderr)
        return 2
    except (DBConnectionError, OperationalError) as exc:
        print(f"gridwhistle lexicon suggest: cannot read corrections from the database ({exc}); "
              "is it reachable, and has `gridwhistle db upgrade --config FILE` been run?", file=sys.stderr)
        return 2
    if args.department:
        corrections = [c for c in corrections if c[1] == args.department]
    suggestions = suggest_keywords(corrections, router.table, router.tokenize, min_support=args.min_support)
    print(_describe(suggestions, len(corrections), str(settings.routing.table)))
    return 0


async def _load_corrections(url: str) -> list[tuple[str, str]]:
    from models import RoutingCorrection
    from models.db import database

    async with database(url):
        rows = await RoutingCorrection.all().order_by("id").values_list("text", "corrected")
    return [(text, corrected) for text, corrected in rows]


def _describe(suggestions: list[Suggestion], corrections: int, table: str) -> str:
    if not suggestions:
        return f"no proposals from {corrections} correction(s)"
    lines = [f"{len(suggestions)} proposal(s) from {corrections} correction(s); add the ones you accept to {table}:"]
    department = None
    for s in suggestions:
        if s.department != department:
            department = s.department
            lines += ["", f"[departments.{department}]"]
        elsewhere = f", {s.elsewhere} elsewhere" if s.elsewhere else ""
        lines.append(f"  {s.word}  — in {s.support} of its corrections ({s.share:.0%}{elsewhere})")
        lines += [f"      · {example}" for example in s.examples]
    return "\n".join(lines)
