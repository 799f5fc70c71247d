"""The Jinja2 environment that renders the HTML pages from apsim_batch/templates/html (autoescaped)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jinja2
from jinja2.ext import Extension
from markupsafe import Markup

from .gallery_assets import CSS, JS
from .gallery_cards import captions_uri, href, pixel_size


class _JoinLines(Extension):
    """Templates are written one element per line; the line breaks and indentation are for reading
    only (inside a card, whitespace between tags would show as gaps), so they are removed before
    parsing. A space or line break the page needs is written in the template, e.g. {{ "\\n" }}."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r"\n[ \t]*", "", source)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("apsim_batch", "templates/html"),
        autoescape=True,  # every value is escaped unless a template marks it safe
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the render instead of vanishing
        extensions=[_JoinLines],
    )
    # The helpers the templates call, and the pages' own inline CSS and script (trusted, not escaped).
    env.globals.update(href=href, pixel_size=pixel_size, captions_uri=captions_uri, css=Markup(CSS), js=Markup(JS))
    return env


def render_page(template: str, **context: Any) -> str:
    """The page `template` (e.g. "gallery.html.j2") rendered with `context`."""
    return environment().get_template(template).render(**context)
