"""Token and cost accounting: what a run's LLM calls used and what they cost.

Kept apart from the client so that the offline path can report usage without
importing the OpenAI SDK.
"""

from __future__ import annotations

from dataclasses import dataclass

# US dollars per million tokens (input, output). Unknown models (local servers) cost 0.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
}


def price_of(model: str) -> tuple[float, float] | None:
    # Dated snapshots ("gpt-4o-mini-2024-07-18") cost what their family costs.
    for name in sorted(PRICES_PER_MILLION, key=len, reverse=True):
        if model == name or model.startswith(name + "-"):
            return PRICES_PER_MILLION[name]
    return None


@dataclass
class Usage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    retries: int = 0
