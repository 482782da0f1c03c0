"""Who may do what in the warehouse. Every page and endpoint of `inventory` names one of these rules.

| rule                       | who                                                                   |
|----------------------------|-----------------------------------------------------------------------|
| can_view_stock             | Warehouse, Manager, Finance (read: catalogue, levels, ledger, counts, |
|                            | summary and its Excel export jobs)                                    |
| can_operate_stock          | Warehouse, Manager (catalogue edits, movements, imports, counts,      |
|                            | orders: pick, pack, ship; 进货单)                                      |
| can_override_negative      | Manager (post a movement that takes a level below zero)               |
| can_close_counts           | the warehouse supervisor (仓库主管, by role code), Manager (and       |
|                            | superusers): close a count, which posts its differences to stock      |
| can_review_loss_reports    | Finance (approve or reject 报损单)                                    |
| can_handle_flagged_orders  | Warehouse, Manager, and customer-service staff (客服, by role code):  |
|                            | see the orders waiting for customer service                           |
| can_answer_flagged_orders  | customer-service staff only (and superusers): answer a flagged order; |
|                            | never the person who handed it over (checked by the service)          |
| can_cancel_flagged_orders  | customer-service staff, Manager (and superusers): cancel an order     |
|                            | waiting for customer service (which ends the hand-over)               |
| sees_blind_count_figures   | Finance (who never counts) and superusers; see below                  |

Superusers pass every rule. Everyone else (Staff outside customer service) sees nothing of the warehouse:
pages redirect home with a message, the API answers 403.

Blind counts (盲盘): while a blind count of a warehouse is open, the system quantities of that warehouse (stock
levels, the ledger, SKU totals, the 进销存 summary and its exports, the picking list's bins, the count's own expected
figures) are left out for everyone who may record counts: Warehouse (counters and the warehouse supervisor alike, who
counts too in a shop this size) and Manager. Finance, who never counts and keeps the books, and superusers still see
them. `selectors.blind_warehouse_ids(user=...)` applies this rule; every read of system quantities takes its result.
"""

from __future__ import annotations

from rest_framework import permissions

from roles.choices import AccessGroup, EmployeeStatus
from roles.permissions import in_group

# Customer service (客服) belongs to the Staff group but handles the orders the warehouse flags ("有疑义的订单第一时间
# 移交给客服"); these role codes (fixtures/org_seed.json) are the ones that may open the flagged-order list.
CUSTOMER_SERVICE_ROLE_CODES = frozenset({"cs_lead", "cs_staff"})

# The warehouse supervisor (仓库主管, 000 §6.1: "定期组织人员对仓库产品进行盘点记录") organises the counts and answers
# for them; the counters (入库员, 打单员, 配货员, 打包员, 发货人员) record lines but do not close.
COUNT_CLOSING_ROLE_CODES = frozenset({"warehouse_supervisor"})


def can_view_stock(user) -> bool:
    return in_group(user, AccessGroup.WAREHOUSE, AccessGroup.MANAGER, AccessGroup.FINANCE)


def can_operate_stock(user) -> bool:
    return in_group(user, AccessGroup.WAREHOUSE, AccessGroup.MANAGER)


def can_override_negative(user) -> bool:
    return in_group(user, AccessGroup.MANAGER)


def is_warehouse_supervisor(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_inventory_is_supervisor", None)
    if cached is None:
        employee = getattr(user, "employee", None)
        cached = bool(
            employee
            and employee.role.code in COUNT_CLOSING_ROLE_CODES
            and employee.status != EmployeeStatus.LEFT
            and employee.user.is_active
        )
        user._inventory_is_supervisor = cached
    return cached


def can_close_counts(user) -> bool:
    """Closing a count posts every difference to stock at once (a zero on every line writes the warehouse off), so
    it is not for one counter alone (segregation of duties): the warehouse supervisor, who organises the counts, or a
    manager closes it, whoever opened it; Finance's loss-report review comes after and posts nothing back."""
    return in_group(user, AccessGroup.MANAGER) or (can_operate_stock(user) and is_warehouse_supervisor(user))


def can_review_loss_reports(user) -> bool:
    return in_group(user, AccessGroup.FINANCE)


def sees_blind_count_figures(user) -> bool:
    """May `user` see the system quantities of a warehouse while a blind count of it is open? Not those who may
    record counts (Warehouse, Manager): the count must not be steered by the figure it checks."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or (in_group(user, AccessGroup.FINANCE) and not can_operate_stock(user))


def is_customer_service(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_inventory_is_cs", None)
    if cached is None:
        employee = getattr(user, "employee", None)
        cached = bool(employee and employee.role.code in CUSTOMER_SERVICE_ROLE_CODES and employee.user.is_active)
        user._inventory_is_cs = cached
    return cached


def can_handle_flagged_orders(user) -> bool:
    return can_operate_stock(user) or is_customer_service(user)


def can_answer_flagged_orders(user) -> bool:
    """Customer service's answer comes from customer service: the warehouse hands an order over and waits, so a
    packer cannot wave through their own packing mismatch. The service also refuses the person who flagged it."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or is_customer_service(user)


def can_cancel_flagged_orders(user) -> bool:
    """An order with customer service waits for their answer: whether to cancel it is theirs or a manager's to decide,
    not the warehouse's."""
    return can_answer_flagged_orders(user) or in_group(user, AccessGroup.MANAGER)


def _api_rule(rule, *, read_rule=None):
    class RulePermission(permissions.BasePermission):
        def has_permission(self, request, view):
            if request.method in permissions.SAFE_METHODS and read_rule is not None:
                return read_rule(request.user)
            return rule(request.user)

    RulePermission.__name__ = f"Api_{rule.__name__}"
    return RulePermission


# API permission classes: reads by one rule, writes by another.
StockReadOperateWrite = _api_rule(can_operate_stock, read_rule=can_view_stock)
OperateStock = _api_rule(can_operate_stock)
ViewStock = _api_rule(can_view_stock)
ReviewLossReports = _api_rule(can_review_loss_reports, read_rule=can_view_stock)
HandleFlaggedOrders = _api_rule(can_handle_flagged_orders)
AnswerFlaggedOrders = _api_rule(can_answer_flagged_orders)
