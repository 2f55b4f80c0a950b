"""MongoEngine documents, one module per aggregate."""

from sop.models.api_token import API_SCOPES, ApiToken
from sop.models.audit import ArchivedAuditEntry, AuditEntry
from sop.models.baseline import BASELINE_STATES, BaselineLine
from sop.models.budget import BudgetEntry
from sop.models.customer import Customer, name_key
from sop.models.cycle import CYCLE_STATUSES, Cycle
from sop.models.forecast import PROBABILITIES, ForecastLine, ForecastSnapshot
from sop.models.frozen_plan import FrozenPlanPack
from sop.models.importlog import IMPORT_KINDS, ImportLog, ImportProblem
from sop.models.password_reset import PasswordResetToken
from sop.models.price import PriceEntry
from sop.models.product import CATEGORIES, Product
from sop.models.report import REPORT_STATUSES, Report
from sop.models.sales import SalesHistory, SalesMonth
from sop.models.setting import Setting
from sop.models.submission import SUBMISSION_STATUSES, Submission, SubmissionEvent
from sop.models.user import ROLES, User
from sop.models.workbook import SheetMatch, WorkbookUpload

ALL_DOCUMENTS = (
    User, PasswordResetToken, Setting, AuditEntry, ArchivedAuditEntry,
    Customer, Product, PriceEntry, SalesHistory, BudgetEntry, ImportLog,
    Cycle, ForecastLine, ForecastSnapshot, Submission, WorkbookUpload, Report, BaselineLine,
    ApiToken, FrozenPlanPack,
)

__all__ = [
    "ALL_DOCUMENTS",
    "API_SCOPES",
    "BASELINE_STATES",
    "CATEGORIES",
    "CYCLE_STATUSES",
    "IMPORT_KINDS",
    "PROBABILITIES",
    "REPORT_STATUSES",
    "ROLES",
    "SUBMISSION_STATUSES",
    "ApiToken",
    "ArchivedAuditEntry",
    "AuditEntry",
    "BaselineLine",
    "BudgetEntry",
    "Customer",
    "Cycle",
    "ForecastLine",
    "ForecastSnapshot",
    "FrozenPlanPack",
    "ImportLog",
    "ImportProblem",
    "PasswordResetToken",
    "PriceEntry",
    "Product",
    "Report",
    "SalesHistory",
    "SalesMonth",
    "Setting",
    "SheetMatch",
    "Submission",
    "SubmissionEvent",
    "User",
    "WorkbookUpload",
    "name_key",
]
