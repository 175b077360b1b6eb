"""`gridwhistle org check-wecom` as a process against the WeCom sandbox's member directory."""

from __future__ import annotations

from models import Person


def settings_for(tmp_path, database_url: str, api_base: str):
    path = tmp_path / "gw.toml"
    path.write_text(f'[database]\nurl = "{database_url}"\n[wecom]\napi_base = "{api_base}"\n', encoding="utf-8")
    return path


async def test_who_is_missing_on_either_side(county, database_url, fake_wecom, tmp_path, gridwhistle) -> None:
    org = sorted(await Person.filter(userid__isnull=False).values_list("userid", flat=True))
    config = settings_for(tmp_path, database_url, fake_wecom.api_base)
    fake_wecom.state.members = [u for u in org if u != "jiangdahai"] + ["newcomer"]
    code, out, err = await gridwhistle("org", "check-wecom", "--config", str(config))
    assert code == 1, err
    lines = out.splitlines()
    assert lines[lines.index("in the org file, not in WeCom (1):") + 1].split() == ["jiangdahai", "姜大海"]
    assert lines[lines.index("in WeCom, not in the org file (1):") + 1].strip() == "newcomer"
    assert lines[-1] == f"org check-wecom: {len(org) - 1} in both, 1 only in the org file, 1 only in WeCom"

    fake_wecom.state.members = list(org)
    code, out, err = await gridwhistle("org", "check-wecom", "--config", str(config))
    assert (code, out.splitlines()[-1]) == (
        0,
        f"org check-wecom: {len(org)} in both, 0 only in the org file, 0 only in WeCom",
    )


async def test_a_directory_the_app_may_not_read_is_said_plainly(
    county, database_url, fake_wecom, tmp_path, gridwhistle
) -> None:
    fake_wecom.state.members = None
    code, out, err = await gridwhistle(
        "org", "check-wecom", "--config", str(settings_for(tmp_path, database_url, fake_wecom.api_base))
    )
    assert code == 1 and "WeCom's directory cannot be read" in err and "48002" in err and "Traceback" not in err
