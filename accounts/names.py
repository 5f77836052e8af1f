"""How a person's name is written: family name first, no space, for Chinese (and other CJK)
names ("张伟"); given name first with a space otherwise ("Wei Zhang")."""

import re

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]")


def full_name(first_name: str, last_name: str) -> str:
    """The name in its own order; "" when neither part is set."""
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if _CJK.search(first) or _CJK.search(last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)
