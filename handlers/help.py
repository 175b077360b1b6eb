"""帮助: the list of commands, from the command words in config/commands.toml."""

from handlers.core.context import Context
from handlers.core.router import Router

router = Router("help")
tickers = None  # nothing scheduled


@router.command("help")
async def show_help(ctx: Context) -> None:
    words: dict[str, list[str]] = {}
    for word, name in ctx.services.commands.by_word.items():
        words.setdefault(name, []).append(word)
    lines = [" / ".join(group) for name, group in words.items() if name != "help"]
    ctx.reply("common.help", commands="\n".join(lines) or "（暂无）")
