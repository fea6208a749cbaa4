"""A loopback Discord: REST and gateway on 127.0.0.1 for the real discord.py client to talk to.

Point a client at it with `Route.BASE = fake.api_base` and `DiscordWebSocket.DEFAULT_GATEWAY =
fake.gateway_url` (the `pointed_at` context manager does both and restores them). Tests drive it with
`post_message`, `invoke` and the `wait_*` helpers, then read what the bot sent in `sent`.

It plays Discord's side strictly, so a test fails where Discord would refuse:
- REST answers carry `Content-Type: application/json` exactly; bot routes need `Authorization: Bot <token>`
  (401 otherwise); unknown routes are 404.
- Messages: content at most 2,000 characters, embeds within 256/4,096/25 fields/256+1,024 per
  field/2,048 footer/6,000 in all and 10 per message, field names and values non-empty, only http(s)
  URLs, allowed_mentions well formed, no empty message (50006), replies to messages that exist unless
  `fail_if_not_exists` is false, only the flags a bot may set. Form errors are 400 with code 50035.
- Interactions: acknowledged once (a second callback is 400, code 40060), within 3 s of
  INTERACTION_CREATE (later is 404, code 10062), with a response type that fits the interaction;
  `?with_response=1` gets `{"interaction": …, "resource": …}`, without it 204. @original can be
  edited or deleted only after an acknowledgement that created it (404, 10008); follow-ups only after
  an acknowledgement (404, 10015); the first follow-up after a defer replaces the "thinking" message.
- Slash commands: registration checks names, descriptions (1–100), option order and limits;
  `invoke` only sends commands that were registered, with options Discord's client would accept.
- Gateway: HELLO, then IDENTIFY with the right token (else close 4004) and no privileged intent the
  application has not enabled (else close 4014), then READY and GUILD_CREATE; heartbeats are acked
  and their times kept; member requests get a chunk; frames are zlib-stream compressed when asked.
- Mentions: every message the bot sends records who it would ping (`Sent.pings`), by Discord's
  allowed_mentions rules; a bot must never ping anyone here.
- Components: at most 5 action rows of at most 5 buttons; a button has a style 1-5, a label (≤ 80) or an
  emoji, a custom id of 1-100 characters unique in its message (a link button a URL instead). `click`
  sends a component interaction (type 3) for a button the message really shows and that is enabled; it
  may be answered with a message (4), a deferral (5, 6) or an update of the message (7).
- Threads: a thread started from a message (`POST /channels/{c}/messages/{m}/threads`) takes the message's
  id, is announced with THREAD_CREATE, accepts messages, and only one thread per message (160004).
- Attachments: an attachment option is given to `invoke` as (filename, bytes); the file is served from a
  loopback CDN URL and sent in `data.resolved.attachments`, as Discord does (at most 10 MB).
- Faults: `fail_next` makes the next matching request get Discord's 429 (with `retry_after`, the
  rate-limit headers and `Via`, as discord.py expects before it retries) or a 403 50013 Missing
  Permissions. They are kept in `faults_served`, not in `rejections` (they are not the bot's fault).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import re
import secrets
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import yarl
from aiohttp import WSMsgType, web
from aiohttp.abc import AbstractResolver

DISCORD_EPOCH_MS = 1420070400000
API_PATH = "/api/v10"
CONTENT_LIMIT = 2000
ACK_DEADLINE = 3.0
TOKEN_LIFETIME = 15 * 60
EPHEMERAL, SUPPRESS_EMBEDS, LOADING, SUPPRESS_NOTIFICATIONS = 1 << 6, 1 << 2, 1 << 7, 1 << 12
PRIVILEGED_INTENTS = {1 << 1: "GUILD_MEMBERS", 1 << 8: "GUILD_PRESENCES", 1 << 15: "MESSAGE_CONTENT"}
MESSAGE_CONTENT_INTENT = 1 << 15
OPTION_TYPES = {"string": 3, "integer": 4, "boolean": 5, "number": 10, "attachment": 11}
ATTACHMENT_OPTION = 11
ATTACHMENT_LIMIT = 10 * 1024 * 1024
_NAME = re.compile(r"^[-_\w]{1,32}$")
_USER_MENTION = re.compile(r"(?<!\\)<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"(?<!\\)<@&(\d+)>")
_MASS_MENTION = re.compile(r"(?<!\\)@(everyone|here)\b")


def snowflake_token(user_id: int) -> str:
    """A token shaped like Discord's: base64 of the user id, a timestamp part, an HMAC part."""
    head = base64.urlsafe_b64encode(str(user_id).encode()).decode().rstrip("=")
    return f"{head}.GLoop1.{secrets.token_urlsafe(28)}"


class NoDNS(AbstractResolver):
    """A resolver that resolves nothing: give it to the client's connector so no request leaves 127.0.0.1."""

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list:
        raise OSError(f"the loopback Discord refuses to resolve {host!r}: tests use 127.0.0.1 only")

    async def close(self) -> None:
        pass


class DiscordError(Exception):
    """A refusal, sent back as Discord's JSON error body."""

    def __init__(self, status: int, code: int, message: str, errors: dict | None = None):
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors


@dataclass
class Rejection:
    """A request the fake refused: something Discord would have refused too."""

    method: str
    path: str
    status: int
    code: int
    message: str
    problems: list[str] = field(default_factory=list)


@dataclass
class Sent:
    """A message the bot created or edited, with the request payload and who it would ping."""

    route: str
    message: dict
    payload: dict
    pings: frozenset[str]


@dataclass
class Fault:
    """A response the fake gives to the next `times` requests matching method and path, instead of serving them."""

    method: str
    path: str  # a regular expression over the path after /api/v10
    status: int
    code: int
    message: str
    retry_after: float = 0.0
    times: int = 1


@dataclass
class FakeInteraction:
    """One INTERACTION_CREATE and everything the bot did about it."""

    id: int
    token: str
    kind: int  # 2 application command, 3 component, 4 autocomplete
    name: str  # the command's name, or the clicked button's custom id
    user: dict
    channel_id: int
    created: float
    message_id: int | None = None  # the message whose button was clicked
    updated: dict | None = None  # the message as a type-7 response left it
    acked: float | None = None
    ack_type: int | None = None
    original: dict | None = None
    original_deleted: bool = False
    followups: list[dict] = field(default_factory=list)
    choices: list[dict] | None = None
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def ack_latency(self) -> float | None:
        return None if self.acked is None else self.acked - self.created

    @property
    def deferred(self) -> bool:
        return self.ack_type == 5

    @property
    def replies(self) -> list[dict]:
        """The visible messages: the original (unless deleted or still thinking), then follow-ups."""
        shown = [] if self.original is None or self.original_deleted else [self.original]
        return [m for m in shown + self.followups if not m["flags"] & LOADING]

    @property
    def answered(self) -> bool:
        return self.choices is not None or bool(self.replies) or self.updated is not None


def message_problems(payload: dict, *, interaction: bool = False) -> list[str]:
    """What Discord's form validation would say about a message payload (empty when it is valid)."""
    problems = []
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        problems.append("content: must be a string")
    elif content is not None and len(content) > CONTENT_LIMIT:
        problems.append(f"content: Must be {CONTENT_LIMIT} or fewer in length.")
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        problems.append("embeds: Must be 10 or fewer in length.")
    total = 0
    for i, embed in enumerate(embeds):
        problems += _embed_problems(embed, f"embeds.{i}")
        total += embed_size(embed)
    if total > 6000:
        problems.append("embeds: Embed size exceeds maximum size of 6000")
    problems += _allowed_mentions_problems(payload.get("allowed_mentions"))
    problems += component_problems(payload.get("components"))
    allowed_flags = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | (EPHEMERAL if interaction else 0)
    if (payload.get("flags") or 0) & ~allowed_flags:
        problems.append("flags: contains flags a bot cannot set here")
    return problems


def component_problems(rows: list | None) -> list[str]:
    """What Discord says about a message's action rows of buttons (other component types are not used here)."""
    if not rows:
        return []
    problems, seen = [], set()
    if len(rows) > 5:
        problems.append("components: Must be 5 or fewer in length.")
    for i, row in enumerate(rows):
        where = f"components.{i}"
        if row.get("type") != 1:
            problems.append(f"{where}.type: top-level components must be action rows (type 1)")
            continue
        items = row.get("components") or []
        if not 1 <= len(items) <= 5:
            problems.append(f"{where}.components: Must be between 1 and 5 in length.")
        for j, item in enumerate(items):
            spot = f"{where}.components.{j}"
            if item.get("type") != 2:
                problems.append(f"{spot}.type: only buttons (type 2) are expected here")
                continue
            style, custom_id, label = item.get("style"), item.get("custom_id"), item.get("label")
            if style not in (1, 2, 3, 4, 5):
                problems.append(f"{spot}.style: Value must be one of (1, 2, 3, 4, 5).")
            if label is not None and len(label) > 80:
                problems.append(f"{spot}.label: Must be 80 or fewer in length.")
            if not label and not item.get("emoji"):
                problems.append(f"{spot}: a button needs a label or an emoji")
            if style == 5:
                if custom_id is not None or not re.fullmatch(r"https?://\S+", item.get("url") or ""):
                    problems.append(f"{spot}: a link button has a url and no custom_id")
            elif not isinstance(custom_id, str) or not 1 <= len(custom_id) <= 100:
                problems.append(f"{spot}.custom_id: Must be between 1 and 100 in length.")
            elif custom_id in seen:
                problems.append(f"{spot}.custom_id: Component custom id cannot be duplicated")
            else:
                seen.add(custom_id)
    return problems


def embed_size(embed: dict) -> int:
    parts = [embed.get("title") or "", embed.get("description") or "", (embed.get("footer") or {}).get("text") or "",
             (embed.get("author") or {}).get("name") or ""]
    parts += [(f.get("name") or "") + (f.get("value") or "") for f in embed.get("fields") or []]
    return sum(len(p) for p in parts)


def _embed_problems(embed: dict, where: str) -> list[str]:
    problems = []
    limits = {"title": 256, "description": 4096}
    for key, limit in limits.items():
        if len(embed.get(key) or "") > limit:
            problems.append(f"{where}.{key}: Must be {limit} or fewer in length.")
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append(f"{where}.fields: Must be 25 or fewer in length.")
    for j, f in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            value = f.get(key)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{where}.fields.{j}.{key}: This field is required")
            elif len(value) > limit:
                problems.append(f"{where}.fields.{j}.{key}: Must be {limit} or fewer in length.")
    if len((embed.get("footer") or {}).get("text") or "") > 2048:
        problems.append(f"{where}.footer.text: Must be 2048 or fewer in length.")
    if len((embed.get("author") or {}).get("name") or "") > 256:
        problems.append(f"{where}.author.name: Must be 256 or fewer in length.")
    url = embed.get("url")
    if url is not None and not re.fullmatch(r"https?://\S+", url):
        problems.append(f"{where}.url: Not a well formed URL.")
    return problems


def _allowed_mentions_problems(allowed: dict | None) -> list[str]:
    if allowed is None:
        return []
    problems = []
    parse = allowed.get("parse", [])
    if not set(parse) <= {"users", "roles", "everyone"}:
        problems.append("allowed_mentions.parse: Value must be one of {'users', 'roles', 'everyone'}.")
    for kind in ("users", "roles"):
        if kind in parse and allowed.get(kind):
            problems.append(f"allowed_mentions: parse:[\"{kind}\"] and {kind}: [ids...] are mutually exclusive.")
        if len(allowed.get(kind, [])) > 100:
            problems.append(f"allowed_mentions.{kind}: Must be 100 or fewer in length.")
    return problems


def pings(content: str | None, allowed: dict | None, replied_author: str | None) -> frozenset[str]:
    """Who a message would notify, by Discord's allowed_mentions rules (no allowed_mentions: everyone in it)."""
    content = content or ""
    if allowed is None:
        parse, users, roles, replied = {"users", "roles", "everyone"}, set(), set(), True
    else:
        parse = set(allowed.get("parse", []))
        users, roles = set(allowed.get("users", [])), set(allowed.get("roles", []))
        replied = bool(allowed.get("replied_user", False))
    out = {f"user:{u}" for u in _USER_MENTION.findall(content) if "users" in parse or u in users}
    out |= {f"role:{r}" for r in _ROLE_MENTION.findall(content) if "roles" in parse or r in roles}
    if "everyone" in parse:
        out |= {f"@{m}" for m in _MASS_MENTION.findall(content)}
    if replied_author and replied:
        out.add(f"user:{replied_author}")
    return frozenset(out)


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py decodes a body only when the Content-Type is exactly this (no charset).
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class FakeDiscord:
    """Discord's REST API and gateway for one application, one guild and its channels."""

    def __init__(self, *, heartbeat_interval: float = 1.0, enabled_intents: int = MESSAGE_CONTENT_INTENT):
        self._ids = itertools.count(1)
        self.heartbeat_interval = heartbeat_interval
        self.enabled_intents = enabled_intents  # privileged intents switched on in the "developer portal"
        self.application_id = self.snowflake()
        self.bot_user = self._user(self.application_id, "storybot", bot=True)
        self.token = snowflake_token(self.application_id)
        self.owner = self.new_user("owner")
        self.guild_id = self.snowflake()
        self.channel_id = self.snowflake()
        self.other_channel_id = self.snowflake()
        self.third_channel_id = self.snowflake()
        self.channels = {self.channel_id: "questions", self.other_channel_id: "off-topic",
                         self.third_channel_id: "elections"}
        self.threads: dict[int, dict] = {}  # thread id -> {"parent_id", "owner_id", "name"}
        self.role_id = self.snowflake()
        self.faults: list[Fault] = []
        self.uploads: dict[str, bytes] = {}  # attachment id -> bytes served at its CDN URL
        self.faults_served: list[tuple[str, str, int, int]] = []

        self.messages: dict[int, dict] = {}
        self.sent: list[Sent] = []
        self.rejections: list[Rejection] = []
        self.interactions: dict[int, FakeInteraction] = {}
        self.commands: dict[int | None, list[dict]] = {}  # guild id (None: global) -> registered commands
        self.heartbeats: list[float] = []
        self.identify: dict | None = None
        self.closes: list[int] = []

        self._changed = asyncio.Condition()
        self._ws: web.WebSocketResponse | None = None
        self._compress: Any = None
        self._seq = 0
        self._send_lock = asyncio.Lock()
        self._ready = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._errors])
        r = app.router
        r.add_get("/", self._gateway)
        r.add_get("/attachments/{channel}/{attachment}/{filename}", self._cdn)
        bot_routes: list[tuple[str, str, Callable]] = [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway),
            ("PUT", "/applications/{app}/commands", self._put_commands),
            ("GET", "/applications/{app}/commands", self._get_commands),
            ("PUT", "/applications/{app}/guilds/{guild}/commands", self._put_commands),
            ("GET", "/applications/{app}/guilds/{guild}/commands", self._get_commands),
            ("POST", "/channels/{channel}/messages", self._post_channel_message),
            ("POST", "/channels/{channel}/messages/{message}/threads", self._start_thread),
            ("POST", "/channels/{channel}/typing", self._typing),
            ("POST", "/interactions/{interaction}/{token}/callback", self._callback),
            ("GET", "/webhooks/{app}/{token}/messages/@original", self._get_original),
            ("PATCH", "/webhooks/{app}/{token}/messages/@original", self._edit_original),
            ("DELETE", "/webhooks/{app}/{token}/messages/@original", self._delete_original),
            ("POST", "/webhooks/{app}/{token}", self._post_followup),
            ("PATCH", "/webhooks/{app}/{token}/messages/{message}", self._edit_followup),
        ]
        for method, path, handler in bot_routes:
            r.add_route(method, API_PATH + path, handler)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=4000, message=b"loopback Discord closing")
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PATH}"

    @property
    def gateway_url(self) -> yarl.URL:
        return yarl.URL(f"ws://127.0.0.1:{self.port}/")

    @contextlib.contextmanager
    def pointed_at(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway here for the duration."""
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self.api_base, self.gateway_url
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved

    # --- driving it from a test --------------------------------------------------------------

    def snowflake(self) -> int:
        return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._ids) & 0x3FFFFF)

    def new_user(self, name: str = "reader", *, bot: bool = False) -> dict:
        return self._user(self.snowflake(), f"{name}{next(self._ids)}", bot=bot)

    def mention(self, user: dict | None = None) -> str:
        return f"<@{(user or self.bot_user)['id']}>"

    async def wait_ready(self, timeout: float = 10) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def post_message(self, content: str, *, author: dict | None = None, channel_id: int | None = None,
                           reply_to: dict | None = None) -> dict:
        """A user (or another bot) posts a message; the bot receives MESSAGE_CREATE."""
        author = author or self.new_user()
        channel_id = channel_id or self.channel_id
        message = self._message(channel_id, author, content, reply_to=reply_to)
        mentioned = {int(u) for u in _USER_MENTION.findall(content)}
        if reply_to is not None:
            mentioned.add(int(reply_to["author"]["id"]))  # a reply pings its author by default
        known = {int(self.bot_user["id"]): self.bot_user, int(author["id"]): author}
        message["mentions"] = [{**known[u], "member": self._member(known[u], with_user=False)}
                               for u in mentioned if u in known]
        message["mention_everyone"] = bool(_MASS_MENTION.search(content))
        self.messages[int(message["id"])] = message
        await self.dispatch("MESSAGE_CREATE", {**message, "member": self._member(author, with_user=False)})
        return message

    async def click(self, message: dict, custom_id: str, *, user: dict | None = None,
                    permissions: int | None = None) -> FakeInteraction:
        """A user clicks a button on a message: only a button the message shows, and only when it is enabled."""
        current = self.messages.get(int(message["id"]), message)
        buttons = {b.get("custom_id"): b for row in current.get("components") or [] for b in row["components"]}
        if custom_id not in buttons:
            raise ValueError(f"the message shows no button {custom_id!r}; Discord's client could not click it")
        if buttons[custom_id].get("disabled"):
            raise ValueError(f"the button {custom_id!r} is disabled; Discord's client would not send the click")
        user = user or self.new_user()
        channel_id = int(current["channel_id"])
        interaction = FakeInteraction(id=self.snowflake(), token=f"aW50ZXJhY3Rpb24.{secrets.token_urlsafe(48)}",
                                      kind=3, name=custom_id, user=user, channel_id=channel_id, created=0.0,
                                      message_id=int(current["id"]))
        payload = {
            "id": str(interaction.id), "application_id": str(self.application_id), "type": 3,
            "token": interaction.token, "version": 1, "message": current,
            "data": {"custom_id": custom_id, "component_type": 2},
            "guild_id": str(self.guild_id), "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id), "channel": self._channel(channel_id),
            "member": {**self._member(user), "permissions": str(permissions if permissions is not None
                                                                 else (1 << 10) | (1 << 11) | (1 << 31))},
            "app_permissions": str((1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 35) | (1 << 38)),
            "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)}, "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        self.interactions[interaction.id] = interaction
        interaction.created = time.monotonic()
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _upload(self, filename: str, data: bytes) -> dict:
        """Store a file as Discord's CDN would and describe it as an interaction's resolved attachment."""
        if len(data) > ATTACHMENT_LIMIT:
            raise ValueError(f"Discord's client refuses a {len(data):,}-byte upload")
        attachment_id = str(self.snowflake())
        self.uploads[attachment_id] = data
        url = f"http://127.0.0.1:{self.port}/attachments/{self.channel_id}/{attachment_id}/{filename}"
        return {"id": attachment_id, "filename": filename, "size": len(data), "url": url, "proxy_url": url,
                "content_type": "text/plain; charset=utf-8" if filename.endswith((".txt", ".md")) else
                "application/octet-stream", "ephemeral": True}

    async def _cdn(self, request: web.Request) -> web.Response:
        data = self.uploads.get(request.match_info["attachment"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/octet-stream")

    def thread_on(self, message: dict) -> int | None:
        """The id of the thread started from this message, if any."""
        return int(message["id"]) if int(message["id"]) in self.threads else None

    def in_channel(self, channel_id: int) -> list[Sent]:
        """What the bot sent in a channel or thread, oldest first."""
        return [s for s in self.sent if int(s.message["channel_id"]) == channel_id]

    async def invoke(self, name: str, options: dict[str, Any] | None = None, *, user: dict | None = None,
                     channel_id: int | None = None, focused: str | None = None, subcommand: str | None = None,
                     permissions: int | None = None) -> FakeInteraction:
        """A user runs a registered slash command (or types into an autocompleted option: `focused`).

        `subcommand` names a subcommand of a command group (`/story use`); `permissions` are the member's
        resolved permission bits (by default View Channel, Send Messages and Use Application Commands).
        """
        options = options or {}
        command, guild_id = self._registered(name)
        if subcommand is not None:
            subs = {o["name"]: o for o in command.get("options", []) if o.get("type") == 1}
            if subcommand not in subs:
                raise ValueError(f"/{name} has no subcommand {subcommand!r}")
            command = subs[subcommand]
        declared = {o["name"]: o for o in command.get("options", [])}
        data_options = []
        resolved: dict[str, dict] = {}
        for key, value in options.items():
            if key not in declared:
                raise ValueError(f"/{name} has no option {key!r}; Discord's client would not send it")
            spec = declared[key]
            if spec["type"] == ATTACHMENT_OPTION:  # (filename, bytes): uploaded first, sent as its id
                attachment = self._upload(*value)
                resolved[attachment["id"]] = attachment
                value = attachment["id"]
            if key != focused and spec["type"] == 3 and not spec.get("min_length", 0) <= len(value) <= spec.get(
                    "max_length", 6000):
                raise ValueError(f"/{name} {key}: Discord's client refuses {len(value)} characters")
            data_options.append({"name": key, "type": spec["type"], "value": value, **({"focused": True}
                                                                                        if key == focused else {})})
        missing = [o for o, spec in declared.items() if spec.get("required") and o not in options]
        if missing and focused is None:
            raise ValueError(f"/{name} needs {missing}; Discord's client would not send it")
        user = user or self.new_user()
        channel_id = channel_id or self.channel_id
        interaction = FakeInteraction(id=self.snowflake(), token=f"aW50ZXJhY3Rpb24.{secrets.token_urlsafe(48)}",
                                      kind=4 if focused else 2, name=name, user=user, channel_id=channel_id,
                                      created=0.0)
        if subcommand is not None:
            data_options = [{"name": subcommand, "type": 1, "options": data_options}]
        data = {"id": self._registered(name)[0]["id"], "name": name, "type": 1, "options": data_options}
        if resolved:
            data["resolved"] = {"attachments": resolved}
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        payload = {
            "id": str(interaction.id), "application_id": str(self.application_id), "type": interaction.kind,
            "token": interaction.token, "version": 1, "data": data,
            "guild_id": str(self.guild_id), "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id), "channel": self._channel(channel_id),
            "member": {**self._member(user), "permissions": str(permissions if permissions is not None
                                                                 else (1 << 10) | (1 << 11) | (1 << 31))},
            "app_permissions": str((1 << 10) | (1 << 11) | (1 << 14) | (1 << 16)),
            "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)}, "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        self.interactions[interaction.id] = interaction
        interaction.created = time.monotonic()  # the 3-second window opens as the event is sent
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_answered(self, interaction: FakeInteraction, timeout: float = 10) -> FakeInteraction:
        await self.wait_until(lambda: interaction.answered, timeout)
        return interaction

    async def wait_reply(self, message: dict, timeout: float = 10) -> Sent:
        """The bot's reply to a user's message."""
        def replies() -> list[Sent]:
            return [s for s in self.sent if (s.message.get("message_reference") or {}).get("message_id")
                    == message["id"]]
        await self.wait_until(lambda: bool(replies()), timeout)
        return replies()[0]

    def replies_to(self, message: dict) -> list[Sent]:
        return [s for s in self.sent if (s.message.get("message_reference") or {}).get("message_id") == message["id"]]

    # --- gateway -----------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict) -> None:
        await self.wait_ready()
        async with self._send_lock:
            self._seq += 1
            await self._send({"op": 0, "t": event, "s": self._seq, "d": data})

    async def _echo(self, event: str, data: dict) -> None:
        """The gateway event for something the bot did over REST: Discord sends it if the bot is connected."""
        if self._ws is not None and not self._ws.closed and self._ready.is_set():
            await self.dispatch(event, data)

    async def _send(self, payload: dict) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionError("the bot is not connected to the loopback gateway")
        text = json.dumps(payload)
        if self._compress is not None:
            await ws.send_bytes(self._compress.compress(text.encode()) + self._compress.flush(zlib.Z_SYNC_FLUSH))
        else:
            await ws.send_str(text)

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            raise DiscordError(400, 0, "unsupported gateway version or encoding")
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._ws, self._ready = ws, asyncio.Event()
        self._compress = zlib.compressobj() if request.query.get("compress") == "zlib-stream" else None
        async with self._send_lock:
            await self._send({"op": 10, "d": {"heartbeat_interval": int(self.heartbeat_interval * 1000)},
                              "s": None, "t": None})
        async for frame in ws:
            if frame.type is not WSMsgType.TEXT:
                await self._close(ws, 4002, "decode error")
                break
            message = json.loads(frame.data)
            op, data = message.get("op"), message.get("d")
            if op == 1:
                self.heartbeats.append(time.monotonic())
                async with self._send_lock:
                    await self._send({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                await self._identify(ws, data)
            elif op == 6:
                await self.dispatch("RESUMED", {})
            elif op == 8:
                await self.dispatch("GUILD_MEMBERS_CHUNK", {
                    "guild_id": str(self.guild_id), "members": [self._member(self.bot_user)], "chunk_index": 0,
                    "chunk_count": 1, "not_found": [], "nonce": data.get("nonce")})
            elif op in (3, 4):
                pass
            else:
                await self._close(ws, 4001, "unknown opcode")
                break
        if self._ws is ws:
            self._ws = None
        return ws

    async def _identify(self, ws: web.WebSocketResponse, data: dict) -> None:
        if self.identify is not None and self._ready.is_set():
            await self._close(ws, 4005, "already authenticated")
            return
        if data.get("token") != self.token:
            await self._close(ws, 4004, "Authentication failed.")
            return
        refused = [name for bit, name in PRIVILEGED_INTENTS.items() if data.get("intents", 0) & bit
                   and not self.enabled_intents & bit]
        if refused:
            await self._close(ws, 4014, f"Disallowed intent(s): {', '.join(refused)}")
            return
        self.identify = data
        ready = {
            "v": 10, "user": self.bot_user, "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": secrets.token_hex(16), "resume_gateway_url": str(self.gateway_url),
            "application": {"id": str(self.application_id), "flags": 0}, "private_channels": [],
            "relationships": [], "presences": [],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        self._ready.set()
        await self.dispatch("READY", ready)
        await self.dispatch("GUILD_CREATE", self._guild())

    async def _close(self, ws: web.WebSocketResponse, code: int, reason: str) -> None:
        self.closes.append(code)
        await ws.close(code=code, message=reason.encode())

    # --- REST: identity and commands ---------------------------------------------------------

    @web.middleware
    async def _errors(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        fault = self._fault_for(request)
        if fault is not None:
            await self._notify()
            return fault
        try:
            return await handler(request)
        except DiscordError as error:
            problems = [f"{k}: {v}" for k, v in (error.errors or {}).items()]
            self.rejections.append(Rejection(request.method, request.path, error.status, error.code, error.message,
                                             problems))
            body = {"message": error.message, "code": error.code}
            if error.errors:
                body["errors"] = {k: {"_errors": [{"code": "INVALID", "message": v}]} for k, v in error.errors.items()}
            await self._notify()
            return _json(body, status=error.status)
        except web.HTTPException as error:  # aiohttp's own: unknown route, bad method
            self.rejections.append(Rejection(request.method, request.path, error.status, 0, error.reason))
            return _json({"message": f"{error.status}: {error.reason}", "code": 0}, status=error.status)

    def fail_next(self, method: str, path: str, *, status: int = 429, code: int | None = None,
                  retry_after: float = 0.5, times: int = 1) -> Fault:
        """Answer the next `times` requests matching (method, path regex) with a 429 or a refusal such as 50013."""
        if status == 429:
            fault = Fault(method, path, 429, 0, "You are being rate limited.", retry_after, times)
        elif code == 50013:
            fault = Fault(method, path, 403, 50013, "Missing Permissions", times=times)
        else:
            fault = Fault(method, path, status, code or 0, "Injected failure", times=times)
        self.faults.append(fault)
        return fault

    def _fault_for(self, request: web.Request) -> web.Response | None:
        path = request.path.removeprefix(API_PATH)
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and re.fullmatch(fault.path, path):
                fault.times -= 1
                self.faults_served.append((request.method, path, fault.status, fault.code))
                if fault.status != 429:
                    return _json({"message": fault.message, "code": fault.code}, status=fault.status)
                body = {"message": fault.message, "retry_after": fault.retry_after, "global": False, "code": 0}
                headers = {"Retry-After": str(max(1, round(fault.retry_after))), "X-RateLimit-Limit": "5",
                           "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": str(fault.retry_after),
                           "X-RateLimit-Bucket": "loopback-" + fault.method.lower(), "X-RateLimit-Scope": "user",
                           "Via": "1.1 google"}
                response = _json(body, status=429)
                response.headers.update(headers)
                return response
        return None

    def _authorize(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise DiscordError(401, 0, "401: Unauthorized")

    async def _get_me(self, request: web.Request) -> web.Response:
        self._authorize(request)
        return _json({**self.bot_user, "verified": True, "mfa_enabled": False, "locale": "en-US"})

    async def _get_application(self, request: web.Request) -> web.Response:
        self._authorize(request)
        return _json({
            "id": str(self.application_id), "name": "storybot", "icon": None, "description": "",
            "rpc_origins": [], "bot_public": True, "bot_require_code_grant": False, "owner": self.owner,
            "summary": "", "verify_key": secrets.token_hex(32), "team": None, "flags": 1 << 19,
            "bot": self.bot_user, "interactions_endpoint_url": None, "redirect_uris": [],
        })

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return _json({"url": str(self.gateway_url), "shards": 1, "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})

    def _scope(self, request: web.Request) -> int | None:
        self._authorize(request)
        if request.match_info["app"] != str(self.application_id):
            raise DiscordError(403, 50001, "Missing Access")
        guild = request.match_info.get("guild")
        if guild is not None and guild != str(self.guild_id):
            raise DiscordError(403, 50001, "Missing Access")
        return None if guild is None else int(guild)

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        commands = await request.json()
        problems = [p for i, c in enumerate(commands) for p in _command_problems(c, f"{i}")]
        names = [c.get("name") for c in commands]
        if len(set(names)) != len(names):
            problems.append("APPLICATION_COMMANDS_DUPLICATE_NAME: Application command names must be unique")
        if problems:
            raise DiscordError(400, 50035, "Invalid Form Body", dict(enumerate(problems)))
        self.commands[scope] = [
            {**c, "id": str(self.snowflake()), "application_id": str(self.application_id), "version": "1",
             "type": c.get("type", 1), "default_member_permissions": c.get("default_member_permissions"),
             "dm_permission": c.get("dm_permission", True), "nsfw": c.get("nsfw", False),
             **({"guild_id": str(scope)} if scope else {})}
            for c in commands
        ]
        await self._notify()
        return _json(self.commands[scope])

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(self._scope(request), []))

    def _registered(self, name: str) -> tuple[dict, int | None]:
        for scope in (self.guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command, scope
        raise LookupError(f"/{name} is not registered with the loopback Discord (was the tree synced?)")

    # --- REST: messages ----------------------------------------------------------------------

    async def _post_channel_message(self, request: web.Request) -> web.Response:
        self._authorize(request)
        channel_id = int(request.match_info["channel"])
        if channel_id not in self.channels and channel_id not in self.threads:
            raise DiscordError(404, 10003, "Unknown Channel")
        payload = await self._message_payload(request)
        reference = payload.get("message_reference")
        replied = None
        if reference:
            replied = self.messages.get(int(reference.get("message_id", 0)))
            if replied is None and reference.get("fail_if_not_exists", True):
                raise DiscordError(400, 50035, "Invalid Form Body",
                                   {"message_reference": "Unknown message"})
        message = self._message(channel_id, self.bot_user, payload.get("content") or "", embeds=payload.get("embeds"),
                                flags=payload.get("flags") or 0, reply_to=replied, components=payload.get("components"))
        replied_author = replied["author"]["id"] if replied else None
        await self._record("channel", message, payload, replied_author)
        await self._echo("MESSAGE_CREATE", {**message, "member": self._member(self.bot_user, with_user=False)})
        return _json(message)

    async def _start_thread(self, request: web.Request) -> web.Response:
        self._authorize(request)
        channel_id, message_id = int(request.match_info["channel"]), int(request.match_info["message"])
        if channel_id not in self.channels:
            raise DiscordError(404, 10003, "Unknown Channel")  # threads have no threads; unknown channels neither
        message = self.messages.get(message_id)
        if message is None or int(message["channel_id"]) != channel_id:
            raise DiscordError(404, 10008, "Unknown Message")
        if message["flags"] & EPHEMERAL:
            raise DiscordError(400, 50035, "Invalid Form Body", {"message_id": "ephemeral messages have no threads"})
        if message_id in self.threads:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        body = await request.json()
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise DiscordError(400, 50035, "Invalid Form Body", {"name": "Must be between 1 and 100 in length."})
        if body.get("auto_archive_duration", 1440) not in (60, 1440, 4320, 10080):
            raise DiscordError(400, 50035, "Invalid Form Body", {"auto_archive_duration": "not a valid duration"})
        # A thread started from a message takes that message's id.
        self.threads[message_id] = {"parent_id": channel_id, "owner_id": self.bot_user["id"], "name": name,
                                    "auto_archive_duration": body.get("auto_archive_duration", 1440)}
        self.messages[message_id] = {**message, "flags": message["flags"] | (1 << 5),
                                     "thread": self._channel(message_id)}
        thread = self._channel(message_id)
        await self._echo("THREAD_CREATE", {**thread, "newly_created": True})
        await self._notify()
        return _json(thread, status=201)

    async def _typing(self, request: web.Request) -> web.Response:
        self._authorize(request)
        if int(request.match_info["channel"]) not in self.channels:
            raise DiscordError(404, 10003, "Unknown Channel")
        return web.Response(status=204)

    async def _message_payload(self, request: web.Request, *, interaction: bool = False,
                               edit: bool = False) -> dict:
        if request.content_type != "application/json":
            raise DiscordError(400, 50035, "Invalid Form Body", {"body": "expected application/json"})
        payload = await request.json()
        problems = message_problems(payload, interaction=interaction)
        if problems:
            raise DiscordError(400, 50035, "Invalid Form Body", dict(enumerate(problems)))
        if not edit and not (payload.get("content") or payload.get("embeds")):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        return payload

    async def _record(self, route: str, message: dict, payload: dict, replied_author: str | None = None) -> None:
        self.messages[int(message["id"])] = message
        self.sent.append(Sent(route, message, payload, pings(message.get("content"), payload.get("allowed_mentions"),
                                                              replied_author)))
        await self._notify()

    # --- REST: interactions ------------------------------------------------------------------

    async def _callback(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        interaction = self.interactions.get(int(request.match_info["interaction"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        if interaction.acked is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if now - interaction.created > ACK_DEADLINE:
            raise DiscordError(404, 10062, "Unknown interaction")
        body = await request.json()
        kind, data = body.get("type"), body.get("data") or {}
        valid = {2: (4, 5, 9), 3: (4, 5, 6, 7, 9), 4: (8,)}[interaction.kind]
        if kind not in valid:
            raise DiscordError(400, 50035, "Invalid Form Body", {"type": f"response type {kind} not valid here"})
        resource: dict | None = None
        if kind == 4:
            problems = message_problems(data, interaction=True)
            if not (data.get("content") or data.get("embeds")):
                raise DiscordError(400, 50006, "Cannot send an empty message")
            if problems:
                raise DiscordError(400, 50035, "Invalid Form Body", dict(enumerate(problems)))
            interaction.original = self._interaction_message(interaction, data, data.get("flags") or 0)
            await self._record("callback", interaction.original, data)
        elif kind == 5:
            flags = LOADING | ((data.get("flags") or 0) & EPHEMERAL)
            interaction.original = self._interaction_message(interaction, {}, flags)
        elif kind == 7:
            problems = message_problems(data, interaction=True)
            if problems:
                raise DiscordError(400, 50035, "Invalid Form Body", dict(enumerate(problems)))
            clicked = self.messages[interaction.message_id or 0]
            updated = {**clicked, "edited_timestamp": _now_iso()}
            for key in ("content", "embeds", "components"):
                if key in data:
                    updated[key] = data[key] if data[key] is not None else ("" if key == "content" else [])
            if not (updated["content"] or updated["embeds"]):
                raise DiscordError(400, 50006, "Cannot send an empty message")
            interaction.updated = updated
            await self._record("update", updated, data)
        elif kind == 8:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25 or any(
                    not 1 <= len(c.get("name", "")) <= 100 or len(str(c.get("value", ""))) > 100 for c in choices):
                raise DiscordError(400, 50035, "Invalid Form Body", {"choices": "at most 25, names 1-100 chars"})
            interaction.choices = choices
        interaction.acked, interaction.ack_type = now, kind
        await self._notify()
        if "with_response" not in request.query:
            return web.Response(status=204)
        original = interaction.original
        summary = {"id": str(interaction.id), "type": interaction.kind}
        if original is not None:
            summary |= {"response_message_id": original["id"], "response_message_loading": kind == 5,
                        "response_message_ephemeral": bool(original["flags"] & EPHEMERAL)}
            resource = {"type": kind, "message": original}
        return _json({"interaction": summary, **({"resource": resource} if resource else {})})

    def _by_token(self, request: web.Request) -> FakeInteraction:
        token = request.match_info["token"]
        found = next((i for i in self.interactions.values() if i.token == token), None)
        if (request.match_info["app"] != str(self.application_id) or found is None
                or time.monotonic() - found.created > TOKEN_LIFETIME):
            raise DiscordError(404, 10015, "Unknown Webhook")
        return found

    def _original_of(self, request: web.Request) -> FakeInteraction:
        interaction = self._by_token(request)
        if interaction.original is None or interaction.original_deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        return interaction

    async def _get_original(self, request: web.Request) -> web.Response:
        return _json(self._original_of(request).original)

    async def _edit_original(self, request: web.Request) -> web.Response:
        interaction = self._original_of(request)
        payload = await self._message_payload(request, interaction=True, edit=True)
        original = interaction.original
        assert original is not None
        edited = {**original, "flags": original["flags"] & ~LOADING, "edited_timestamp": _now_iso()}
        for key in ("content", "embeds", "components"):
            if key in payload:
                edited[key] = payload[key] if payload[key] is not None else ("" if key == "content" else [])
        if not (edited["content"] or edited["embeds"]):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        interaction.original = edited
        await self._record("edit_original", edited, payload)
        return _json(edited)

    async def _delete_original(self, request: web.Request) -> web.Response:
        interaction = self._original_of(request)
        interaction.original_deleted = True
        await self._notify()
        return web.Response(status=204)

    async def _post_followup(self, request: web.Request) -> web.Response:
        interaction = self._by_token(request)
        if interaction.acked is None or interaction.kind not in (2, 3):
            raise DiscordError(404, 10015, "Unknown Webhook")
        payload = await self._message_payload(request, interaction=True)
        original = interaction.original
        if original is not None and not interaction.original_deleted and original["flags"] & LOADING:
            # Discord: the first follow-up after a defer becomes the deferred message, flags and all.
            message = {**original, "content": payload.get("content") or "", "embeds": payload.get("embeds") or [],
                       "components": payload.get("components") or [], "flags": original["flags"] & ~LOADING}
            interaction.original = message
        else:
            message = self._interaction_message(interaction, payload, (payload.get("flags") or 0) & EPHEMERAL)
            interaction.followups.append(message)
        await self._record("followup", message, payload)
        return _json(message) if request.query.get("wait") in ("1", "true", "True") else web.Response(status=204)

    async def _edit_followup(self, request: web.Request) -> web.Response:
        interaction = self._by_token(request)
        target = int(request.match_info["message"])
        for i, message in enumerate(interaction.followups):
            if int(message["id"]) == target:
                payload = await self._message_payload(request, interaction=True, edit=True)
                edited = {**message, **{k: payload[k] for k in ("content", "embeds", "components") if k in payload}}
                interaction.followups[i] = edited
                await self._record("edit_followup", edited, payload)
                return _json(edited)
        raise DiscordError(404, 10008, "Unknown Message")

    # --- payload builders --------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _user(self, user_id: int, name: str, *, bot: bool = False) -> dict:
        return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name, "avatar": None,
                "bot": bot, "system": False, "public_flags": 0, "flags": 0}

    def _member(self, user: dict, *, with_user: bool = True) -> dict:
        member = {"roles": [], "joined_at": _now_iso(), "nick": None, "premium_since": None, "deaf": False,
                  "mute": False, "flags": 0, "pending": False, "avatar": None, "communication_disabled_until": None}
        return {"user": user, **member} if with_user else member

    def _channel(self, channel_id: int) -> dict:
        if channel_id in self.threads:
            thread = self.threads[channel_id]
            return {"id": str(channel_id), "type": 11, "guild_id": str(self.guild_id), "name": thread["name"],
                    "parent_id": str(thread["parent_id"]), "owner_id": thread["owner_id"], "last_message_id": None,
                    "rate_limit_per_user": 0, "flags": 0, "message_count": 0, "member_count": 1,
                    "thread_metadata": {"archived": False, "locked": False, "archive_timestamp": _now_iso(),
                                        "auto_archive_duration": thread["auto_archive_duration"]}}
        return {"id": str(channel_id), "type": 0, "guild_id": str(self.guild_id), "name": self.channels[channel_id],
                "position": list(self.channels).index(channel_id), "permission_overwrites": [], "nsfw": False,
                "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "parent_id": None, "flags": 0}

    def _guild(self) -> dict:
        everyone = {"id": str(self.guild_id), "name": "@everyone", "permissions": str((1 << 10) | (1 << 11) | (1 << 16)
                                                                                     | (1 << 14) | (1 << 31)),
                    "position": 0, "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}
        moderators = {**everyone, "id": str(self.role_id), "name": "moderators", "position": 1, "mentionable": True}
        return {
            "id": str(self.guild_id), "name": "Loopback News", "icon": None, "owner_id": self.owner["id"],
            "unavailable": False, "member_count": 2, "large": False, "joined_at": _now_iso(), "features": [],
            "roles": [everyone, moderators], "emojis": [], "stickers": [], "channels": [self._channel(c)
                                                                                   for c in self.channels],
            "threads": [self._channel(t) for t in self.threads], "members": [self._member(self.bot_user)], "presences": [], "voice_states": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "mfa_level": 0, "premium_tier": 0, "preferred_locale": "en-US", "system_channel_id": None,
            "afk_channel_id": None, "afk_timeout": 300, "nsfw_level": 0, "premium_progress_bar_enabled": False,
        }

    def _message(self, channel_id: int, author: dict, content: str, *, embeds: list | None = None, flags: int = 0,
                 reply_to: dict | None = None, components: list | None = None) -> dict:
        message = {
            "id": str(self.snowflake()), "channel_id": str(channel_id), "guild_id": str(self.guild_id),
            "author": author, "content": content, "timestamp": _now_iso(), "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": embeds or [], "pinned": False, "type": 19 if reply_to else 0, "flags": flags,
            "components": components or [],
        }
        if reply_to is not None:
            message["message_reference"] = {"type": 0, "message_id": reply_to["id"], "channel_id": str(channel_id),
                                            "guild_id": str(self.guild_id)}
            message["referenced_message"] = reply_to
        return message

    def _interaction_message(self, interaction: FakeInteraction, data: dict, flags: int) -> dict:
        message = self._message(interaction.channel_id, self.bot_user, data.get("content") or "",
                                embeds=data.get("embeds"), flags=flags, components=data.get("components"))
        return {**message, "type": 20, "webhook_id": str(self.application_id),
                "application_id": str(self.application_id)}


def _command_problems(command: dict, where: str) -> list[str]:
    problems = []
    name, description = command.get("name", ""), command.get("description", "")
    if command.get("type", 1) == 1:
        if not _NAME.match(name) or name != name.lower():
            problems.append(f"{where}.name: {name!r} must be 1-32 lowercase letters, digits, - or _")
        if not 1 <= len(description) <= 100:
            problems.append(f"{where}.description: must be 1-100 characters, got {len(description)}")
    options = command.get("options") or []
    if len(options) > 25:
        problems.append(f"{where}.options: Must be 25 or fewer in length.")
    seen_optional = False
    for i, option in enumerate(options):
        spot = f"{where}.options.{i}"
        if not _NAME.match(option.get("name", "")) or option.get("name") != option.get("name", "").lower():
            problems.append(f"{spot}.name: invalid option name {option.get('name')!r}")
        if not 1 <= len(option.get("description", "")) <= 100:
            problems.append(f"{spot}.description: must be 1-100 characters")
        if option.get("required"):
            if seen_optional:
                problems.append(f"{spot}: required options must come before optional ones")
        else:
            seen_optional = True
        if option.get("autocomplete") and option.get("choices"):
            problems.append(f"{spot}: autocomplete and choices are mutually exclusive")
        if not 0 <= option.get("min_length", 0) <= option.get("max_length", 6000) <= 6000:
            problems.append(f"{spot}: min_length/max_length must satisfy 0 <= min <= max <= 6000")
    return problems
