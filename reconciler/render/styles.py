"""How each kind of action looks, in every rendering that marks one: one typed row per action
(a test holds the table to `Action`, so a new action cannot be left without a look)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.planning.model import Action


@dataclass(frozen=True)
class ActionStyle:
    symbol: str  # the text plan's mark, as Terraform's `+`, `-`, `<=`
    color: str  # the ANSI SGR code of its lines on a terminal
    label: str  # the pull-request comment's


STYLES: Mapping[Action, ActionStyle] = {
    Action.CREATE: ActionStyle(symbol="+", color="32", label="🆕 create"),
    Action.IMPORT: ActionStyle(symbol="<=", color="36", label="📥 import"),
    Action.RETRY: ActionStyle(symbol="~>", color="33", label="🔁 retry"),
    Action.FORGET: ActionStyle(symbol="-", color="31", label="📤 forget"),
    Action.NOOP: ActionStyle(symbol=" ", color="0", label="no-op"),
}
