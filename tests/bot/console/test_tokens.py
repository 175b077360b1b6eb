"""API tokens made and revoked by the CLI, read as their person's scope."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.bot.console.conftest import Console


async def test_token_create_use_revoke(console: Console, gridwhistle, config_file: Path) -> None:
    code, out, err = await gridwhistle("token", "create", "--person", "zhangwei", "--config", str(config_file))
    assert code == 0, err
    token_id, secret = out.split()[1], out.strip().splitlines()[-1]
    async with aiohttp.ClientSession() as http:
        bearer = {"Authorization": f"Bearer {secret}"}
        async with http.get(f"{console.url}/api/v1/requests", headers=bearer) as response:
            assert response.status == 200 and (await response.json())["total"] > 0
        async with http.get(f"{console.url}/api/v1/requests", headers={"Authorization": "Bearer gw_wrong"}) as response:
            assert response.status == 401
        code, _, err = await gridwhistle("token", "revoke", token_id, "--config", str(config_file))
        assert code == 0, err
        async with http.get(f"{console.url}/api/v1/requests", headers=bearer) as response:
            assert response.status == 401
    code, _, err = await gridwhistle("token", "create", "--person", "lidawei", "--config", str(config_file))
    assert code == 1 and "no role" in err
    code, _, err = await gridwhistle("token", "revoke", "999", "--config", str(config_file))
    assert code == 1
