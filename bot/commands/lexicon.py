"""`gridwhistle lexicon check TABLE`, `… suggest [--config FILE]` and `… learn DATA… [--table TABLE]`.

check    validates a routing table (a folder such as config/routing/, or one file) and the learned models it
         names: "OK" with counts (exit 0), or file:line: problem, one line per problem found (exit 1).
suggest  proposes keywords from the township's re-assignments (RoutingCorrection rows), with the
         messages that support each, for a person to add to the table.
corrections, accept ID, reject ID
         a cadre reviews those corrections (bot/commands/lexicon_review.py): accepted ones, masked, become
         labelled lines in [routing] accepted_file; rejected ones no longer feed suggest.
learn    learns the models of nlp/learned.py from labelled JSON Lines files (the routing guide's
         labels, as in bench/data) and writes them where the table's [learned] section names them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path

from tortoise.exceptions import DBConnectionError, OperationalError

from bot.commands import add_config_arg, lexicon_review, settings_from
from bot.routing import build_router
from config.errors import ConfigError
from config.settings import ROUTING_TABLE
from nlp.learned import DEPARTMENT_KIND, REQUEST_KIND, URGENCY_KIND, BinaryModel, DepartmentModel, load_model
from nlp.lexicon import load_table
from nlp.privacy import mask_private
from nlp.router import table_models
from nlp.suggest import Suggestion, suggest_keywords


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lexicon", help="check the routing table; suggest keywords from corrections")
    commands = parser.add_subparsers(
        dest="lexicon_command", required=True, metavar="{check,suggest,corrections,accept,reject,learn}"
    )

    check = commands.add_parser("check", help="validate a routing table folder or file")
    check.add_argument("file", metavar="TABLE", help="a routing table: a folder such as config/routing, or one file")
    add_config_arg(check)
    check.set_defaults(run=run_check)

    suggest = commands.add_parser("suggest", help="propose keywords from re-assigned requests")
    add_config_arg(suggest)
    suggest.add_argument(
        "--min-support",
        type=int,
        default=2,
        metavar="N",
        help="propose a word only when N corrections contain it (default 2)",
    )
    suggest.add_argument("--department", metavar="CODE", help="only this department")
    suggest.set_defaults(run=run_suggest)

    lexicon_review.register(commands)

    learn = commands.add_parser("learn", help="learn the urgency and department models from labelled messages")
    learn.add_argument(
        "data", metavar="DATA", nargs="+", help="labelled JSON Lines files, or folders of *.jsonl (e.g. bench/data)"
    )
    learn.add_argument(
        "--table",
        type=Path,
        default=ROUTING_TABLE,
        metavar="TABLE",
        help="the routing table whose [learned] section names the model files (default: the shipped one)",
    )
    learn.set_defaults(run=run_learn)


def run_check(args: argparse.Namespace) -> int:
    try:
        table = load_table(args.file)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    counts = ", ".join(f"{n} {what}" for what, n in table.counts().items())
    for kind, file in table_models(args.file, table).items():
        try:
            model = load_model(file, kind)
        except ConfigError as exc:
            print(f"{exc} (named in [learned] of {args.file})", file=sys.stderr)
            return 1
        what = "departments" if isinstance(model, DepartmentModel) else model.kind.rsplit(" ", 1)[-1]
        counts += f"; {what} model {file.name}: {len(model.weights)} pieces"
    print(f"OK {args.file}: {counts}")
    return 0


def run_learn(args: argparse.Namespace) -> int:
    from nlp.learning import Example, learn_departments, learn_requests, learn_urgency

    def say(line: str) -> None:
        print(f"learn: {line}", file=sys.stderr, flush=True)

    try:
        files = table_models(args.table, load_table(args.table))
        if not files:
            raise ValueError(
                f"{args.table}: [learned] names no model file (request_model, urgency_model, department_model)"
            )
        examples = [Example(*row) for row in _labelled(args.data)]
        learners: dict[str, Callable[[list[Example], Callable[[str], None]], BinaryModel | DepartmentModel]] = {
            REQUEST_KIND: learn_requests,
            URGENCY_KIND: learn_urgency,
            DEPARTMENT_KIND: learn_departments,
        }
        models = {kind: learners[kind](examples, say) for kind in files}
    except (ValueError, RuntimeError, ConfigError) as exc:
        print(f"gridwhistle lexicon learn: {exc}", file=sys.stderr)
        return 2
    for kind, file in files.items():  # written only once every model is learned: nothing half-done
        file.write_text(json.dumps(models[kind].as_json(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        print(f"wrote {file}: {len(models[kind].weights)} pieces from {len(examples)} labelled messages")
    return 0


def _labelled(paths: list[str]) -> list[tuple[str, bool, str | None]]:
    """(text, urgent, primary or None) from JSON Lines files; a bad line raises ValueError naming file:line and key."""
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
                raise ValueError(f'{file}:{number}: urgency: must be "normal" or "urgent", not {row.get("urgency")!r}')
            request = row.get("is_request")
            if not isinstance(request, bool):
                raise ValueError(f"{file}:{number}: is_request: must be true or false, not {request!r}")
            if request and not isinstance(row.get("primary"), str):
                raise ValueError(f"{file}:{number}: primary: a request needs its department code")
            found.append((row["text"], row["urgency"] == "urgent", row["primary"] if request else None))
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
        print(
            f"gridwhistle lexicon suggest: cannot read corrections from the database ({exc}); "
            "is it reachable, and has `gridwhistle db upgrade --config FILE` been run?",
            file=sys.stderr,
        )
        return 2
    if args.department:
        corrections = [c for c in corrections if c[1] == args.department]
    suggestions = suggest_keywords(corrections, router.table, router.tokenize, min_support=args.min_support)
    print(_describe(suggestions, len(corrections), settings.routing.table))
    return 0


async def _load_corrections(url: str) -> list[tuple[str, str]]:
    from models import RoutingCorrection
    from models.db import database

    async with database(url):
        # Every correction but those a cadre rejected as not following the routing guide; the examples
        # printed are masked (phone, ID and house numbers).
        rows = await RoutingCorrection.exclude(review="rejected").order_by("id").values_list("text", "corrected")
    return [(mask_private(text), corrected) for text, corrected in rows]


def _describe(suggestions: list[Suggestion], corrections: int, table: Path) -> str:
    if not suggestions:
        return f"no proposals from {corrections} correction(s)"
    lines = [f"{len(suggestions)} proposal(s) from {corrections} correction(s); add the ones you accept to {table}:"]
    department = None
    for s in suggestions:
        if s.department != department:
            department = s.department
            heading = f"[departments.{department}]"
            lines += ["", f"{heading}   # {table / department}.toml" if table.is_dir() else heading]
        elsewhere = f", {s.elsewhere} elsewhere" if s.elsewhere else ""
        lines.append(f"  {s.word}  — in {s.support} of its corrections ({s.share:.0%}{elsewhere})")
        lines += [f"      · {example}" for example in s.examples]
    return "\n".join(lines)
