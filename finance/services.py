from typing import Any

from core.workflow import fire

from .models import Payment


def approve_payment(payment: Payment, *, by: Any, comment: str = "") -> Payment:
    return fire(payment, "approve", by=by, comment=comment)


def mark_paid(payment: Payment, *, by: Any, comment: str = "") -> Payment:
    return fire(payment, "pay", by=by, comment=comment)


def cancel_payment(payment: Payment, *, by: Any, comment: str = "") -> Payment:
    return fire(payment, "cancel", by=by, comment=comment)


PAYMENT_ACTIONS = {"approve": approve_payment, "pay": mark_paid, "cancel": cancel_payment}
