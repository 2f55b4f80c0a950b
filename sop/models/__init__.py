"""MongoEngine documents, one module per aggregate."""

from sop.models.audit import ArchivedAuditEntry, AuditEntry
from sop.models.budget import BudgetEntry
from sop.models.customer import Customer, name_key
from sop.models.importlog import IMPORT_KINDS, ImportLog, ImportProblem
from sop.models.password_reset import PasswordResetToken
from sop.models.price import PriceEntry
from sop.models.product import CATEGORIES, Product
from sop.models.sales import SalesHistory, SalesMonth
from sop.models.setting import Setting
from sop.models.user import ROLES, User

ALL_DOCUMENTS = (
    User, PasswordResetToken, Setting, AuditEntry, ArchivedAuditEntry,
    Customer, Product, PriceEntry, SalesHistory, BudgetEntry, ImportLog,
)

__all__ = [
    "ALL_DOCUMENTS",
    "CATEGORIES",
    "IMPORT_KINDS",
    "ROLES",
    "ArchivedAuditEntry",
    "AuditEntry",
    "BudgetEntry",
    "Customer",
    "ImportLog",
    "ImportProblem",
    "PasswordResetToken",
    "PriceEntry",
    "Product",
    "SalesHistory",
    "SalesMonth",
    "Setting",
    "User",
    "name_key",
]
