"""Token and cost accounting: what a run's LLM calls used and what they cost.

Kept apart from the client so that the offline path can report usage without
importing the OpenAI SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# US dollars per million tokens (input, output). A model not listed here (a local server,
# another provider) has no known price: its calls are counted, never priced as another's.
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

# The Batch API answers within 24 hours at half the price of a live call.
BATCH_PRICE_FACTOR = 0.5


def price_of(model: str | None) -> tuple[float, float] | None:
    """(input, output) dollars per million tokens, or None when the price is unknown."""
    if not model:
        return None
    # A dated snapshot ("gpt-4o-mini-2024-07-18", "gpt-4-0613") costs what its model costs;
    # any other suffix ("gpt-4o-audio-preview") is another model, with its own price.
    snapshot = re.fullmatch(r"(.+?)(?:-\d{4}-\d{2}-\d{2}|-\d{4})?", model)
    return PRICES_PER_MILLION.get(snapshot.group(1)) if snapshot else None


def cost_of(
    model: str | None, prompt_tokens: int, completion_tokens: int, *, batch: bool = False
) -> float | None:
    """Dollars for one call's tokens; `batch`: answered through the Batch API."""
    price = price_of(model)
    if price is None:
        return None
    factor = BATCH_PRICE_FACTOR if batch else 1.0
    return factor * (prompt_tokens * price[0] + completion_tokens * price[1]) / 1e6


@dataclass
class Usage:
    """What a run's calls used. `cost_usd` sums the priced calls only: when any call was
    answered by a model without a known price (`unpriced_models`), the run's cost is
    unknown and `priced` is False; show "price unknown", never the partial sum."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    retries: int = 0
    unpriced_models: set[str] = field(default_factory=set)

    @property
    def priced(self) -> bool:
        return not self.unpriced_models

    def add(
        self, model: str | None, prompt_tokens: int, completion_tokens: int, *, batch: bool = False
    ) -> None:
        """Count one answered call's tokens and price them as `model`'s (at the Batch API's
        price when `batch`)."""
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        cost = cost_of(model, prompt_tokens, completion_tokens, batch=batch)
        if cost is None:
            self.unpriced_models.add(model or "unnamed model")
        else:
            self.cost_usd += cost

    def cost_text(self) -> str:
        """The cost as the CLI shows it: "about $0.0123", or "price unknown (model)"."""
        if not self.priced:
            return f"price unknown ({', '.join(sorted(self.unpriced_models))})"
        return f"about ${self.cost_usd:.4f}"
