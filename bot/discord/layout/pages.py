"""An answer in pages of outlets, with its buttons, their custom ids, and the notes the buttons send."""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.discord.layout.answers import answer_message
from bot.discord.layout.text import CONTENT_LIMIT, Message, fit, question_text, shorten
from retrieval.models import Answer, OutletAnswer

OUTLETS_PER_PAGE = 5
CUSTOM_ID_PREFIX = "storybot"
BUTTON_PRIMARY, BUTTON_SECONDARY, BUTTON_SUCCESS, BUTTON_DANGER = 1, 2, 3, 4


class Action(NamedTuple):
    """What a button asks for: `kind` (context, vote, thread, page), the answer's id and an argument."""

    kind: str
    answer_id: str
    arg: str = ""


def page_count(answer: Answer, per_page: int = OUTLETS_PER_PAGE) -> int:
    return max(1, -(-len(answer.outlets) // per_page))


def page_outlets(answer: Answer, page: int, per_page: int = OUTLETS_PER_PAGE) -> list[OutletAnswer]:
    page = min(max(page, 0), page_count(answer, per_page) - 1)
    return answer.outlets[page * per_page:(page + 1) * per_page]


def answer_page(answer: Answer, answer_id: str, page: int = 0, *, thread_button: bool = True,
                per_page: int = OUTLETS_PER_PAGE, limit: int = CONTENT_LIMIT) -> Message:
    """One page of an answer (at most `per_page` outlets) with its buttons; fits `limit`.

    Buttons: Context, 👍, 👎, Follow up (left out where a thread cannot be started) and, when the
    story has more outlets than a page holds, Previous / Next. Their custom ids carry the answer's
    id and the page, so they work for as long as the answer is stored, across restarts.
    """
    pages = page_count(answer, per_page)
    page = min(max(page, 0), pages - 1)
    shown = page_outlets(answer, page, per_page)
    footer = ""
    if pages > 1:
        first = page * per_page + 1
        footer = (f"*Outlets {first}–{first + len(shown) - 1} of {len(answer.outlets)}* "
                  "· Previous / Next show the others.")
    text = answer_message(answer.model_copy(update={"outlets": shown}), limit, footer=footer).content
    return Message(content=text, components=answer_components(answer_id, page, pages, thread_button=thread_button))


def answer_components(answer_id: str, page: int, pages: int, *, thread_button: bool = True) -> tuple[dict, ...]:
    """The action rows under an answer, as Discord's component JSON."""
    row = [
        _button("Context", custom_id(Action("context", answer_id, str(page))), BUTTON_SECONDARY, "📖"),
        _button("", custom_id(Action("vote", answer_id, "up")), BUTTON_SECONDARY, "👍"),
        _button("", custom_id(Action("vote", answer_id, "down")), BUTTON_SECONDARY, "👎"),
    ]
    if thread_button:
        row.append(_button("Follow up", custom_id(Action("thread", answer_id)), BUTTON_PRIMARY, "🧵"))
    rows = [{"type": 1, "components": row}]
    if pages > 1:
        # Ids in one message must differ: with two or more pages, previous and next never coincide.
        previous, following = max(page - 1, 0), min(page + 1, pages - 1)
        rows.append({"type": 1, "components": [
            _button("Previous", custom_id(Action("page", answer_id, str(previous))), BUTTON_SECONDARY, "◀",
                    disabled=page == 0),
            _button("Next", custom_id(Action("page", answer_id, str(following))), BUTTON_SECONDARY, "▶",
                    disabled=page + 1 >= pages),
        ]})
    return tuple(rows)


def _button(label: str, cid: str, style: int, emoji: str, *, disabled: bool = False) -> dict:
    button: dict = {"type": 2, "style": style, "custom_id": cid, "emoji": {"name": emoji}, "disabled": disabled}
    if label:
        button["label"] = label
    return button


def custom_id(action: Action) -> str:
    """`storybot:<kind>:<answer id>[:<arg>]`, at most Discord's 100 characters."""
    parts = [CUSTOM_ID_PREFIX, action.kind, action.answer_id] + ([action.arg] if action.arg else [])
    made = ":".join(parts)
    if len(made) > 100:
        raise ValueError(f"custom id too long: {made!r}")
    return made


_CUSTOM_ID = re.compile(rf"{CUSTOM_ID_PREFIX}:(context|vote|thread|page):([A-Za-z0-9_-]{{1,64}})(?::([a-z0-9]{{1,8}}))?")


def parse_custom_id(value: str) -> Action | None:
    """The action a button's custom id names, or None when it is not one of storybot's buttons."""
    match = _CUSTOM_ID.fullmatch(value or "")
    if match is None:
        return None
    kind, answer_id, arg = match.group(1), match.group(2), match.group(3) or ""
    if kind == "vote" and arg not in ("up", "down"):
        return None
    if kind in ("context", "page") and not arg.isdigit():
        return None
    return Action(kind, answer_id, arg)


def vote_text(vote: int, previous: int | None) -> str:
    """The ephemeral note after a 👍 / 👎 click: recorded, changed or confirmed."""
    mark = "👍" if vote > 0 else "👎"
    if previous is None:
        return f"Thanks: your {mark} is recorded."
    if previous == vote:
        return f"Your {mark} was already recorded; it still counts once."
    return f"Changed your vote to {mark}."


def thread_name(question: str) -> str:
    """A follow-up thread's name: the question, within Discord's 100 characters."""
    return shorten(f"Follow-up: {question_text(question) or 'the story'}", 100)


def thread_intro(story_title: str) -> Message:
    """The bot's first message in a follow-up thread."""
    return Message(content=f"Ask follow-up questions here, no mention needed: they are answered from "
                           f"**{fit(story_title, 200)}**.")
