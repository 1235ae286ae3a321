"""Type stub of the compiled walk (classify/_walk.pyx)."""

import re
from collections.abc import Callable

from lxml import etree

from classify.records import Line

def walk(
    root: etree._Element,
    *,
    plain: bool,
    bullets: str,
    wrap: int | None,
    tag_flags: dict[str, int],
    class_tokens: int,
    wrap_text: Callable[[str, int], list[str]],
    path_tags: int,
    prose_words: int,
    closers: str,
    terminal: frozenset[str],
    main_share: float,
    hidden_style: re.Pattern[str],
) -> list[Line]: ...
