"""`gridwhistle demo`: the fake WeCom, the service and the page together, driven through the page's JSON
endpoints as the browser does (the page's server side plays WeCom with encrypted callbacks)."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.channels.types import Address, Card, Outbound
from bot.keys import AIBOT_SOCKET
from bot.outbox import enqueue
from bot.sandbox.demo import RunningDemo, running_demo
from config.errors import ConfigError
from config.settings import Settings
from models import Assignment, KfCustomer, Request

DITCH = "村西头排水沟堵了，一下雨水就往院里灌"
BRIDGE = "三屯那个桥塌了一半，车过不去"  # transport, normal: the township confirms the whistle first


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def on_port(settings: Settings, port: int) -> Settings:
    return settings.model_copy(update={"server": settings.server.model_copy(update={"port": port})})


class Page:
    """The browser's side of the page: plain JSON to /demo/api/*."""

    def __init__(self, http: aiohttp.ClientSession, demo: RunningDemo) -> None:
        self.http, self.api = http, demo.page_url + "api/"

    async def get(self, path: str, **params: str) -> Any:
        async with self.http.get(self.api + path, params=params) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.http.post(self.api + path, json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def say(self, userid: str, text: str, where: str = "app", **extra: str) -> list[dict[str, Any]]:
        return (await self.post("say", {"userid": userid, "where": where, "text": text, **extra}))["items"]

    async def feed(self, userid: str, where: str = "app", **extra: str) -> list[dict[str, Any]]:
        return (await self.get("feed", userid=userid, where=where, **extra))["items"]

    async def click(self, userid: str, card: dict[str, Any], button: str) -> list[dict[str, Any]]:
        key = next(b["key"] for b in card["buttons"] if b["text"] == button)
        body = {"userid": userid, "where": "app", "task_id": card["task_id"], "key": key}
        return (await self.post("click", body))["items"]


def cards(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if i["kind"] == "card"]


def texts(items: list[dict[str, Any]]) -> list[str]:
    return [i["text"] for i in items if i["kind"] == "message"]


@pytest.fixture
async def demo(settings: Settings, clock) -> AsyncIterator[RunningDemo]:
    # background off: no timers; each page request itself sends what the service queued and is due
    async with running_demo(on_port(settings, free_port()), clock=clock, background=False) as running:
        yield running


@pytest.fixture
async def page(demo: RunningDemo) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession() as http:
        yield Page(http, demo)


async def test_the_bridge_story_through_the_page(page, demo, clock):
    # a villager reports it 1:1 with the app and sees the bot's answer in the page's answer and feed
    items = await page.say("jiangdahai", BRIDGE)
    assert items[0] == {"kind": "said", "userid": "jiangdahai", "name": "姜大海", "text": BRIDGE, "mine": True}
    assert "#1001" in texts(items)[0] and texts(await page.feed("jiangdahai")) == texts(items)
    # the demo county has the village tier on: the village has it first, and its secretary sends it up
    assert "先交给咱村村书记" in texts(items)[0]
    (village,) = cards(await page.feed("jiangfeng"))
    assert [b["text"] for b in village["buttons"]] == ["村办结", "上报乡镇"]
    await page.click("jiangfeng", village, "上报乡镇")
    # the township blows the whistle by its card
    (confirm,) = cards(await page.feed("zhangwei"))
    assert [b["text"] for b in confirm["buttons"]] == ["确认吹哨", "改派"]
    items = await page.click("zhangwei", confirm, "确认吹哨")
    assert cards(items)[0]["buttons"] == [] and cards(items)[0]["done"].startswith("已吹哨")
    # the liaison signs (the card turns into 办结/进展 for every liaison of the department) and finishes
    (duty,) = cards(await page.feed("liutao"))
    assert "#1002" in duty["title"]
    items = await page.click("liutao", duty, "签收")
    assert [b["text"] for b in cards(items)[0]["buttons"]] == ["办结", "进展"]
    assert [b["text"] for b in cards(await page.feed("mabin"))[0]["buttons"]] == ["办结", "进展"]
    clock.advance(minutes=40)
    # … and finishes by typing what was done; the card follows (for 马斌 too)
    items = await page.say("liutao", "办结 #1002 便桥已通，大车先绕行")
    assert "已办结" in texts(items)[-1]
    assert [b["text"] for b in cards(await page.feed("mabin"))[-1]["buttons"]] == ["已办结（刘涛）"]
    # the villager's news waits to be combined; the page shows it waiting and can send it now
    assert (await page.get("waiting"))["count"] >= 1
    await page.post("send_now", {})
    assert (await page.get("waiting"))["count"] == 0
    feed = await page.feed("jiangdahai")
    news = next(i for i, item in enumerate(feed) if "交通运输局已办结：便桥已通，大车先绕行" in item.get("text", ""))
    (rating,) = cards(feed)
    assert feed.index(rating) > news  # the liaison's note first, then the question that rates it
    items = await page.click("jiangdahai", rating, "满意")
    assert "谢谢" in texts(items)[-1]
    assert (await Request.get(number=1001)).status == "closed"
    # each click was a real template_card_event callback, answered with an encrypted update_button
    assert [c.ack for c in demo.state.log.clicks] == ["已提交，正在处理"] * 4


async def test_a_step_card_with_its_result_list_through_the_page(page, demo, clock):
    """The demo runs the example small-powers list: a step card shows its result list, and 完成 sends the pick."""
    await page.say("jiangfeng", "权力 启动 四议两公开 建文化广场")
    await page.say("jiangfeng", "权力 完成 1 1 提议建广场")
    card = cards(await page.feed("jiangfeng"))[-1]
    assert card["title"] == "流程 1 第2步：两委会商议" and [b["text"] for b in card["buttons"]] == ["完成"]
    assert card["selects"] == [{"key": "result", "title": "结果", "options": [["1", "通过"], ["2", "未通过"]]}]
    body = {"userid": "jiangfeng", "where": "app", "task_id": card["task_id"], "key": card["buttons"][0]["key"]}
    items = (await page.post("click", {**body, "selected": {"result": []}}))["items"]
    assert texts(items)[-1] == "卡片上没有选结果，这一步还没记录。请发：权力 完成 1 2 结果，例如：权力 完成 1 2 通过"
    clock.advance(minutes=1)  # the same button in the same second would be WeCom's retry of the first tap
    items = (await page.post("click", {**body, "selected": {"result": ["1"]}}))["items"]
    assert texts(items)[-1] == "已记录：流程 1 第2步「两委会商议」完成，结果：通过。"
    done = next(c for c in cards(items) if c["task_id"] == card["task_id"])
    assert done["buttons"] == [] and done["done"].startswith("已完成：姜峰 ") and done["done"].endswith("结果：通过")


async def test_whistling_again_by_the_names_people_say(page, demo):
    # the story's last steps: another matter, whistled to departments named as people say them
    await page.say("jiangdahai", DITCH)
    items = await page.say("zhangwei", "吹哨 #1001 水务局 住建局 财正局")
    said = "\n".join(texts(items))
    assert "水务局" in said and "住房和城乡建设局" in said and "财正局" in said and "财政局" in said
    # … and once more on the whistled request: the known name added, the unknown one asked about
    items = await page.say("zhangwei", "吹哨 #1001 发改局 财正局 现场联办")
    said = "\n".join(texts(items))
    assert "发展和改革局" in said and "财政局" in said
    parts = await Assignment.filter(ticket__number=1002).prefetch_related("department")
    assert {a.department.code for a in parts} == {"water", "housing", "development_reform"}


async def test_a_group_message_and_customer_service(page, demo):
    chat = "wrkSFfCgAAhoudaolao3"
    await page.say("fengbaolin", "我家门口路灯坏了好几天了", where="group", chatid=chat)
    # everyone in the group sees the message and the AI bot's answer to it
    items = await page.feed("jiangdahai", where="group", chatid=chat)
    assert [i["kind"] for i in items] == ["said", "message"]
    assert items[0]["name"] == "冯宝林" and not items[0]["mine"]
    assert items[1]["via"] == "aibot" and "#1001" in items[1]["text"]
    assert await page.feed("jiangdahai", where="group", chatid="wrkSFfCgAAhoudaolao1") == []
    # a personal-WeChat villager writes to customer service from their grid's link
    items = await page.say("wangshufen", "村里自来水停了两天了", where="kf")
    assert items[1]["via"] == "kf" and "#1002" in items[1]["text"]
    customer = await KfCustomer.get(external_userid="wmdemowangshufen").prefetch_related("grid")
    assert customer.grid.code == "houdaolao-1"


async def test_the_page_and_the_people(page, demo):
    async with page.http.get(demo.service_url + "/", allow_redirects=True) as response:
        assert response.status == 200 and str(response.url).endswith("/demo/")
        assert "网格哨" in await response.text()
    async with page.http.get(demo.page_url + "static/demo.js") as response:
        assert response.status == 200
    people = await page.get("people")
    roles = [r["role"] for r in people["roles"]]
    assert roles[:2] == ["villager", "grid_member"] and {"township_committee", "liaison"} <= set(roles)
    by_role = {r["role"]: {p["userid"]: p for p in r["people"]} for r in people["roles"]}
    assert by_role["villager"]["jiangdahai"]["chat"] == "wrkSFfCgAAhoudaolao3"
    assert by_role["villager"]["jiangdahai"]["where"] == "后道老村 三屯 3网格"
    assert by_role["liaison"]["liutao"]["place"] == "交通运输局" and not by_role["liaison"]["liutao"]["kf"]
    assert by_role["township_committee"]["zhangwei"]["chat"] == "wrkSFfCgAAbaishan"
    assert by_role["village_secretary"]["jiangfeng"]["posts"] == "村党组织书记、村委会主任"
    assert by_role["grid_member"]["jiangfeng"]["posts"] == "村党组织书记、村委会主任"
    assert by_role["villager"]["jiangdahai"]["posts"] == ""
    assert len(people["chats"]) == 16


async def test_bad_requests_are_refused(page, demo):
    for body in (
        {"userid": "jiangdahai", "where": "app", "text": ""},
        {"userid": "nobody", "where": "app", "text": "你好"},
        {"userid": "jiangdahai", "where": "group", "text": "你好"},
        {"userid": "jiangdahai", "where": "fax", "text": "你好"},
    ):
        async with page.http.post(page.api + "say", json=body) as response:
            assert response.status == 400


async def test_a_busy_port_is_a_config_error(settings, clock):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        with pytest.raises(ConfigError, match="--port"):
            async with running_demo(on_port(settings, sock.getsockname()[1]), clock=clock, background=False):
                pass


async def test_the_demo_command_prints_the_page_and_stops_on_ctrl_c(tmp_path: Path, database_url: str):
    config = tmp_path / "demo.toml"
    config.write_text(f'[database]\nurl = "{database_url}"\n', encoding="utf-8")
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "demo",
        "--config",
        str(config),
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        url = f"http://127.0.0.1:{port}/demo/"
        while True:
            line = (await proc.stdout.readline()).decode()
            assert line, f"demo exited before listening: {(await proc.stderr.read()).decode()}"
            if url in line and "浏览器" in line:
                break
        async with aiohttp.ClientSession() as http:
            async with http.get(url + "api/people") as response:
                assert response.status == 200
            async with http.post(
                url + "api/say", json={"userid": "jiangdahai", "where": "app", "text": BRIDGE}
            ) as response:
                assert "#1001" in (await response.json())["items"][1]["text"]
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, _ = await proc.communicate()
    assert proc.returncode == 0 and "已停止" in stdout.decode()


async def test_a_card_update_wecom_refuses_is_not_left_waiting(page, demo, clock):
    """A spent response_code: the update is settled (its fresh card goes instead), not counted as waiting."""
    update = Outbound(Address("app", "liutao"), card_update={"response_code": "spent", "replace_name": "已办结"})
    fresh = Outbound(Address("app", "liutao"), card=Card(task_id="fresh-1", title="诉求 #1001 已办结"))
    await enqueue(update, now=clock.now(), fallback=fresh)
    await page.post("send_now", {})
    assert (await page.get("waiting"))["count"] == 0
    await page.post("send_now", {})
    assert [c["title"] for c in cards(await page.feed("liutao"))] == ["诉求 #1001 已办结"]


async def test_a_group_message_over_the_long_connection(settings: Settings, clock) -> None:
    aibot = settings.wecom.aibot.model_copy(update={"mode": "long_connection", "bot_id": "demo", "secret": "demo"})
    settings = settings.model_copy(update={"wecom": settings.wecom.model_copy(update={"aibot": aibot})})
    async with running_demo(on_port(settings, free_port()), clock=clock, background=False) as demo:
        await demo.state.service[AIBOT_SOCKET].until_up()
        async with aiohttp.ClientSession() as http:
            page = Page(http, demo)
            chat = "wrkSFfCgAAhoudaolao3"
            await page.say("fengbaolin", "我家门口路灯坏了好几天了", where="group", chatid=chat)
            items = await page.feed("jiangdahai", where="group", chatid=chat)
        assert [i["kind"] for i in items] == ["said", "message"]
        assert items[1]["via"] == "aibot" and "#1001" in items[1]["text"]
        assert demo.fake.state.aibot_ws is not None
        (answer,) = demo.fake.state.aibot_ws.sent("aibot_respond_msg")  # over the socket, not a response_url
        assert not demo.fake.state.calls("aibot/response")
