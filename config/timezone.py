"""The county's one time zone: deadlines, reminders and "today" are all Asia/Shanghai."""

from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
