"""A strict look at rendered report HTML with the standard library's parser (no browser needed)."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

#: elements our templates and charts may produce; anything else came from data
ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "link",
    "title",
    "style",
    "body",
    "a",
    "header",
    "nav",
    "ol",
    "ul",
    "li",
    "main",
    "section",
    "h1",
    "h2",
    "h3",
    "p",
    "strong",
    "span",
    "code",
    "dl",
    "dt",
    "dd",
    "details",
    "summary",
    "div",
    "table",
    "caption",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "figure",
    "footer",
    "script",
    "label",
    "output",
    "input",
    "svg",
    "path",
    "defs",
    "use",
    "text",
    "clippath",
    "rect",
    "g",
}


#: attributes a browser follows as a URL (text in other attributes, e.g. data-sort or title, is inert)
URL_ATTRIBUTES = {
    "href",
    "xlink:href",
    "src",
    "action",
    "formaction",
    "poster",
    "background",
    "cite",
    "data",
}


class Page(HTMLParser):
    """Tags, attributes, script bodies and text of one HTML document."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in_script: dict | None = None
        self._script_text: list[str] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script":
            self._in_script, self._script_text = a, []

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            self.scripts.append((self._in_script, "".join(self._script_text)))
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self._script_text.append(data)
        else:
            self.texts.append(data)


def structural_problems(html: str) -> list[str]:
    """Everything in `html` that could run, fetch or break out of our markup."""
    page = Page(html)
    problems = []
    for tag, attrs in page.tags:
        if tag not in ALLOWED_TAGS:
            problems.append(f"unexpected element <{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"event handler {name}= on <{tag}>")
            if name in ("src", "action", "formaction", "srcset", "background", "poster"):
                problems.append(f"{name}= on <{tag}>")
            local = value is None or value.startswith("#") or (tag == "link" and value == "data:,")
            if name in ("href", "xlink:href") and not local:
                problems.append(f"{name}={value[:40]!r} on <{tag}>")
            if (
                name in URL_ATTRIBUTES
                and value
                and re.match(r"\s*(javascript|vbscript|data:text)", value, re.I)
            ):
                problems.append(f"{name}={value[:40]!r} on <{tag}>")
            if name == "style" and value and re.search(r"url\(|expression\(", value, re.I):
                problems.append(f"style with url() on <{tag}>")
    kinds = [a.get("type") for a, _ in page.scripts]
    if sorted(map(str, kinds)) != ["None", "application/json"]:
        problems.append(f"scripts: {kinds}")
    if html.lower().count("<script") != 2 or html.lower().count("</script") != 2:
        problems.append("more than our two script elements")
    if "<!--" in html:
        problems.append("an HTML comment")
    return problems


def csp_of(html: str) -> str:
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    return m.group(1) if m else ""


def inline_script(html: str) -> str:
    page = Page(html)
    return next(text for attrs, text in page.scripts if attrs.get("type") is None)


def json_island(html: str) -> str:
    page = Page(html)
    return next(text for attrs, text in page.scripts if attrs.get("type") == "application/json")


def script_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
