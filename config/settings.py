"""Settings: one TOML file, every key overridable by GRIDWHISTLE_SECTION__KEY environment variables.

Validation happens once at start-up; a mistake becomes a ConfigError that names the key and the fix,
never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from config.errors import ConfigError
from config.paths import CONFIG_DIR, DEMO_ORG_FILE, ROUTING_TABLE

DB_SCHEMES = ("sqlite", "postgres", "postgresql")

# Demo credentials: the built-in WeCom sandbox accepts them; a real deployment sets its own.
DEMO_CORP_ID = "wwgridwhistledemo"
DEMO_TOKEN = "gridwhistle-demo-token"
DEMO_AES_KEY = "R3JpZHdoaXN0bGVEZW1vS2V5MDEyMzQ1Njc4OWFiY2Q"  # 43 characters


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_aes_key(value: str) -> str:
    if len(value) != 43 or not value.isalnum() or not value.isascii():
        raise ValueError("EncodingAESKey must be exactly 43 letters and digits, as shown in the WeCom console")
    return value


class ServerSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    # Seconds a request's body may take to arrive; a slower client's connection is closed (a socket each).
    body_timeout: float = Field(15.0, gt=0, le=300)
    # The base URL people reach the service at (the leaders' console): WeCom sends sign-ins back to
    # {public_url}/console/auth, so its host must be the app's 可信域名. Empty: http://host:port.
    public_url: str = ""
    # Hours a console sign-in lasts before WeCom is asked again.
    console_session_hours: float = Field(8.0, gt=0, le=24 * 30)
    # Seconds a console figure set of a large period (the county's year) is shown again, with the time it was
    # counted (统计截至), before it is counted anew; a ticker recounts those in use every minute. 0: always live.
    console_rates_reuse_seconds: float = Field(60.0, ge=0, le=3600)

    @field_validator("public_url")
    @classmethod
    def _public_http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("public_url must be an http:// or https:// URL, e.g. https://gridwhistle.example.gov.cn")
        return value.rstrip("/")

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return self.public_url or f"http://{host}:{self.port}"


class DatabaseSettings(Section):
    url: str = "sqlite://data/gridwhistle.sqlite3"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in DB_SCHEMES:
            raise ValueError(
                f"unknown database scheme {scheme or value!r}: use sqlite://PATH or postgres://USER@HOST:PORT/DB"
            )
        return value


class AppSettings(Section):
    agent_id: int = 1000002
    secret: str = "gridwhistle-demo-secret"
    token: str = DEMO_TOKEN
    encoding_aes_key: str = DEMO_AES_KEY

    _aes = field_validator("encoding_aes_key")(classmethod(lambda cls, v: _check_aes_key(v)))


class AibotSettings(Section):
    token: str = DEMO_TOKEN
    encoding_aes_key: str = DEMO_AES_KEY
    name: str = "网格哨"  # the bot's display name, stripped from "@网格哨 …"
    # How WeCom reaches the bot: its callback URL (/wecom/aibot), or a WebSocket this service dials out
    # (no public address needed). WeCom keeps a bot in one of the two at a time.
    mode: Literal["callback", "long_connection"] = "callback"
    bot_id: str = ""  # the long connection's credentials, on the bot's page in the admin console
    secret: str = ""
    ws_url: str = "wss://openws.work.weixin.qq.com"
    ping_seconds: float = Field(30.0, gt=0, le=300)  # keep-alive; two unanswered pings and it reconnects
    elect_seconds: float = Field(3.0, gt=0, le=60)  # how often a process without the socket tries to take it
    outage_alert_seconds: float = Field(300.0, gt=0)  # the admins are told when it is down longer than this

    _aes = field_validator("encoding_aes_key")(classmethod(lambda cls, v: _check_aes_key(v)))

    @field_validator("ws_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("ws_url must be a ws:// or wss:// URL")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> AibotSettings:
        if self.mode == "long_connection" and not (self.bot_id and self.secret):
            raise ValueError('mode = "long_connection" needs bot_id and secret (the bot\'s page in the admin console)')
        return self

    @property
    def long_connection(self) -> bool:
        return self.mode == "long_connection"


class KfSettings(Section):
    open_kfid: str = "wkgridwhistledemo"


class WecomSettings(Section):
    corp_id: str = DEMO_CORP_ID
    api_base: str = "https://qyapi.weixin.qq.com/cgi-bin"
    app: AppSettings = AppSettings()
    aibot: AibotSettings = AibotSettings()
    kf: KfSettings = KfSettings()
    # Where a console sign-in goes: WeCom's OAuth2 page inside its client, its QR sign-in in a browser
    # (the sandbox points both at the fake WeCom).
    oauth_base: str = "https://open.weixin.qq.com"
    sso_base: str = "https://login.work.weixin.qq.com"
    # Seconds a signed callback's timestamp may be from our clock: older is a replay (or a wrong clock).
    max_clock_skew: int = 3600

    @field_validator("max_clock_skew")
    @classmethod
    def _sane_skew(cls, value: int) -> int:
        if not 60 <= value <= 86400:
            raise ValueError(
                "max_clock_skew must be seconds from 60 to 86400: less refuses WeCom's own retries, "
                "more lets an old callback be replayed"
            )
        return value

    @field_validator("api_base", "oauth_base", "sso_base")
    @classmethod
    def _http_url(cls, value: str, info: ValidationInfo) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{info.field_name} must be an http:// or https:// URL")
        return value.rstrip("/")


class OrgSettings(Section):
    file: Path = DEMO_ORG_FILE


class IndexSettings(Section):
    # the year's performance index (绩效指数, config/index_file.py); none: no index, stars or scoring.
    # `gridwhistle demo` uses the demo county's example when none is set.
    file: Path | None = None


class RoutingSettings(Section):
    table: Path = ROUTING_TABLE
    # Corrections a cadre accepted (`lexicon accept`), masked, as labelled JSON Lines for `lexicon learn`:
    # villagers' words, so a local file, never one in the repository.
    accepted_file: Path = Path("data/accepted_corrections.jsonl")


class PolicySettings(Section):
    file: Path = CONFIG_DIR / "policy.toml"  # quiet hours, deadlines, quotas (config/policy.py checks it)
    calendar: Path = CONFIG_DIR / "calendar.toml"  # holidays and 调休 make-up days


class MediaSettings(Section):
    dir: Path = Path("data/media")  # local copies of photos and files (WeCom's media expire after 3 days)


class PowersSettings(Section):
    file: Path | None = None  # the small-powers list (小微权力清单); unset, the feature is off


class AlertSettings(Section):
    admins: list[str] = []  # WeCom userids told about dead letters and unregistered chats


class LoggingSettings(Section):
    json_lines: bool = False  # one JSON object per line (with the trace id) instead of plain text


class BackupSettings(Section):
    keep: int = Field(14, ge=1)  # `gridwhistle backup` keeps this many under --to (and under copy_to)
    copy_to: Path | None = None  # a second place (a mounted share) each backup is also copied to
    # archives older than this many days are deleted (0: never by age); unset, the shortest [retention] period,
    # so a backup never keeps personal details longer than the database itself may
    max_days: int | None = Field(None, ge=0)
    key: str = ""  # Fernet key (`gridwhistle backup --new-key`); set it to encrypt backups

    @field_validator("key")
    @classmethod
    def _fernet_key(cls, value: str) -> str:
        if value:
            import base64
            import binascii

            try:
                raw = base64.urlsafe_b64decode(value.encode())
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ValueError("not a backup key: make one with `gridwhistle backup --new-key`")
        return value


class RetentionSettings(Section):
    """How long personal details are kept (README "Personal data"); 0 keeps that kind for good."""

    closed_request_months: int = Field(24, ge=0)  # phone/ID/house numbers in closed requests masked after
    non_request_days: int = Field(90, ge=0)  # messages judged not to be requests deleted after
    media_months: int = Field(24, ge=0)  # local copies of photos and files deleted after
    messages_days: int = Field(180, ge=0)  # handled inbox payloads and sent outbox texts emptied after

    def shortest_days(self) -> int:
        """The shortest period set (a month counted as 30 days); 0 when every kind is kept for good."""
        days = [self.non_request_days, self.messages_days, 30 * self.closed_request_months, 30 * self.media_months]
        return min((d for d in days if d), default=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GRIDWHISTLE_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    wecom: WecomSettings = WecomSettings()
    org: OrgSettings = OrgSettings()
    routing: RoutingSettings = RoutingSettings()
    policy: PolicySettings = PolicySettings()
    alerts: AlertSettings = AlertSettings()
    media: MediaSettings = MediaSettings()
    logging: LoggingSettings = LoggingSettings()
    backup: BackupSettings = BackupSettings()
    retention: RetentionSettings = RetentionSettings()
    powers: PowersSettings = PowersSettings()
    index: IndexSettings = IndexSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # pydantic-settings always passes its InitSettingsSource here, typed as the base class; the TOML
        # file's path rides in with the keyword arguments (load_settings).
        assert isinstance(init_settings, InitSettingsSource)
        toml_file = init_settings.init_kwargs.pop("_toml_file", None)
        sources: list[PydanticBaseSettingsSource] = [env_settings, init_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read the TOML file (if any), apply environment overrides, validate; raise ConfigError on a mistake."""
    source = "defaults" if path is None else str(path)
    kwargs: dict[str, Any] = dict(overrides)
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} not found: pass an existing TOML file to --config")
        kwargs["_toml_file"] = path
    try:
        settings = Settings(**kwargs)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
    except ValueError as exc:  # TOML syntax errors carry the line and column
        raise ConfigError(f"{source}: {exc}") from None
    if path is not None:
        settings = _resolve_relative_paths(settings, path.parent)
    return settings


def _resolve_relative_paths(settings: Settings, base: Path) -> Settings:
    """Files named in a config file are relative to that file, as an admin would expect."""
    org_file = settings.org.file if settings.org.file.is_absolute() else base / settings.org.file
    table = settings.routing.table if settings.routing.table.is_absolute() else base / settings.routing.table
    policy = {key: path if path.is_absolute() else base / path for key, path in settings.policy}
    powers = settings.powers.file
    index_file = settings.index.file
    if index_file is not None and not index_file.is_absolute():
        index_file = base / index_file
    return settings.model_copy(
        update={
            "powers": settings.powers.model_copy(
                update={"file": powers if powers is None or powers.is_absolute() else base / powers}
            ),
            "org": settings.org.model_copy(update={"file": org_file}),
            "routing": settings.routing.model_copy(update={"table": table}),
            "policy": settings.policy.model_copy(update=policy),
            "index": settings.index.model_copy(update={"file": index_file}),
        }
    )


def _describe(exc: ValidationError, source: str) -> str:
    lines = [f"invalid settings in {source}:"]
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        section, key = ".".join(loc[:-1]), loc[-1] if loc else "?"
        where = f"[{section}] {key}" if section else key
        env = "GRIDWHISTLE_" + "__".join(part.upper() for part in loc)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key; remove it or check its spelling against the README's configuration reference"
            lines.append(f"  {where}: {message}")
        elif any(name.upper() == env for name in os.environ):
            # The environment overrides the file, so the file is not where to look.
            lines.append(f"  {where}: {message} (the value comes from the environment variable {env})")
        else:
            lines.append(f"  {where}: {message} (or set {env})")
    return "\n".join(lines)
