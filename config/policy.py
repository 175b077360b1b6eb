"""The policy (config/policy.toml) as a validated, frozen model: one sub-model per section.

Read once at start, like the settings: an unknown section or key, a wrong type or a bad time stops the
start with every mistake at once, each as `config/policy.toml: [whistle] confirm_timeout_minutes: …`.
The defaults below are the shipped file's values and live here only; code reads attributes
(`policy.whistle.confirm_timeout_minutes`), never `.get(key, default)`.

Keys whose values are Chinese words a cadre may change (the visit frequency per household tag, the
promise per urgency) have no default: words are data in config/*.toml, so a county's own policy file
must give them.
"""

from __future__ import annotations

import difflib
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, get_args, get_origin

from apscheduler.triggers.cron import CronTrigger
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    model_validator,
)

from config.errors import ConfigError
from config.texts import CONFIG_DIR, read_toml, shown

POLICY_FILE = CONFIG_DIR / "policy.toml"
UNITS = ("minutes", "hours", "days", "working_days")

Urgency = Literal["normal", "urgent"]
VisitKind = Literal["week", "fortnight", "month"]  # see handlers' visit periods
Count = Annotated[int, Field(strict=True, ge=0)]
Positive = Annotated[int, Field(strict=True, ge=1)]
Ratio = Annotated[float, Field(strict=True, ge=0, le=1)]
Hour = Annotated[int, Field(strict=True, ge=0, le=23)]
Month = Annotated[int, Field(strict=True, ge=1, le=12)]
Roles = tuple[StrictStr, ...]  # role codes, as in config/role_names.toml


def _time(value: Any) -> Any:
    """ "21:00" (or a TOML local time, 21:00:00) → datetime.time."""
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f'should be a time like "21:00", not {value!r}') from None


def _month_day(value: str) -> str:
    """ "MM-DD" of a day every year has (it goes into reminder keys as written)."""
    parts = value.split("-")
    if len(parts) != 2 or not all(len(p) == 2 and p.isdigit() for p in parts):
        raise ValueError(f'should be a day like "06-30" (month-day), not {value!r}')
    try:
        day = date(2023, int(parts[0]), int(parts[1]))  # not a leap year: 02-29 is not every year's
    except ValueError:
        raise ValueError(f"{value!r} is not a day of every year") from None
    return f"{day:%m-%d}"


def _cron_hours(value: str) -> str:
    try:
        CronTrigger(hour=value)
    except ValueError as exc:
        raise ValueError(f'should be a cron hour field like "9,13,17": {exc}') from None
    return value


Time = Annotated[time, BeforeValidator(_time)]
MonthDay = Annotated[StrictStr, AfterValidator(_month_day)]
CronHours = Annotated[StrictStr, AfterValidator(_cron_hours)]


class Section(BaseModel):
    """A [table] of the policy file: no unknown keys, read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(Section):
    """A value written as an inline table ({ date = "06-30", min_done = 1 }), not a section of its own."""


class QuietHoursPolicy(Section):
    """No reminders or non-urgent notices in this window (Asia/Shanghai); urgent ones go at once."""

    start: Time = time(21, 0)
    end: Time = time(7, 30)


class QuarterCheck(Entry):
    date: MonthDay
    min_done: Count


class TasksPolicy(Section):
    quota_min: Count = 2
    quota_max: Count = 3
    cadre_roles: Roles = ("grid_member", "village_secretary", "first_secretary", "village_cadre", "party_member")
    village_stats_roles: Roles = ("village_secretary", "first_secretary")
    township_stats_roles: Roles = ("township_committee",)
    photo_window_minutes: Count = 30
    send_hour: Hour = 9
    tick_hours: CronHours = "9,13,17"
    kickoff: MonthDay = "01-05"
    monthly_day: Annotated[int, Field(strict=True, ge=1, le=28)] = 10  # a day every month has
    monthly_months: tuple[Month, ...] = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
    last_call: MonthDay = "12-01"
    year_end_summary: MonthDay = "12-31"
    quarter_checks: tuple[QuarterCheck, ...] = (
        QuarterCheck(date="06-30", min_done=1),
        QuarterCheck(date="09-30", min_done=2),
    )

    @model_validator(mode="after")
    def _quota_in_order(self) -> TasksPolicy:
        if self.quota_min > self.quota_max:
            raise ValueError(f"quota_min ({self.quota_min}) is more than quota_max ({self.quota_max})")
        return self

    @property
    def photo_window(self) -> timedelta:
        return timedelta(minutes=self.photo_window_minutes)


class Frequency(Entry):
    """How often a household with one tag is visited in winter and the rest of the year (None: not then)."""

    winter: VisitKind | None = None
    other: VisitKind | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_kind_all_year(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value not in get_args(VisitKind):
            raise ValueError(
                f"should be {', '.join(get_args(VisitKind))} or {{ winter = …, other = … }}, not {value!r}"
            )
        return {"winter": value, "other": value}

    def in_season(self, winter: bool) -> VisitKind | None:
        return self.winter if winter else self.other


class VisitsPolicy(Section):
    winter_months: tuple[Month, ...] = (11, 12, 1, 2, 3)
    send_hour: Hour = 9
    tick_hours: CronHours = "9,13,17"
    pairing_roles: Roles = ("village_secretary",)  # who may pair a household with a cadre (包保 设置)
    frequency: dict[StrictStr, Frequency]  # no default: the tags are the county's words


class Calendar(Protocol):
    def add_working_days(self, start: datetime, days: int) -> datetime: ...


class Span(Entry):
    """A deadline or a warning's lead: `{ minutes | hours | days | working_days = N }`."""

    unit: Literal["minutes", "hours", "days", "working_days"]
    amount: Annotated[float, Field(strict=True, ge=0)]

    @model_validator(mode="before")
    @classmethod
    def _from_table(cls, value: Any) -> Any:
        if isinstance(value, Span):
            return value
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in UNITS:
            raise ValueError(f"give one of {', '.join(UNITS)}, e.g. {{ hours = 24 }}, not {value!r}")
        unit, amount = next(iter(value.items()))
        if unit == "working_days" and not (isinstance(amount, int) and not isinstance(amount, bool)):
            raise ValueError(f"working_days should be a whole number, not {amount!r}")
        return {"unit": unit, "amount": amount}

    def after(self, start: datetime, calendar: Calendar) -> datetime:
        """The deadline this span sets from `start` (working days skip holidays and weekends)."""
        if self.unit == "working_days":
            return calendar.add_working_days(start, int(self.amount))
        return start + timedelta(**{self.unit: self.amount})

    @property
    def lead(self) -> timedelta:
        """As a warning's lead time (working days count as days here: a lead is short)."""
        return timedelta(**{"days" if self.unit == "working_days" else self.unit: self.amount})


def _span(**one: float) -> Span:
    return Span.model_validate(one)


class UrgencyDeadlines(Section):
    """Counted from when a department is notified; all four are given together."""

    respond: Span  # 签收 by
    resolve: Span  # 办结 by
    respond_warning: Span
    resolve_warning: Span


class DeadlinesPolicy(Section):
    urgent: UrgencyDeadlines = UrgencyDeadlines(
        respond=_span(minutes=30),
        resolve=_span(hours=24),
        respond_warning=_span(minutes=10),
        resolve_warning=_span(hours=4),
    )
    normal: UrgencyDeadlines = UrgencyDeadlines(
        respond=_span(working_days=1),
        resolve=_span(days=7),
        respond_warning=_span(hours=2),
        resolve_warning=_span(hours=24),
    )

    def of(self, urgency: str) -> UrgencyDeadlines:
        return self.urgent if urgency == "urgent" else self.normal


class WhistlePolicy(Section):
    at_once: tuple[Urgency, ...] = ("urgent",)
    confirm_timeout_minutes: Count = 120
    pickup_after_minutes: Count = 10
    joint_chat_min_departments: Positive = 3
    digest_time: Time = time(8, 0)
    digest_working_days_only: StrictBool = False
    deadlines: DeadlinesPolicy = DeadlinesPolicy()

    @property
    def confirm_timeout(self) -> timedelta:
        return timedelta(minutes=self.confirm_timeout_minutes)

    @property
    def pickup_after(self) -> timedelta:
        return timedelta(minutes=self.pickup_after_minutes)


class PromisePolicy(Section):
    """What the villager is promised, by urgency; `village` for matters the grid keeps. No defaults: words."""

    normal: StrictStr
    urgent: StrictStr
    village: StrictStr


class RequestsPolicy(Section):
    burst_seconds: Count = 120
    burst_breakers: tuple[StrictStr, ...] = ("thanks", "ack", "chat")  # cue groups of the routing table
    burst_max_chars: Positive = 1000  # a burst stops growing a request here and starts a new one
    burst_max_messages: Positive = 20
    duplicate_days: Count = 3
    duplicate_keyword_overlap: Ratio = 0.5
    duplicate_text_overlap: Ratio = 0.3
    hearback_combine_seconds: Count = 120
    non_request_digest_at: Time = time(8, 0)
    non_request_digest_max: Positive = 30
    relay_roles: Roles = ("grid_member", "village_cadre", "village_secretary", "first_secretary")
    my_requests_limit: Positive = 5
    promise: PromisePolicy

    @property
    def burst(self) -> timedelta:
        return timedelta(seconds=self.burst_seconds)

    @property
    def duplicate_window(self) -> timedelta:
        return timedelta(days=self.duplicate_days)

    @property
    def hearback_combine(self) -> timedelta:
        return timedelta(seconds=self.hearback_combine_seconds)


class ShiftsPolicy(Section):
    """Duty rosters (值班表): two shifts a day, who may set them, when tomorrow's gaps are reported."""

    day_start: Time = time(8, 0)  # 白班 runs from here to night_start
    night_start: Time = time(18, 0)  # 夜班 runs from here to the next day's day_start
    township_manager_roles: Roles = ("township_committee",)  # set the township's roster and its villages'
    village_manager_roles: Roles = ("village_secretary", "first_secretary")  # set their own village's
    gap_report_hour: Hour = 16  # tomorrow's gaps go to the township_manager_roles from this hour
    tick_hours: CronHours = "16-20"  # when the gap ticker asks; a missed run is made up at the next
    # An urgent matter nobody has acknowledged (收到, or any act on it) calls the 带班 leaders, each once.
    call_village_lead_after_minutes: Positive = 15
    call_township_lead_after_minutes: Positive = 30
    escalation_watch_hours: Positive = 24  # an urgent matter older than this is past calling anyone
    # The village tier (the org file's [county] village_tier): who gets a matter first, and its same-day target.
    village_tier_roles: Roles = ("village_secretary", "first_secretary")  # and the village's 值班 of the shift
    village_same_day_until: Time = time(15, 0)  # a matter reaching the village later is due the next day
    village_remind_at: Time = time(17, 0)  # on the due day, a matter still at the village reminds them
    village_due_at: Time = time(20, 0)  # 当天: still at the village then, the township is told
    village_digest_at: Time = time(8, 0)  # each village's daily digest to both secretaries

    @model_validator(mode="after")
    def _night_after_day(self) -> ShiftsPolicy:
        if self.night_start <= self.day_start:
            raise ValueError("night_start must come after day_start (夜班 runs over midnight)")
        if not self.village_same_day_until <= self.village_remind_at < self.village_due_at:
            raise ValueError("village_same_day_until ≤ village_remind_at < village_due_at (one same day)")
        if self.call_township_lead_after_minutes <= self.call_village_lead_after_minutes:
            raise ValueError("call_township_lead_after_minutes must come after call_village_lead_after_minutes")
        return self


class GradeBand(Entry):
    at_least: Annotated[float, Field(ge=0)]
    grade: StrictStr


class MembersPolicy(Section):
    """Serving Party members (在职党员): who confirms and answers, when they report, how two grades combine."""

    confirm_roles: Roles = ("village_secretary", "first_secretary")  # confirm a chat registration (双报到)
    answer_roles: Roles = ("grid_member", "village_secretary", "first_secretary", "village_cadre")  # 答复 too
    village_grade_roles: Roles = ("village_secretary", "first_secretary")  # the village's year-end grade
    send_hour: Hour = 9
    tick_hours: CronHours = "9,13,17"  # the monthly reports' ticker; a missed run is made up at the next
    report_day: Annotated[int, Field(strict=True, ge=1, le=28)] = 1  # last month's summary, on this day
    offer_watch_hours: Positive = 24  # requests this recent are offered to members with a fitting skill
    offer_into_max: Annotated[int, Field(strict=True, ge=0, le=5)] = 3  # an offer's buttons "part of 实事 N"
    # Year-end grades (双考评): each side's words and their points; the combined points are weighted.
    grades: dict[StrictStr, Annotated[float, Field(ge=0)]] = {"优秀": 95, "称职": 80, "基本称职": 65, "不称职": 40}
    unit_weight: Annotated[float, Field(ge=0, le=1)] = 0.5
    village_weight: Annotated[float, Field(ge=0, le=1)] = 0.5
    bands: tuple[GradeBand, ...] = (
        GradeBand(at_least=90, grade="优秀"),
        GradeBand(at_least=75, grade="称职"),
        GradeBand(at_least=60, grade="基本称职"),
        GradeBand(at_least=0, grade="不称职"),
    )

    @model_validator(mode="after")
    def _weights_and_bands(self) -> MembersPolicy:
        if abs(self.unit_weight + self.village_weight - 1) > 1e-9:
            raise ValueError("unit_weight and village_weight must add up to 1")
        if not self.bands or self.bands[-1].at_least != 0:
            raise ValueError("bands must end with at_least = 0, so every result has a grade")
        if any(a.at_least <= b.at_least for a, b in zip(self.bands, self.bands[1:], strict=False)):
            raise ValueError("bands must be listed from the highest at_least down")
        return self

    def combined(self, unit: str, village: str) -> tuple[float, str]:
        """The policy formula: weighted points of both grades, and the band they fall in."""
        points = self.unit_weight * self.grades[unit] + self.village_weight * self.grades[village]
        return points, next(band.grade for band in self.bands if points >= band.at_least)


class IndexPolicy(Section):
    """Who scores and reads the performance index (README "Performance index and stars"). A list left out takes
    the [tasks] list the index read before it had its own section (Policy._index_roles_from_tasks)."""

    scorer_roles: Roles = ("township_committee",)  # 打分 and the year-end confirmation, for their township
    reader_roles: Roles = ("grid_member", "village_secretary", "first_secretary", "village_cadre", "party_member")
    county_roles: Roles = ("county_admin", "admin")  # 指数 of any village of the county
    standing_roles: Roles = ("village_secretary",)  # the village's monthly standing


INDEX_FROM_TASKS = {"scorer_roles": "township_stats_roles", "reader_roles": "cadre_roles"}


class Policy(Section):
    quiet_hours: QuietHoursPolicy
    shifts: ShiftsPolicy
    tasks: TasksPolicy
    visits: VisitsPolicy
    whistle: WhistlePolicy
    requests: RequestsPolicy
    members: MembersPolicy
    index: IndexPolicy

    @model_validator(mode="before")
    @classmethod
    def _absent_sections_take_their_defaults(cls, value: Any) -> Any:
        # An absent section is an empty one, so its keys without a default are named, not the section.
        if isinstance(value, dict):
            return cls._index_roles_from_tasks({**{name: {} for name in cls.model_fields}, **value})
        return value

    @staticmethod
    def _index_roles_from_tasks(value: dict[str, Any]) -> dict[str, Any]:
        # A county whose policy predates [index] keeps who scored and read the index: its [tasks] lists.
        index, tasks = value["index"], value["tasks"]
        if not isinstance(index, dict) or not isinstance(tasks, dict):
            return value
        inherited = {
            key: tasks[source]
            for key, source in INDEX_FROM_TASKS.items()
            if key not in index
            and isinstance(tasks.get(source), list)
            and all(isinstance(r, str) for r in tasks[source])
        }
        return {**value, "index": {**inherited, **index}}

    def roles(self) -> dict[str, Roles]:
        """Every role list by its place (`[tasks] cadre_roles`), for checking the codes against the roster's."""
        return {
            f"[{section}] {key}": value
            for section in type(self).model_fields
            for key, value in getattr(self, section)
            if key.endswith("_roles")
        }


def load_policy(path: str | Path = POLICY_FILE) -> Policy:
    """Read and validate a policy file; a ConfigError lists every mistake, one `file: [section] key: …` a line."""
    path = Path(path)
    data = read_toml(path)
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(describe(exc, shown(path)))) from None


# -- errors as an admin reads them ---------------------------------------------------------------------

_TYPE_WORDS = {
    "int_type": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_type": "should be a number",
    "bool_type": "should be true or false",
    "string_type": "should be text in quotes",
    "tuple_type": "should be a list in [ ]",
    "list_type": "should be a list in [ ]",
    "dict_type": "should be a table",
    "model_type": "should be a table",
    "model_attributes_type": "should be a table",
}


def describe(exc: ValidationError, file: str) -> list[str]:
    """One line per mistake: `file: [section] key: message`."""
    return [f"{file}: {_where(err['loc'])}: {_message(err)}" for err in exc.errors()]


def _where(loc: tuple[int | str, ...]) -> str:
    """`[whistle.deadlines.urgent] respond`: the table header the key sits under, then the key."""
    if len(loc) == 1:
        return f"[{loc[0]}]"
    header: list[str] = []
    model: Any = Policy
    rest = list(loc)
    while rest and isinstance(rest[0], str) and rest[0] in getattr(model, "model_fields", {}):
        annotation = model.model_fields[rest[0]].annotation
        if isinstance(annotation, type) and issubclass(annotation, Section) and not issubclass(annotation, Entry):
            model = annotation
        elif get_origin(annotation) is dict:  # [visits.frequency]: its keys are the tags
            model = None
        else:
            break
        header.append(str(rest.pop(0)))
    key = "".join(f" (item {part + 1})" if isinstance(part, int) else f".{part}" for part in rest).lstrip(".")
    return f"[{'.'.join(header)}] {key}".strip()


def _model_at(path: tuple[int | str, ...]) -> Any:
    """The model class that validates the value at `path`, or None past a plain value."""
    model: Any = Policy
    for part in path:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(str(part))
            model = field.annotation if field is not None else None
        elif get_origin(model) in (dict, tuple):  # a tag of [visits.frequency], an item of a list
            model = get_args(model)[-1 if get_origin(model) is dict else 0]
        else:
            return None
    return model


def _message(err: Any) -> str:
    kind, loc, value = err["type"], err["loc"], err.get("input")
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        known = list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"did you mean {close[0]}?" if close else f"known here: {', '.join(known)}"
        return f"unknown {'section' if len(loc) == 1 else 'key'}; {hint}"
    if kind == "missing":
        return "missing (the shipped config/policy.toml shows it)"
    if kind == "value_error":  # our own validators say what they saw
        return err["msg"].removeprefix("Value error, ")
    message = _TYPE_WORDS.get(kind) or err["msg"].removeprefix("Input ")
    return message if isinstance(value, dict | list) else f"{message}, not {value!r}"
