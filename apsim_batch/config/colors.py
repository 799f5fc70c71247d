"""Colours a config may name: hex codes and the names matplotlib knows, checked without importing matplotlib."""

from __future__ import annotations

import re

# Named colours accepted besides hex codes: CSS4 names (as matplotlib knows them) and the
# single-letter and tab: shortcuts. Kept here so validation never imports matplotlib.
_CSS4 = frozenset(
    """
    aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet
    brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan
    darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen
    darkorange darkorchid darkred darksalmon darkseagreen darkslateblue darkslategray darkslategrey
    darkturquoise darkviolet deeppink deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite
    forestgreen fuchsia gainsboro ghostwhite gold goldenrod gray green greenyellow grey honeydew
    hotpink indianred indigo ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue
    lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon
    lightseagreen lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime
    limegreen linen magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple
    mediumseagreen mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue
    mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
    palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum
    powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown seagreen
    seashell sienna silver skyblue slateblue slategray slategrey snow springgreen steelblue tan teal
    thistle tomato turquoise violet wheat white whitesmoke yellow yellowgreen
    """.split()  # noqa: SIM905
)
_TAB = frozenset(f"tab:{c}" for c in "blue orange green red purple brown pink gray olive cyan".split())  # noqa: SIM905
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def is_color(value: str) -> bool:
    """True for colours matplotlib draws: hex codes, CSS4 names, tab: names, b g r c m y k w."""
    return bool(_HEX.match(value)) or value in _CSS4 or value in _TAB or value in set("bgrcmykw")


def check_color(value: str) -> str:
    if not is_color(value):
        raise ValueError(f"must be a colour: a hex code like '#1f77b4' or a CSS name like 'blue' (got {value!r})")
    return value
