"""The routing guide's hard cases, through the shipped table (config/routing/)."""

from __future__ import annotations

import pytest

from nlp.lexicon import parse_table
from nlp.router import Router

# The grid's own department, which every small table needs (it is the default).
VILLAGE = """
[departments.village]
name = "村两委"
[[departments.village.terms]]
weight = 5.0
words = ["邻居"]
"""


def route(router: Router, text: str) -> tuple[str, set[str], str]:
    decision = router.classify(text)
    return decision.primary, set(decision.also), decision.urgency


@pytest.mark.parametrize(
    "text",
    [
        "谢谢供电所的师傅 把路灯修好了",  # a department word in thanks
        "收到",
        "好的",
        "看着了",
        "专业打井 价格优惠 电话13512345678",  # an advert, even for well digging
        "出售复合肥 包送到家 有意者私聊",
        "谁明天去县里 捎我一段",  # villagers between themselves
        "门口那台车谁家的 挪一下",
        "通知：明天上午停电检修 请大家做好准备",  # a cadre's notice
        "【转】今年种粮补贴标准公布",  # forwarded news
        "已经修好了 不用来了",  # fixed already
        "👍👍",
    ],
)
def test_not_requests_route_to_none(router: Router, text: str) -> None:
    decision = router.classify(text)
    assert (decision.is_request, decision.primary, decision.also, decision.urgency) == (False, "none", (), "normal")


def test_policy_questions_go_to_the_policy_owner(router: Router) -> None:
    assert route(router, "医保今年交多少钱")[0] == "health"
    assert route(router, "养老保险一年交多少")[0] == "human_resources"
    assert route(router, "种粮补贴啥时候发")[0] == "agriculture"


def test_money_approved_but_not_arrived_is_finance_with_the_programme(router: Router) -> None:
    assert route(router, "低保说是批下来了 卡里一直没钱") == ("finance", {"civil_affairs"}, "normal")
    assert route(router, "种粮补贴说是批了 一卡通里也没看着钱") == ("finance", {"agriculture"}, "normal")


def test_compensation_is_finance(router: Router) -> None:
    primary, also, _ = route(router, "修路征地的补偿款一直没给")
    assert primary == "finance" and also == {"natural_resources"}


def test_an_eligibility_question_stays_with_the_programme(router: Router) -> None:
    assert route(router, "低保金这个月咋少了")[0] == "civil_affairs"


def test_wage_arrears_are_human_resources_with_justice_even_for_road_work(router: Router) -> None:
    assert route(router, "修路的工钱欠了仨月了 包工头跑了") == ("human_resources", {"justice"}, "normal")
    assert route(router, "秋收帮人收苞米 工钱到现在没结")[:2] == ("human_resources", {"justice"})


def test_land(router: Router) -> None:
    assert route(router, "跟邻居的地界纠纷 我想起诉他")[0] == "justice"
    assert route(router, "我家承包地让邻居给多占了两垄")[0] == "agriculture"
    assert route(router, "邻居盖房子占了我家宅基地")[0] == "natural_resources"
    assert route(router, "有人在山上偷着砍树")[0] == "natural_resources"


def test_quarrels_stay_in_the_village_unless_violent(router: Router) -> None:
    assert route(router, "邻居天天跟我吵 说我家鸡进他菜园子了") == ("village", set(), "normal")
    assert route(router, "俩喝多的在道上干起来了 都见血了 快来") == ("public_security", set(), "urgent")


def test_projects_are_development_reform_but_a_broken_bridge_is_transport(router: Router) -> None:
    assert route(router, "去年冲垮的大桥啥时候能立项重建")[0] == "development_reform"
    assert route(router, "村东头小桥裂了个大缝子 拖拉机不敢过")[0] == "transport"


def test_food_safety(router: Router) -> None:
    assert route(router, "超市卖过期的面包")[0] == "market"
    assert route(router, "吃了席上的菜 十几个人上吐下泻") == ("health", {"market"}, "urgent")
    primary, also, _ = route(router, "学校食堂的饭菜馊了 孩子吃完肚子疼")
    assert (primary, also) == ("market", {"education", "health"})
    assert route(router, "校车早上老晚 孩子天天迟到")[0] == "education"


def test_fires_and_co(router: Router) -> None:
    assert route(router, "着火了 三屯老刘家房子着了") == ("emergency", set(), "urgent")
    assert route(router, "一家三口煤烟中毒了 人都起不来了") == ("health", {"emergency"}, "urgent")


def test_the_thing_named_is_not_the_department(router: Router) -> None:
    assert route(router, "停电一上午了 挤奶机用不了")[0] == "power"
    assert route(router, "刮大风把大杨树刮倒了 横在村道上 车过不去")[0] == "transport"
    assert route(router, "村口道上的井盖没了")[0] == "transport"


def test_cadre_misconduct_is_discipline_never_village(router: Router) -> None:
    assert route(router, "村书记把低保都给自家亲戚了")[0] == "discipline"
    assert route(router, "村长收礼 不送东西啥事都办不成")[0] == "discipline"


def test_lights_are_power_and_signal_is_telecom(router: Router) -> None:
    assert route(router, "路灯不亮好几个月了")[0] == "power"
    assert route(router, "手机没信号 打电话得上房顶")[0] == "telecom"
    assert route(router, "有线电视没台了")[0] == "telecom"


def test_follow_ups_are_requests_marked_as_such(router: Router) -> None:
    decision = router.classify("我上回说的那个事咋还没信儿")
    assert decision.is_request and decision.is_followup
    assert not router.classify("停水三天了 咋回事").is_followup


@pytest.mark.parametrize(
    "text",
    [
        "电线杆子上噼里啪啦冒火花",
        "孩子找不着了 五岁 穿红衣服",
        "有人打电话说是公安让我妈转账 现在还在通话",
        "河水漫上来了都进院子了 屋里还有老人",
        "停暖两天了 外边零下三十多度 老人孩子冻得直哆嗦",
        "隔壁王奶奶一个人住 两天没见出门 敲门也不应",
    ],
)
def test_present_danger_is_urgent(router: Router, text: str) -> None:
    assert router.classify(text).urgency == "urgent"


@pytest.mark.parametrize(
    "text",
    [
        "家里上个月着火了 临时救助咋申请",  # the past
        "电线有点老化了 怕哪天着火",  # only a risk
        "村口那个井盖没了 谁掉进去咋整",
        "暖气不太热 晚上得盖两床被",
        "有人在地里烧秸秆 烟大得呛人",
    ],
)
def test_risks_and_the_past_are_not_urgent(router: Router, text: str) -> None:
    assert router.classify(text).urgency == "normal"


def test_a_decision_explains_itself(router: Router) -> None:
    decision = router.classify("路登不亮了")
    assert decision.primary == "power"
    assert "路登(路灯) → power" in decision.explanation
    assert decision.keywords == ("路灯",)
    assert decision.scores["power"] > 0


def test_short_words_count_only_where_jieba_keeps_them_whole(router: Router) -> None:
    # 来电 (power) inside 打来|电话 and 道 inside 知道 are not words of the message.
    assert router.classify("他打来电话说知道了").keywords == ()


def test_a_question_said_the_northeastern_way_is_a_request(jieba_cache) -> None:
    # No question word, only the trailing 不 of a spoken question tips a weak message into a request.
    table = parse_table(
        VILLAGE
        + """
[scoring]
request_threshold = 3.0
[cues.spoken_question]
weight = 1.5
at_end = true
words = ["不"]
[departments.agriculture]
name = "农业农村局"
[[departments.agriculture.terms]]
weight = 2.0
words = ["贴息"]
"""
    )
    small = Router(table, cache_dir=jieba_cache)
    assert small.classify("种地的贷款能贴息不？").is_request
    assert not small.classify("种地的贷款能贴息").is_request
    assert not small.classify("不贴息的贷款").is_request  # 不 only counts as the last word


def test_signs_of_harm_count_inside_words_and_make_a_request(router: Router) -> None:
    # 砍 and 刀 inside 砍刀/砍伤: no listed danger phrase, no question, still urgent and a request.
    decision = router.classify("村口有个人拿着砍刀追着人砍 都砍伤了")
    assert (decision.is_request, decision.primary, decision.urgency) == (True, "public_security", "urgent")
    # One sign alone is not enough: 火 in 火车.
    assert router.classify("明天坐火车去哈尔滨 咋买票").urgency == "normal"


def test_telltale_characters_only_decide_when_no_listed_word_matched(router: Router) -> None:
    # 电磁炉 and 转不动 are listed nowhere; 电 still points at power for a request that names nothing else.
    decision = router.classify("晚上电磁炉都转不动 咋整 能给看看不")
    assert decision.primary == "power" and decision.keywords == ()
    # A listed word wins over any number of telltale characters.
    assert router.classify("学校的电脑教室漏雨 谁来修").primary != "power"
    # A follow-up with no department words stays with the open request (the default department here).
    assert router.classify("上礼拜反映的那事 到底有人管没有啊").primary == "village"


def test_a_mask_hides_the_shorter_words_written_inside_it(router: Router) -> None:
    # 怕是 says "probably": the CO poisoning is happening, not a risk to prevent (怕 "afraid").
    decision = router.classify("一家三口早上起来都头疼恶心 炉子没封好 怕是中煤气了")
    assert (decision.primary, decision.also, decision.urgency) == ("health", ("emergency",), "urgent")
    # 血 in 高血压 and 烧 in 发烧 are no signs of harm.
    assert router.classify("高血压的药吃完了 孩子还发烧 村医啥时候来").urgency == "normal"


def test_a_negation_turns_a_pulling_away_cue_around(router: Router) -> None:
    # 好使了 says "fixed", 不好使了 says the opposite; 通知 is a notice, 没个通知 a complaint.
    assert router.classify("家里电饭锅不好使了").is_request
    assert router.classify("自来水停了两天了 也没个通知").primary == "water"
    assert not router.classify("电饭锅好使了 不用来了").is_request


@pytest.mark.parametrize(
    "text, primary",
    [
        ("南头那个旧猪圈刚塌了 里头还有俩孩子", "emergency"),  # a collapse with people inside
        ("屋里一股子臭鸡蛋味 煤气罐嘴漏了 拧不上", "emergency"),  # gas leaking now, nobody ill yet
        ("学校后墙那两帮半大小子正打着呢 有拎棍子的", "public_security"),  # a fight in progress, wherever it is
        ("闺女放学到现在还没进家 电话也打不通 天都黑透了", "public_security"),
        ("邻居屋里煤烟味老大了 敲门没人应", "health"),  # CO with nobody answering
        ("零下三十度 俺家炉子灭了 没煤了 俩孩子冻得直哭", "civil_affairs"),
        ("雨下一宿了 河水上来了 东头几户被水围上了", "emergency"),  # said, not asked: still a request
        ("一家四口都躺炕上起不来 屋里一股煤烟子味", "health"),
        ("孙子跟着放羊的出去 天黑了还没回来 手机也关机", "public_security"),  # a phone switched off is no lost phone
        ("新盖的车库顶子塌下来了 砸着俩干活的", "emergency"),  # no heat in a cold spell, even unasked
    ],
)
def test_urgent_families_in_fresh_words(router: Router, text: str, primary: str) -> None:
    decision = router.classify(text)
    assert (decision.is_request, decision.urgency) == (True, "urgent")
    assert decision.primary == primary or primary in decision.also


@pytest.mark.parametrize(
    "text",
    [
        "上个月俺家仓房着火烧没了 临时救助能给点不",  # relief asked for: the danger is over
        "上回有人冒充公安骗了俺五千块 报案了到现在也没信儿",
        "冻得要命 这暖气能不能再烧热点",  # hyperbole
        "他俩吵吵半天 也没打起来 你们给说道说道",  # a fight that did not happen
        "俺家孩子上礼拜走丢过一回 幸亏找着了 屯里能不能安几个监控",
    ],
)
def test_past_dangers_and_hyperbole_are_not_urgent(router: Router, text: str) -> None:
    decision = router.classify(text)
    assert (decision.is_request, decision.urgency) == (True, "normal")


@pytest.mark.parametrize(
    "text", ["刚才那个着火的事是邻县的 咱这没事", "防诈骗提醒 凡是让转安全账户的都是骗子 转给家里老人"]
)
def test_dangers_elsewhere_and_warnings_are_no_requests(router: Router, text: str) -> None:
    assert router.classify(text).is_request is False


def test_lamps_of_a_public_place_outdoors_are_power_lamps_indoors_the_village(router: Router) -> None:
    assert route(router, "村部广场那几个灯坏了 晚上跳舞黑灯瞎火的")[0] == "power"  # routing guide rule 12
    assert route(router, "村部广场那几盏灯坏了好些天 晚上跳舞的都看不见道")[0] == "power"


def test_a_notice_or_news_naming_a_danger_is_no_request(jieba_cache) -> None:
    # Danger words and a rule that makes a request would say "urgent request"; a notice's cue vetoes both.
    table = parse_table(
        VILLAGE
        + """
[scoring]
request_threshold = 3.0
urgency_threshold = 3.0
veto = 5.0
[cues.notice]
weight = -5.0
vetoes = true
words = ["各户注意"]
[cues.ask]
weight = 2.0
words = ["快来"]
[urgency.danger]
weight = 4.0
words = ["着火"]
[departments.emergency]
name = "应急管理局"
[[departments.emergency.terms]]
weight = 6.0
words = ["着火"]
[[rules]]
name = "a fire is a request"
all = [["着火"]]
primary = "emergency"
urgency = "urgent"
request = true
"""
    )
    small = Router(table, cache_dir=jieba_cache)
    fire = small.classify("后院着火了")
    assert (fire.is_request, fire.primary, fire.urgency) == (True, "emergency", "urgent")
    notice = small.classify("各户注意 入冬前掏烟囱 防止着火")
    assert (notice.is_request, notice.primary, notice.urgency) == (False, "none", "normal")
    # An ask on top of the notice cue (-5 + 2) is above the veto: a real alarm posted to the group.
    assert small.classify("各户注意 后街着火了 快来").is_request


@pytest.mark.parametrize(
    "text",
    [
        "各户注意 入冬前掏烟筒 防止着火",  # a notice
        "电视上说南方发大水了 淹了好多村子 真吓人",  # news
        "嗓子眼都着火了 这两天上火上的 哈哈",  # a figure of speech
        "今天贼冷 冻死了 出门脸都冻木了 大伙多穿点",  # weather talk and advice
    ],
)
def test_danger_words_in_notices_news_and_jokes_raise_no_alarm(router: Router, text: str) -> None:
    decision = router.classify(text)
    assert (decision.is_request, decision.urgency) == (False, "normal")


def test_a_long_story_that_asks_is_not_undone_by_stray_words(router: Router) -> None:
    # 机顶盒都装上了 reads as "fixed" and 新闻联播 as news; the story still asks when the cable will work.
    story = (
        "今年开春村里说给俺们屯通有线电视 机顶盒都装上了 到现在一个台也收不着 村里说是广电的事 广电说线路没接完 "
        "来回推 俺家老头就爱看个新闻联播 啥时候能给接上啊"
    )
    decision = router.classify(story)
    assert (decision.is_request, decision.primary) == (True, "telecom")
    # A short message with the same words is still "fixed": nobody needs to come.
    assert not router.classify("机顶盒都装上了 谢谢").is_request
