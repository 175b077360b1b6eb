"""Who counts as a cadre for 实事 and 包保, where they work, and who oversees them."""

from __future__ import annotations

from handlers.core.context import Context
from handlers.core.filters import AppPrivate, Roles
from models import Area, Person, Role
from models.area_tree import AreaTree
from models.cadre_queries import Cadre, all_cadres, cadre_roles  # noqa: F401  (re-exported for handlers)


def is_cadre(ctx: Context) -> bool:
    return ctx.has_role(*cadre_roles(ctx.services.policy))


def cadre_work(app_only: str, not_cadre: str) -> tuple[AppPrivate, Roles]:
    """The filters of a cadre's own work (实事, 走访): 1:1 with the app, and a cadre role (from the policy)."""
    return AppPrivate(app_only), Roles(cadre_roles, not_cadre)


def village_of_speaker(ctx: Context, tree: AreaTree, role_names: tuple[str, ...] = ()) -> Area | None:
    """The village of the speaker's first role among `role_names` (default: the cadre roles)."""
    for role in ctx.roles_named(*(role_names or cadre_roles(ctx.services.policy))):
        village = tree.village_of(role.area_id)
        if village is not None:
            return village
    return None


async def people_with_role(role: str, area: Area) -> list[Person]:
    return [r.person for r in await Role.filter(role=role, area_id=area.id).select_related("person").order_by("id")]
