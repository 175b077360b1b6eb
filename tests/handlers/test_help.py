"""帮助 by role, end to end: the real service on the demo county, WeCom played by the sandbox.

Who is who (config/demo/county.toml, people.csv): villagers jiangdahai and fengbaolin (后道老村3网格),
township committee zhangwei (白山镇), liaison liutao (交通运输局), grid member wangjun (houdaolao-3),
admin zhaolei.
"""

from __future__ import annotations

import pytest

from bot.sandbox.harness import DrivenService
from config.errors import ConfigError
from config.help import read_help
from models import Request

GRID3_CHAT = "wrkSFfCgAAhoudaolao3"
TOWNSHIP_ONLY = ("吹哨", "改派", "督办", "哨单", "统计")


async def ask(sandbox: DrivenService, who: str, text: str) -> str:
    before = len(sandbox.texts_to(who))
    await sandbox.wecom.app_text(who, text)
    await sandbox.settle()
    return "".join(sandbox.texts_to(who)[before:])  # a long answer comes in parts of 2048 bytes


async def test_a_villager_sees_only_what_a_villager_may_do(driven_service):
    answer = await ask(driven_service, "jiangdahai", "帮助")
    for word in TOWNSHIP_ONLY + ("报到", "代报", "实事"):
        assert word not in answer.replace("不用记指令", ""), word
    assert "报事 要反映的事" in answer and "例如：报事 三屯的桥塌了，车过不去" in answer
    assert "我的诉求" in answer and "不用记指令" in answer
    assert await Request.all().count() == 0


@pytest.mark.parametrize("word", ["帮助", "菜单", "help", "HELP", "?", "？", "怎么用", "　帮助　"])
async def test_every_help_word_gives_a_township_secretary_the_township_commands(driven_service, word):
    answer = await ask(driven_service, "zhangwei", word)
    for line in (
        "吹哨 #诉求编号 [部门…] [说明]",
        "例如：吹哨 #1042 交通局 水务局 请尽快到现场",
        "改派 #哨单编号 部门… 原因",
        "督办 #哨单编号 [原因]",
        "统计 [本月｜上月]",
    ):
        assert line in answer, (word, line)
    assert "报到 #哨单编号" not in answer and "群众用的指令您也能用：报事" in answer
    assert await Request.all().count() == 0  # no small talk, no request


async def test_a_liaison_and_a_grid_member_see_their_own(driven_service):
    liaison = await ask(driven_service, "liutao", "帮助")
    assert "报到／签收：签收本部门的哨单" in liaison and "办结 #哨单编号 办理结果" in liaison
    assert "吹哨" not in liaison
    grid = await ask(driven_service, "wangjun", "菜单")
    assert "走访 户主 情况" in grid and "代报 户主或姓名 反映的事" in grid and "村办结 #诉求编号" in grid
    assert "吹哨 #" not in grid and "包保 设置" not in grid
    admin = await ask(driven_service, "zhaolei", "帮助")
    assert "吹哨 #" in admin and "报到 #" in admin


async def test_help_on_one_command(driven_service):
    answer = await ask(driven_service, "zhangwei", "帮助 吹哨")
    assert answer.startswith("「吹哨」：把诉求交给部门办理")
    assert "交通局、发改局" in answer and "谁能用：乡镇党委委员" in answer
    assert "改派" not in answer.split("\n")[0]
    answer = await ask(driven_service, "jiangdahai", "帮助 吹哨")
    assert "这个指令需要乡镇党委委员身份，您暂时用不了。" in answer
    answer = await ask(driven_service, "jiangdahai", "怎么用不满意")
    assert answer.startswith("「满意／基本满意／不满意」：评价刚办结的事")
    answer = await ask(driven_service, "zhangwei", "帮助 签收")
    assert answer.startswith("「报到／签收」") and "这个指令需要联络员身份" in answer


async def test_help_followed_by_a_matter_is_a_request(driven_service):
    await driven_service.wecom.app_text("jiangdahai", "怎么用医保卡交住院费 卡里有钱刷不出来")
    await driven_service.settle()
    request = await Request.get()
    assert request.primary == "health"


async def test_help_in_a_grid_group(driven_service):
    await driven_service.wecom.aibot_text("wangjun", "帮助", chatid=GRID3_CHAT)
    await driven_service.settle()
    (answer,) = [b["markdown"]["content"] for b in driven_service.fake.bodies("aibot/response")]
    assert "走访 户主 情况" in answer and "吹哨 #" not in answer


def test_a_help_file_with_mistakes_names_each(tmp_path):
    bad = tmp_path / "help.toml"
    bad.write_text('[texts]\ntitle = "x"\n[commands.whistle]\nusage = "吹哨"\nexmple = "吹哨 #1"\nroles = "乡镇"\n')
    with pytest.raises(ConfigError) as caught:
        read_help(bad)
    message = str(caught.value)
    assert f"{bad}: [texts] line: missing" in message
    assert f"{bad}: [commands.whistle] example: missing" in message
    assert f"{bad}: [commands.whistle] exmple: unknown key" in message
    assert f"{bad}: [commands.whistle] roles: should be a list of names in quotes" in message
