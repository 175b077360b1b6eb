"""Write config/demo/households.xlsx, the demo county's household roster, from the rows below.

Village rosters are kept in spreadsheets, so the demo ships one to show (and test) that path.
Edit the rows here and run `python bench/make_demo_households.py`; codes are keys other parts
use, so change a code only together with everything that refers to it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook

TARGET = Path(__file__).resolve().parents[1] / "config" / "demo" / "households.xlsx"
HEADER = ("户号", "户主", "网格", "住址", "标签", "包保干部")

# 户号, 户主, 网格, 住址, 标签 (、-separated), 包保干部 (a cadre's userid, for tagged households)
ROWS = [
    ("houdaolao-1-003", "李长顺", "houdaolao-1", "前屯3号", "独居老人", "lidawei"),
    ("houdaolao-1-008", "王淑芬", "houdaolao-1", "前屯8号", "", ""),
    ("houdaolao-1-012", "赵德福", "houdaolao-1", "前屯12号", "低保", "jiangfeng"),
    ("houdaolao-2-021", "刘玉兰", "houdaolao-2", "前屯21号", "独居老人、低保", "zhangguirong"),
    ("houdaolao-2-025", "孙福海", "houdaolao-2", "前屯25号", "", ""),
    ("houdaolao-2-030", "周凤琴", "houdaolao-2", "前屯30号", "残疾", "liuyang"),
    ("houdaolao-3-005", "韩德山", "houdaolao-3", "三屯5号", "五保", "wangjun"),
    ("houdaolao-3-011", "马桂香", "houdaolao-3", "三屯11号", "独居老人", "wangjun"),
    ("houdaolao-3-017", "姜大海", "houdaolao-3", "三屯17号", "", ""),
    ("houdaolao-3-023", "冯宝林", "houdaolao-3", "三屯23号", "", ""),
    ("houdaolao-4-002", "高玉珍", "houdaolao-4", "三屯2号", "低保、残疾", "jiangfeng"),
    ("houdaolao-4-009", "杨树林", "houdaolao-4", "三屯9号", "", ""),
    ("houdaolao-4-015", "曲长林", "houdaolao-4", "三屯15号", "", ""),
    ("hongqi-1-101", "董立军", "hongqi-1", "一作业区101号", "", ""),
    ("hongqi-1-106", "邱秀兰", "hongqi-1", "一作业区106号", "独居老人", "yangshulan"),
    ("hongqi-1-110", "鲁大成", "hongqi-1", "一作业区110号", "", ""),
    ("hongqi-2-201", "丁兆福", "hongqi-2", "二作业区201号", "残疾", "songdejun"),
    ("hongqi-2-207", "石凤英", "hongqi-2", "二作业区207号", "", ""),
    ("hongqi-2-212", "钱玉琴", "hongqi-2", "二作业区212号", "留守儿童", "songdejun"),
    ("wenhua-1-004", "白永贵", "wenhua-1", "东屯4号", "低保", "zhouyuhua"),
    ("wenhua-1-015", "许春花", "wenhua-1", "东屯15号", "", ""),
    ("wenhua-1-019", "崔长海", "wenhua-1", "东屯19号", "", ""),
    ("wenhua-2-031", "蔡玉梅", "wenhua-2", "东屯31号", "独居老人", "sunjianguo"),
    ("wenhua-2-036", "潘国栋", "wenhua-2", "东屯36号", "", ""),
    ("wenhua-2-040", "霍秀珍", "wenhua-2", "东屯40号", "五保", "wangyue"),
    ("wenhua-3-007", "段福生", "wenhua-3", "西屯7号", "残疾、低保", "zhanghongmei"),
    ("wenhua-3-013", "耿丽华", "wenhua-3", "西屯13号", "", ""),
    ("wenhua-3-018", "常宝山", "wenhua-3", "西屯18号", "", ""),
    ("qianjin-1-002", "谭德顺", "qianjin-1", "南屯2号", "独居老人", "guoyufen"),
    ("qianjin-1-010", "孟凡军", "qianjin-1", "南屯10号", "", ""),
    ("qianjin-1-014", "闫桂芝", "qianjin-1", "南屯14号", "低保", "chenhao"),
    ("qianjin-2-006", "庞玉山", "qianjin-2", "北屯6号", "", ""),
    ("qianjin-2-011", "薛淑珍", "qianjin-2", "北屯11号", "独居老人、五保", "liuchangshan"),
    ("qianjin-2-020", "贺立新", "qianjin-2", "北屯20号", "", ""),
    ("dongsheng-1-101", "卢建华", "dongsheng-1", "东升小区1栋101室", "残疾", "hexiaoli"),
    ("dongsheng-1-203", "魏淑英", "dongsheng-1", "东升小区2栋203室", "独居老人", "hexiaoli"),
    ("dongsheng-1-305", "邵文斌", "dongsheng-1", "东升小区3栋305室", "", ""),
    ("dongsheng-2-102", "江海波", "dongsheng-2", "东升小区5栋102室", "", ""),
    ("dongsheng-2-208", "秦玉荣", "dongsheng-2", "东升小区6栋208室", "低保", "fanzhiqiang"),
    ("dongsheng-2-311", "柳志刚", "dongsheng-2", "东升小区7栋311室", "", ""),
]


def write(path: Path = TARGET) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "户籍"
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    for column, width in zip("ABCDEF", (18, 10, 14, 22, 16, 14), strict=False):
        sheet.column_dimensions[column].width = width
    workbook.save(path)
    return path


if __name__ == "__main__":
    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET))
