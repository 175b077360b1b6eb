"""`实事 统计`: a village's secretaries see its cadres; the township committee sees its villages."""

from __future__ import annotations

from config.errors import UserError
from handlers.core.context import Context
from handlers.tasks.service import Quota
from models.area_tree import AreaTree
from models.tasks_report import cadre_rows, village_rows


async def show_stats(ctx: Context) -> None:
    section = ctx.services.policy.tasks
    tree = await AreaTree.load()
    quota = Quota.from_policy(section)
    year = ctx.now.year
    township_roles = ctx.roles_named(*section.township_stats_roles)
    village_roles = ctx.roles_named(*section.village_stats_roles)
    if township_roles:
        township = tree.township_of(township_roles[0].area_id)
        villages = [
            row for row in await village_rows(section, year, tree) if township and row.township_code == township.code
        ]
        lines = [
            ctx.say("tasks.stats_township_header", year=year, township=township.name if township else "", quota=quota)
        ]
        lines += [
            ctx.say(
                "tasks.stats_township_line",
                village=r.village,
                cadres=r.cadres,
                registered=r.registered,
                done=r.done,
                behind=r.behind,
            )
            for r in villages
        ]
        ctx.reply_text("\n".join(lines))
        return
    if village_roles:
        village = tree.village_of(village_roles[0].area_id)
        cadres = [row for row in await cadre_rows(section, year, tree) if village and row.village_code == village.code]
        lines = [ctx.say("tasks.stats_village_header", year=year, village=village.name if village else "", quota=quota)]
        lines += [
            ctx.say(
                "tasks.stats_village_line",
                name=r.name,
                registered=r.registered,
                done=r.done,
                mark=ctx.say("tasks.behind_mark") if r.behind else "",
            )
            for r in cadres
        ]
        ctx.reply_text("\n".join(lines))
        return
    raise UserError("common.not_allowed", role=ctx.say("tasks.stats_role"))
