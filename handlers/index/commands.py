"""打分 (the township scores a village on a criterion, or one of its star-rated cadres, confirmed on a card), 指数 (a village's standing),
我的星级 (a cadre's stars and what would raise them), and the year-end confirmation button."""

from __future__ import annotations

from config.errors import UserError
from config.index_file import number
from handlers.core.context import Context
from handlers.core.filters import AppPrivate, Roles
from handlers.core.router import Router
from handlers.index import service
from handlers.index.cards import FinalKey, Scored, ScoreKey, score_card, score_task_id
from handlers.tickets.cards import update_card
from models import IndexConfirmation, IndexScore
from models.area_tree import AreaTree
from models.index_standing import standing
from models.performance import PERSON, add_score, current_score

router = Router("index")
APP_ONLY = AppPrivate("index.app_only")
SCORERS = Roles(service.scorer_roles, "index.not_scorer")


def _points(word: str) -> float:
    try:
        value = float(word)
    except ValueError:
        raise UserError("index.usage_score") from None
    if value != value or value < 0:  # NaN or below zero
        raise UserError("index.usage_score")
    return value


@router.command("index_score", APP_ONLY, SCORERS)
async def score(ctx: Context) -> None:
    index = service.index_of(ctx)
    parts = ctx.args.split(maxsplit=3)
    if len(parts) < 3:
        raise UserError("index.usage_score")
    tree = await AreaTree.load()
    village = service.find_village(tree, parts[0])
    if village is None:
        raise UserError("index.no_village", name=parts[0])
    township = tree.township_of(village.id)
    if township is None or township.id not in service.townships_of(
        ctx, tree, service.scorer_roles(ctx.services.policy)
    ):
        raise UserError("index.not_your_village", village=village.name)
    criterion = index.find(parts[1])
    cadre = None if criterion is not None else await service.find_cadre(village, parts[1])
    if criterion is None and cadre is None:
        raise UserError("index.no_criterion", word=parts[1], village=village.name)
    if criterion is not None and criterion.scored_by == "figure":
        raise UserError("index.by_figure", code=criterion.code, name=criterion.name)
    if cadre is not None and not index.person_points:
        raise UserError("index.no_person_scores")
    points = _points(parts[2])
    most = criterion.township_points if criterion is not None else index.person_points
    label = criterion.code if criterion is not None else ctx.say("index.person_label", name=parts[1])
    if points > most:
        raise UserError("index.too_many", code=label, most=number(most))
    if await IndexConfirmation.exists(year=index.year, township_id=township.id):
        raise UserError("index.is_final", year=index.year, township=township.name)
    note = ctx.inbound.typed(parts[3]).strip() if len(parts) > 3 else ""
    code = criterion.code if criterion is not None else PERSON
    person = cadre.person if cadre is not None else None
    current = await current_score(index.year, village.id, code, person.id if person else None)
    waiting = await add_score(
        index.year,
        village.id,
        code,
        points,
        note=note,
        author=ctx.speaker,
        author_name=ctx.speaker.name,
        now=ctx.now,
        source="chat",
        confirmed=False,
        person=person,
    )
    what = (
        Scored(criterion)
        if criterion is not None
        else Scored(None, cadre.person.name, cadre.posts, index.person_points)  # type: ignore[union-attr]
    )
    ctx.reply_cards.append(score_card(ctx.services.texts, waiting, village, what, current))
    ctx.reply("index.score_waiting", village=village.name, code=label, points=number(points))


def _label(ctx: Context, score: IndexScore) -> str:
    return ctx.say("index.person_label", name=score.person_name) if score.person_id else score.criterion


@router.card(ScoreKey, APP_ONLY, SCORERS)
async def score_click(ctx: Context) -> None:
    key = ctx.clicked(ScoreKey)
    waiting = await IndexScore.get_or_none(id=key.score_id).prefetch_related("village")
    if waiting is None or waiting.author_id != ctx.speaker.id:
        raise UserError("index.not_your_score")
    click_code = str(ctx.inbound.extra.get("response_code", ""))
    if waiting.confirmed_at is not None:
        raise UserError("index.already_confirmed")
    if key.action == "cancel":
        await update_card(
            ctx.services,
            [ctx.inbound.sender],
            task_id=score_task_id(waiting),
            click_code=click_code,
            replace_name=ctx.say("index.cancelled_button"),
        )
        ctx.reply("index.cancelled", village=waiting.village.name, code=_label(ctx, waiting))
        return
    tree = await AreaTree.load()
    township = tree.township_of(waiting.village_id)
    if township is not None and await IndexConfirmation.exists(year=waiting.year, township_id=township.id):
        raise UserError("index.is_final", year=waiting.year, township=township.name)
    if not await waiting.confirm(ctx.now):
        raise UserError("index.already_confirmed")
    await update_card(
        ctx.services,
        [ctx.inbound.sender],
        task_id=score_task_id(waiting),
        click_code=click_code,
        replace_name=ctx.say("index.confirmed_button"),
    )
    replaced = await IndexScore.get_or_none(id=waiting.corrects_id) if waiting.corrects_id else None
    if replaced is None:
        ctx.reply(
            "index.scored", village=waiting.village.name, code=_label(ctx, waiting), points=number(waiting.points)
        )
    else:
        ctx.reply(
            "index.corrected",
            village=waiting.village.name,
            code=_label(ctx, waiting),
            before=number(replaced.points),
            points=number(waiting.points),
        )


@router.command("index_show", APP_ONLY)
async def show(ctx: Context) -> None:
    index = service.index_of(ctx)
    tree = await AreaTree.load()
    word = ctx.args.strip()
    village = service.find_village(tree, word) if word else None
    if word and village is None:
        raise UserError("index.no_village", name=word)
    result = await standing(index, ctx.services.policy, ctx.now, tree)
    if village is None:
        townships = service.townships_of(ctx, tree, service.scorer_roles(ctx.services.policy))
        own = [r for r in ctx.roles_named(*ctx.services.policy.index.reader_roles) if tree.village_of(r.area_id)]
        if own:
            village = tree.village_of(own[0].area_id)
        elif townships:
            township_id = min(townships)
            lines = [ctx.say("index.township_header", township=tree.areas[township_id].name, title=index.title)]
            lines += [
                ctx.say(
                    "index.township_line",
                    rank=v.rank_township,
                    village=v.name,
                    total=number(v.total),
                    most=number(index.points),
                )
                for v in result.ranked(township_id)
            ]
            ctx.reply_text("\n".join(lines))
            return
        else:
            raise UserError("index.usage_show")
    assert village is not None
    if not service.may_read(ctx, tree, village):
        raise UserError("index.not_yours_to_read", village=village.name)
    lines = service.standing_lines(ctx.services.texts, result, result.villages[village.id])
    cadres = [c for c in result.cadres if c.village_id == village.id]
    lines += [
        ctx.say("index.cadre_line", name=c.name, post=c.post_name, stars=c.stars, score=number(c.score)) for c in cadres
    ]
    ctx.reply_text("\n".join(lines))


@router.command("index_stars", APP_ONLY)
async def my_stars(ctx: Context) -> None:
    index = service.index_of(ctx)
    if ctx.person is None:
        raise UserError("index.no_post")
    result = await standing(index, ctx.services.policy, ctx.now)
    mine = [c for c in result.cadres if c.person_id == ctx.person.id]
    if not mine:
        raise UserError("index.no_post")
    lines = [ctx.say("index.stars_header", year=index.year, name=ctx.person.name)]
    for cadre in mine:
        lines += service.stars_lines(ctx.services.texts, index, cadre)
    ctx.reply_text("\n".join(lines))


@router.card(FinalKey, APP_ONLY, SCORERS)
async def confirm_final(ctx: Context) -> None:
    """A committee member confirms the township's results of the year: from now they are final."""
    key = ctx.clicked(FinalKey)
    tree = await AreaTree.load()
    township = tree.get(key.township_id)
    if township is None or key.township_id not in service.townships_of(
        ctx, tree, service.scorer_roles(ctx.services.policy)
    ):
        raise UserError("index.not_your_village", village=township.name if township else "")
    done = await IndexConfirmation.get_or_none(year=key.year, township_id=key.township_id)
    if done is not None:
        ctx.reply("index.final_already", year=key.year, township=township.name, name=done.by_name)
        return
    await IndexConfirmation.create(
        year=key.year, township_id=township.id, by=ctx.speaker, by_name=ctx.speaker.name, at=ctx.now
    )
    ctx.reply("index.final_done", year=key.year, township=township.name)
