"""双考评 by upload in chat, through the sandbox: a secretary sends the XLSX to the app 1:1, the file is fetched
with media/get from the fake WeCom, the CLI's reader checks it all or nothing, only the sides the sender may give,
and the reply lists the recorded grades or the wrong rows."""

from __future__ import annotations

import asyncio
from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import Workbook

from bot.clock import SHANGHAI
from models import MemberGrade

pytestmark = pytest.mark.clock_start(datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet(*rows: list[str], header: tuple[str, ...] = ("账号", "单位考评", "村考评")) -> bytes:
    book = Workbook()
    book.active.append(list(header))
    for row in rows:
        book.active.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


async def send(service, userid: str, content: bytes, name: str = "考评表.xlsx", media_id: str = "") -> str:
    media_id = media_id or f"media-{userid}-{len(service.fake.calls('media/get'))}-{len(content)}"
    service.fake.add_media(media_id, content, XLSX)
    await service.wecom.app_message(userid, "file", {"MediaId": media_id, "Title": name})
    await service.settle()
    return service.texts_to(userid)[-1] if service.texts_to(userid) else ""


async def grades() -> list[tuple[str, int, str, str, str | None]]:
    rows = await MemberGrade.all().order_by("id").prefetch_related("member__person", "by")
    return [(g.member.person.userid, g.year, g.side, g.grade, g.by.userid if g.by else None) for g in rows]


async def test_a_unit_secretary_uploads_grades_all_or_nothing(driven_service):
    service = driven_service
    wrong = sheet(
        ["zhoudianming", "优秀", "称职"],  # the village's grade is not 高建国's to give
        ["hezheng", "良好", ""],  # not a grade
        ["jiangdahai", "优秀", ""],  # a villager, no member
        ["", "称职", ""],  # no account
        ["zhengxiaoyan", "优秀", ""],  # 白山镇's member: not his unit
    )
    reply = await send(service, "gaojianguo", wrong)
    assert reply == "\n".join(
        [
            "考评表有 5 处要改，这次一条都没有记（2026年）：",
            "第 2 行「村考评」：周电明的村考评不归您打（单位书记考评本单位的，村书记考评到本村报到的）。",
            "第 3 行「单位考评」：「良好」不是等次，请填 优秀、称职、基本称职、不称职 之一。",
            "第 4 行：账号 jiangdahai 不是已报到的在职党员。",
            "第 5 行：账号是空的。",
            "第 6 行「单位考评」：郑晓燕的单位考评不归您打（单位书记考评本单位的，村书记考评到本村报到的）。",
            "改好后请整张表再发一次。",
        ]
    )
    assert await grades() == []
    assert len(service.fake.calls("media/get", ok=True)) == 1  # the file came through WeCom's media API

    reply = await send(service, "gaojianguo", sheet(["zhoudianming", "优秀", ""], ["hezheng", "称职", None]))
    assert reply == "已记下2026年的考评 2 条：\n周电明 单位考评：优秀\n何正 单位考评：称职"
    assert await grades() == [
        ("zhoudianming", 2026, "unit", "优秀", "gaojianguo"),
        ("hezheng", 2026, "unit", "称职", "gaojianguo"),
    ]
    # the village's secretary gives the village's side; last year's sheet by its name; a second sheet replaces
    reply = await send(service, "liuyang", sheet(["zhoudianming", "", "称职"]), name="2025年度在职党员考评.xlsx")
    assert reply == "已记下2025年的考评 1 条：\n周电明 村考评：称职"
    reply = await send(service, "gaojianguo", sheet(["zhoudianming", "基本称职", ""]))
    assert reply.startswith("已记下2026年的考评 1 条")
    assert ("zhoudianming", 2026, "unit", "基本称职", "gaojianguo") in await grades()
    assert len(await grades()) == 3


async def test_bad_files_get_clear_answers_and_other_files_go_on(driven_service):
    service = driven_service
    assert (
        await send(service, "gaojianguo", b"not a workbook")
        == "这个文件打不开。请发 Excel（.xlsx）格式的考评表，列是：账号、单位考评、村考评。"
    )
    assert await send(service, "gaojianguo", sheet(header=("姓名", "等次"))) == (
        "考评表有 1 处要改，这次一条都没有记（2026年）：\n第 1 行：列名要是「账号」「单位考评」「村考评」，表里是：姓名, 等次。\n"
        "改好后请整张表再发一次。"
    )
    assert await send(service, "gaojianguo", sheet(["zhoudianming", "", ""])) == (
        "考评表里没有找到等次。请在「单位考评」或「村考评」列填上等次后再发。"
    )
    service.fake.fail_next("media/get", errcode=40007)
    assert await send(service, "gaojianguo", sheet(["zhoudianming", "优秀", ""])) == (
        "没能取到您发的考评表，请稍后再发一次。"
    )
    assert await grades() == []

    # a villager's spreadsheet is no grades sheet: it goes on like any file (no media/get from the handler)
    calls = len(service.fake.calls("media/get"))
    await send(service, "jiangdahai", sheet(["zhoudianming", "优秀", ""]))
    assert len(service.fake.calls("media/get")) == calls
    assert service.texts_to("jiangdahai") == ["照片（文件）收到了。请再用文字说一下是啥事，好给您登记。"]  # intake's
    assert await grades() == []


async def test_while_wecom_is_slow_to_give_the_sheet_other_messages_are_still_taken_in(driven_service):
    """The sheet is fetched before the message's transaction, not inside it: on SQLite, which writes one
    transaction at a time, a download inside it held every other callback's row until WeCom answered."""
    service = driven_service
    service.fake.add_media("media-slow", sheet(["zhoudianming", "优秀", ""]), XLSX)
    service.fake.slow("media/get", 2.0, times=1)
    await service.wecom.app_message("gaojianguo", "file", {"MediaId": "media-slow", "Title": "考评表.xlsx"})
    while not service.fake.arrived["media/get"]:  # the inbox has asked WeCom for the file
        await asyncio.sleep(0.01)
    await service.wecom.app_message("jiangdahai", "text", {"Content": "三屯那个桥塌了一半"})  # stored: answered 200
    assert service.fake.calls("media/get") == []  # ... while WeCom was still to give the file
    await service.settle()
    assert service.texts_to("gaojianguo")[-1] == "已记下2026年的考评 1 条：\n周电明 单位考评：优秀"
    assert len(service.fake.calls("media/get")) == 1  # fetched once, though the message was handled twice
    assert await grades() == [("zhoudianming", 2026, "unit", "优秀", "gaojianguo")]
    assert "#" in service.texts_to("jiangdahai")[-1]  # the villager's request was recorded and answered
