"""One tree of errors: what a person did wrong, what configuration is wrong, what WeCom said."""


class GridwhistleError(Exception):
    """Base of every error the project raises on purpose."""


class ConfigError(GridwhistleError):
    """Bad settings, org file or routing table; the message names the key (or file and row) and the fix."""


class UserError(GridwhistleError):
    """A person's mistake in a command; `key` picks the polite reply in config/replies.toml."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class ChannelError(GridwhistleError):
    """WeCom (or the sandbox) answered with an error code."""

    def __init__(self, errcode: int, errmsg: str = "", api: str = "") -> None:
        super().__init__(f"{api}: errcode {errcode} {errmsg}".strip())
        self.errcode = errcode
        self.errmsg = errmsg
        self.api = api
