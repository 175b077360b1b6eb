"""帮助 (菜单, help, ?, 怎么用): the commands this person may use, each with its syntax and one example;
`帮助 吹哨` explains one command; and the greeting of someone who opens the chat with the bot. The texts and
who may use what are data (config/help.toml)."""

from __future__ import annotations

from config.help import HelpEntry, HelpTexts, read_help
from config.role_names import read_role_names
from handlers.core.context import Context
from handlers.core.router import Router, SkipHandler

router = Router("help")
tickers = None  # nothing scheduled
EVERY_COMMAND = ("admin",)  # roles that see every command


def role_codes(ctx: Context, entry: HelpEntry) -> tuple[str, ...]:
    """The entry's roles as codes: a policy place ("[tasks] cadre_roles") is read from the policy."""
    places = ctx.services.policy.roles()
    return tuple(dict.fromkeys(code for r in entry.roles for code in (places.get(r) or (r,))))


def may_use(ctx: Context, entry: HelpEntry) -> bool:
    return not entry.roles or ctx.has_role(*EVERY_COMMAND, *role_codes(ctx, entry))


def words_of(ctx: Context, entry: HelpEntry) -> str:
    """The command words as config/commands.toml spells them: 报到／签收."""
    words = [w for c in entry.commands for w, name in ctx.services.commands.by_word.items() if name == c]
    return "／".join(words) or entry.command


def who_of(ctx: Context, entry: HelpEntry, texts: HelpTexts) -> str:
    names = read_role_names()
    codes = role_codes(ctx, entry)
    return "、".join(names.get(code, [code])[0] for code in codes) if codes else texts.texts["everyone"]


def line_of(ctx: Context, entry: HelpEntry, texts: HelpTexts, key: str = "line") -> str:
    return texts.texts[key].format(
        words=words_of(ctx, entry), summary=entry.summary, usage=entry.usage, example=entry.example
    )


@router.command("help")
async def show_help(ctx: Context) -> None:
    texts = read_help()
    if ctx.args:
        said = ctx.services.commands.match(ctx.inbound.folded)  # 帮助 ＳＯＳ reads as 帮助 SOS
        found = ctx.services.commands.match(said[1] if said else ctx.args)
        if found is None:  # 帮助困难户… / 怎么用医保卡交费: a message to hear, not a question about commands
            raise SkipHandler
        explain(ctx, texts, found[0])
        return
    usable = [e for e in texts.entries if may_use(ctx, e)]
    own = [e for e in usable if e.roles]
    common = [e for e in usable if not e.roles]
    shown = own or common
    lines = [texts.texts["title"].format(first=words_of(ctx, shown[0]).split("／")[0])]
    lines += [line_of(ctx, e, texts) for e in shown]
    if own:
        lines.append(texts.texts["common"].format(words="、".join(words_of(ctx, e) for e in common)))
    else:
        lines.append(texts.texts["villager_tip"])
    ctx.reply_text("\n".join(lines))


def explain(ctx: Context, texts: HelpTexts, command: str) -> None:
    """One command in full: syntax, example, what else to know, where, who — and whether this person may."""
    entry = texts.entry_for(command)
    if entry is None or command == "help":
        ctx.reply_text(texts.texts["unknown"].format(word=ctx.args.split()[0]))
        return
    lines = [line_of(ctx, entry, texts, "one")]
    if entry.detail:
        lines.append(entry.detail)
    if entry.where:
        lines.append(texts.texts["where"].format(where=entry.where))
    if entry.roles:
        who = who_of(ctx, entry, texts)
        lines.append(
            texts.texts["who"].format(who=who) if may_use(ctx, entry) else texts.texts["not_yours"].format(who=who)
        )
    ctx.reply_text("\n".join(lines))


@router.kind("enter")
async def welcome(ctx: Context) -> None:
    """Someone opened the 1:1 chat with the bot: a villager hears that plain words are enough, someone with
    commands where their cards arrive and how to see the commands."""
    if ctx.inbound.is_group or not ctx.inbound.timely:
        return  # only where the channel asks for a welcome (the AI bot's 1:1 chat); kf answers the first words
    texts = read_help()
    name = ctx.person.name if ctx.person is not None else ""
    hello = f"{name}，您好" if name else "您好"
    cadre = any(e.roles and may_use(ctx, e) for e in texts.entries)
    ctx.reply_text(texts.texts["welcome_cadre" if cadre else "welcome"].format(hello=hello))
