"""A guide with an organization's own values filled in, ready for connections/guide_steps.html."""

from dataclasses import dataclass

from connections.guides.guide import Guide, Step
from connections.sp import SPDetails


@dataclass(frozen=True)
class ShownStep:
    number: int
    step: Step
    values: list[tuple[str, str, str]]  # (key, the IdP's label, our value)


def guide_steps(guide: Guide, sp: SPDetails) -> list[ShownStep]:
    return [ShownStep(number, step, step.shown_values(sp)) for number, step in enumerate(guide.steps, start=1)]
