"""Money: reserve an estimate before each paid call, settle it with the actual cost after.

``reserve`` raises :class:`BudgetExceededError` when what was spent plus what is reserved for
calls in flight plus this call's estimate would exceed ``max_cost``: the render stops *before*
exceeding the budget, even with several calls running at once.
"""

from __future__ import annotations

import threading
from decimal import Decimal

from ministudio.engine.errors import BudgetExceededError

__all__ = ["Budget"]


class Budget:
    def __init__(self, max_cost: Decimal | None, currency: str = "USD") -> None:
        self.max_cost = None if max_cost is None else Decimal(str(max_cost))
        self.currency = currency
        self.spent = Decimal(0)
        self.reserved = Decimal(0)
        self._lock = threading.Lock()

    def reserve(self, amount: Decimal, *, shot: str, what: str) -> Decimal:
        amount = Decimal(amount)
        with self._lock:
            if self.max_cost is not None and self.spent + self.reserved + amount > self.max_cost:
                raise BudgetExceededError(
                    f"shot {shot}: {what} would cost about {amount:.2f} {self.currency}; "
                    f"{self.spent:.2f} spent and {self.reserved:.2f} committed of the "
                    f"--max-cost {self.max_cost:.2f} {self.currency}",
                    shot=shot,
                    hint="raise --max-cost; finished shots are kept and not paid for again",
                )
            self.reserved += amount
        return amount

    def settle(self, reserved: Decimal, actual: Decimal) -> None:
        with self._lock:
            self.reserved -= reserved
            self.spent += Decimal(actual)
