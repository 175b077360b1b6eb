"""The step card: when a step of a flow becomes due, the people who record it get a card in their chat with the
app — the flow, the step, who, the deadline, whether it must be made public — with a drop-down list of the
step's results (the list's `results`, else the default) and 完成; a result of their own words goes by command.

One card message goes to all of them at once (`reach.together`, key `card:<task id>`), so it is sent once
whoever runs twice, and one response_code updates it for all of them once the step is recorded, by card or
by command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.channels.types import Button, Card, Select
from config.powers_file import PowersList
from handlers.core.card_keys import CardKey
from handlers.core.context import Services
from handlers.powers.format import when
from handlers.powers.people import names, post_name
from handlers.tickets.cards import update_card
from models import OutboxMessage, Person, PowerFlow, PowerStep
from models.area_cache import area_required

RESULT_QUESTION = "result"


@dataclass(frozen=True)
class StepKey(CardKey):
    """The 完成 button of a step card: `power:<flow id>:<step position>`."""

    scheme: ClassVar[str] = "power"
    flow_id: int
    position: int


def step_task(flow: PowerFlow, step: PowerStep) -> str:
    return f"gw-power-{flow.id}-{step.position}"


def results_of(services: Services, powers: PowersList | None, flow: PowerFlow, step: PowerStep) -> tuple[str, ...]:
    """The step's results in the list, found by its position and name (a step renamed since has none)."""
    item = powers.get(flow.item) if powers else None
    listed = item.steps[step.position - 1] if item and step.position <= len(item.steps) else None
    if listed is not None and listed.name == step.name and listed.results:
        return listed.results
    return (services.texts.render("powers.card.default_result"),)


def chosen_result(results: tuple[str, ...], selected: list[dict[str, object]]) -> str | None:
    """The result picked in the card's list; None when none (or one the card never offered) came back."""
    for item in selected:
        options = item.get("option_ids")
        if item.get("question_key") == RESULT_QUESTION and isinstance(options, list) and options:
            number = str(options[0])
            if number.isascii() and number.isdigit() and 1 <= int(number) <= len(results):
                return results[int(number) - 1]
    return None


def step_card(services: Services, flow: PowerFlow, step: PowerStep, people: list[Person], village: str) -> Card:
    say = services.texts.render
    results = results_of(services, services.powers, flow, step)
    public = say("powers.card.public_yes") if step.public else say("powers.card.public_no")
    return Card(
        task_id=step_task(flow, step),
        title=say("powers.card.title", flow=flow.id, position=step.position, step=step.name),
        description=say("powers.card.description", village=village, item=flow.item_name, subject=flow.subject),
        fields=(
            (say("powers.card.field_who"), say("powers.card.who", who=step.who, post=post_name(step.post))),
            (say("powers.card.field_people"), names(people) or "—"),
            (say("powers.card.field_due"), when(step.due_at)),
            (say("powers.card.field_what"), step.what),
            (say("powers.card.field_public"), public),
            (say("powers.card.field_other"), say("powers.card.other", flow=flow.id, position=step.position)),
        ),
        buttons=(Button(str(StepKey(flow.id, step.position)), say("powers.card.button")),),
        selects=(
            Select(
                question_key=RESULT_QUESTION,
                title=say("powers.card.result_title"),
                options=tuple((str(number), text) for number, text in enumerate(results, 1)),
            ),
        ),
    )


async def send_step_card(services: Services, flow: PowerFlow, step: PowerStep, people: list[Person]) -> bool:
    """The card to every responsible person at once; False when it went before (a repeat, a second process)."""
    village = await area_required(flow.village_id)
    card = step_card(services, flow, step, people, village.name)
    userids = [p.userid for p in people if p.userid]
    return await services.reach.together(userids, card=card, dedupe_key=f"card:{card.task_id}")


async def mark_card_done(
    services: Services, flow: PowerFlow, step: PowerStep, person: Person, result: str, click_code: str = ""
) -> bool:
    """The step's card, for everyone who got it, shows it done: by whom, when, with what result."""
    task_id = step_task(flow, step)
    sent = await OutboxMessage.get_or_none(dedupe_key=f"card:{task_id}")
    if sent is None:
        return False
    done_at = step.done_at or services.clock.now()
    replace_name = services.texts.render(
        "powers.card.done",
        name=person.name,
        at=when(done_at),
        result=result or services.texts.render("powers.card.no_result"),
    )
    userids = [u for u in sent.target.split("|") if u]
    return await update_card(services, userids, task_id=task_id, click_code=click_code, replace_name=replace_name)
