"""Telegram's `parse_mode=HTML` parser, modelled on tdlib's `parse_html`.

It turns HTML into plain text plus Bot API entities (offsets in UTF-16 code
units) and fails with the same messages Telegram puts after
"Bad Request: can't parse entities: ".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
SUPPORTED_TAGS = frozenset(_TAG_TYPES)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-zA-Z]+));")


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML; str() is tdlib's message."""


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int  # UTF-16 offset in the result


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units, the unit of Telegram offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    match = _ENTITY.match(text, i)
    if match is None:
        return None
    hex_code, dec_code, name = match.groups()
    if name is not None:
        char = _NAMED.get(name)
        return None if char is None else (char, match.end())
    code = int(hex_code, 16) if hex_code is not None else int(dec_code)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text + "\0"
        self.i = 0
        self.out: list[str] = []
        self.offset = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, pos: int) -> int:
        return len(self.text[:pos].encode())

    def char(self) -> str:
        return self.text[self.i]

    def skip_spaces(self) -> None:
        while self.char() != "\0" and self.char().isspace():
            self.i += 1

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.offset += utf16_len(chunk)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        while self.i < len(self.text) - 1:
            c = self.char()
            if c == "&" and (decoded := _decode_entity(self.text, self.i)) is not None:
                self.emit(decoded[0])
                self.i = decoded[1]
            elif c != "<":
                self.emit(c)
                self.i += 1
            elif self.text[self.i + 1] == "/":
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise HtmlParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"], e["type"] != "pre"))
        return "".join(self.out), self.entities

    def start_tag(self) -> None:
        begin = self.i
        self.i += 1
        while not self.char().isspace() and self.char() not in ">\0":
            self.i += 1
        if self.char() == "\0":
            raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = self.text[begin + 1 : self.i].lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        argument = self.attributes(tag, begin)
        self.i += 1  # ">"
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_Open(tag, argument, self.offset))

    def attributes(self, tag: str, begin: int) -> str:
        argument = ""
        while True:
            self.skip_spaces()
            if self.char() == ">":
                return argument
            name_begin = self.i
            while not self.char().isspace() and self.char() not in "=\0":
                self.i += 1
            name = self.text[name_begin : self.i]
            where = f'the tag "{tag}" at byte offset {self.byte_offset(begin)}'
            if not name:
                raise HtmlParseError(f"Empty attribute name in {where}")
            self.skip_spaces()
            if self.char() != "=":
                raise HtmlParseError(
                    f"Expected equal sign in declaration of an attribute of {where}"
                )
            self.i += 1
            self.skip_spaces()
            if self.char() == "\0":
                raise HtmlParseError(
                    f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}'
                )
            value = self.attribute_value()
            if self.char() == "\0":
                raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            argument = _argument(tag, name, value, argument)

    def attribute_value(self) -> str:
        quote = self.char()
        if quote not in "'\"":
            start = self.i
            while self.char().isalnum() or self.char() in ".-":
                self.i += 1
            if not self.char().isspace() and self.char() != ">":
                raise HtmlParseError(
                    f"Unexpected end of name token at byte offset {self.byte_offset(start)}"
                )
            return self.text[start : self.i].lower()
        self.i += 1
        value: list[str] = []
        while self.char() not in (quote, "\0"):
            if self.char() == "&" and (decoded := _decode_entity(self.text, self.i)) is not None:
                value.append(decoded[0])
                self.i = decoded[1]
                continue
            value.append(self.char())
            self.i += 1
        if self.char() == quote:
            self.i += 1
        return "".join(value)

    def end_tag(self) -> None:
        begin = self.i
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        self.i += 2
        while not self.char().isspace() and self.char() not in ">\0":
            self.i += 1
        name = self.text[begin + 2 : self.i]
        self.skip_spaces()
        if self.char() != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        self.i += 1
        opened = self.stack.pop()
        if name and name.lower() != opened.tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{opened.tag}>", found "</{name}>"'
            )
        self.close(opened)

    def close(self, opened: _Open) -> None:
        length = self.offset - opened.offset
        if length == 0:
            return
        entity: dict[str, Any] = {"type": _TAG_TYPES[opened.tag], "offset": opened.offset}
        entity["length"] = length
        if opened.tag == "a":
            entity["url"] = opened.argument or "".join(self.out)[-length:]
        elif opened.tag == "tg-emoji":
            if not opened.argument.isdigit() or int(opened.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            entity["custom_emoji_id"] = opened.argument
        elif opened.tag == "blockquote" and opened.argument:
            entity["type"] = "expandable_blockquote"
        elif opened.tag == "code" and opened.argument:
            entity["language"] = opened.argument
        self.entities.append(entity)


def _argument(tag: str, name: str, value: str, current: str) -> str:
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    if tag == "blockquote" and name == "expandable":
        return "1"
    return current


def _merge_pre_code(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`<pre><code class="language-x">` becomes one `pre` entity with a language."""
    result: list[dict[str, Any]] = []
    for entity in entities:
        previous = result[-1] if result else None
        same_span = previous is not None and (previous["offset"], previous["length"]) == (
            entity["offset"],
            entity["length"],
        )
        if (
            previous is not None
            and same_span
            and (previous["type"], entity["type"])
            == (
                "pre",
                "code",
            )
        ):
            if "language" in entity:
                previous["language"] = entity["language"]
            continue
        if entity["type"] == "code":
            entity.pop("language", None)
        result.append(entity)
    return result


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of Telegram HTML, or HtmlParseError."""
    plain, entities = _Parser(text).run()
    return plain, _merge_pre_code(entities)
