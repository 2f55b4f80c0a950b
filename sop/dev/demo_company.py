"""A believable garlic, ginger and shallot processor, generated from a fixed seed.

One generator for two sizes: the demo company `flask seed-demo` loads (4 reps, ~60 customers,
~200 items) and the mid-size company `bench/gen_data.py` writes as import files (10 reps,
300 customers, 1,500 items, 20,000 active customer x item pairs, 24 months of sales).
Pure data: no database, no Excel.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from sop.models.product import CATEGORIES
from sop.months import add_months

TERRITORIES = ("North", "South", "West")
REGION_WORDS = ("Lone Star", "Gulf Coast", "Prairie", "Bayou", "Sierra", "Cascade", "Mesa",
                "Harbor", "Valley", "Summit", "Redwood", "Canyon", "Pioneer", "Frontier",
                "Lakeshore", "Riverbend", "Granite", "Magnolia", "Desert Sun", "Evergreen")
TRADE_WORDS = ("Produce", "Foods", "Distributors", "Fresh Market", "Grocers", "Provisions",
               "Food Service", "Wholesale", "Kitchens", "Supply")
CORPORATE_GROUPS = ("Independent", "Allied Grocers Co-op", "Restaurant Partners Group",
                    "National Foodservice Alliance", "Regional Retail Buyers")
PRODUCT_LINES = {
    "G01 - Garlic Production": ("Peeled Garlic", "Minced Garlic in Oil", "Garlic Puree",
                                "Roasted Garlic Cloves", "Chopped Garlic in Water"),
    "G02 - Shallot Production": ("Peeled Shallots", "Diced Shallots", "Shallot Puree",
                                 "Crispy Fried Shallots"),
    "G03 - Ready to Use": ("Ginger Paste", "Garlic Ginger Blend", "Sofrito Base",
                           "Chimichurri Base", "Aioli Base"),
    "G04 - Other Production": ("Diced Onions", "Minced Ginger", "Sliced Jalapenos",
                               "Roasted Peppers"),
    "G05 - Resale": ("Dried Garlic Granules", "Black Garlic", "Pickled Ginger",
                     "Garlic Salt"),
}
PACKS = ("6x32 oz", "4x5 lb", "2x5 lb", "12x16 oz", "1x30 lb", "6x1 gal", "24x8 oz")
LOCATIONS = ("Plant A - Gilroy", "Plant B - Fresno", "Plant C - Monterrey", "Co-packer")
LINES = ("Line 1", "Line 2", "Line 3", "Packing")
# Demand by calendar month: holidays and grilling season sell more.
SEASONALITY = (0.85, 0.8, 0.9, 0.95, 1.05, 1.1, 1.1, 1.05, 1.0, 1.05, 1.2, 1.25)


@dataclass(frozen=True)
class CompanySize:
    reps: int
    customers: int
    items: int
    pairs: int
    history_months: int
    budget_months: int


DEMO = CompanySize(reps=4, customers=60, items=200, pairs=1200, history_months=24,
                   budget_months=12)
MID_SIZE = CompanySize(reps=10, customers=300, items=1500, pairs=20000, history_months=24,
                       budget_months=12)


@dataclass
class RepSpec:
    code: str  # the initials used in workbook names, e.g. "JR"
    email: str
    full_name: str
    territory: str


@dataclass
class CustomerSpec:
    code: str
    name: str
    sop_name: str
    rep_email: str
    territory: str
    corporate_group: str
    city: str
    payment_terms: str
    credit_limit: float
    aliases: list[str] = field(default_factory=list)


@dataclass
class ProductSpec:
    item_code: str
    description: str
    group_code: str
    subgroup: str
    group_description: str
    category: str
    manufacturing_location: str
    manufacturing_line: str
    pack_size: str
    weight: float
    list_price: float
    cost_price: float


@dataclass
class PriceSpec:
    customer_code: str
    item_code: str
    price: float
    effective_from: date
    base_cases: float  # typical monthly volume, drives sales and budget


@dataclass
class SalesSpec:
    customer_code: str
    item_code: str
    year: int
    month: int
    quantity: float
    unit_price: float
    sales: float
    cogs: float
    gross_profit: float


@dataclass
class ForecastSpec:
    customer_code: str
    item_code: str
    rep_email: str
    probability: int
    qty: list[float]
    price: list[float | None]


@dataclass
class BudgetSpec:
    rep_email: str
    sop_name: str
    year: int
    month: int
    cases: float
    sales: float


DEMO_REPS = (
    RepSpec("JR", "jordan.reyes@example.com", "Jordan Reyes", "South"),
    RepSpec("SP", "sam.patel@example.com", "Sam Patel", "West"),
    RepSpec("LC", "lee.chen@example.com", "Lee Chen", "North"),
    RepSpec("MG", "maria.gomez@example.com", "Maria Gomez", "South"),
)
FIRST_NAMES = ("Alex", "Blair", "Casey", "Drew", "Emery", "Finley", "Gray", "Harper", "Indy",
               "Jesse", "Kai", "Logan")
LAST_NAMES = ("Nguyen", "Okafor", "Peralta", "Quinn", "Rossi", "Silva", "Tanaka", "Ueda",
              "Varga", "Weber", "Xu", "Young")


class CompanyGenerator:
    """Deterministic for a given size and seed; `today` anchors the history and budget."""

    def __init__(self, size: CompanySize, today: date, seed: int = 20261124) -> None:
        self.size = size
        self.random = random.Random(seed)
        self.first_month = add_months(date(today.year, today.month, 1), -size.history_months)
        self.reps = self._reps()
        self.customers = self._customers()
        self.products = self._products()
        self.prices = self._prices()

    def _reps(self) -> list[RepSpec]:
        reps = list(DEMO_REPS[: self.size.reps])
        for number in range(len(reps), self.size.reps):
            first, last = FIRST_NAMES[number % 12], LAST_NAMES[(number * 5) % 12]
            email = f"{first}.{last}{number}@example.com".lower()
            reps.append(RepSpec(f"{first[0]}{last[0]}{number}", email, f"{first} {last}",
                                TERRITORIES[number % 3]))
        return reps

    def _customers(self) -> list[CustomerSpec]:
        customers: list[CustomerSpec] = []
        sop_names: list[str] = []
        for number in range(1, self.size.customers + 1):
            rep = self.reps[(number - 1) % len(self.reps)]
            # About one account in four rolls up into an existing S&OP name of the same rep.
            if sop_names and self.random.random() < 0.25:
                candidates = [c.sop_name for c in customers if c.rep_email == rep.email]
                sop_name = self.random.choice(candidates) if candidates else None
            else:
                sop_name = None
            if sop_name is None:
                words = (REGION_WORDS[number % len(REGION_WORDS)],
                         TRADE_WORDS[(number // len(REGION_WORDS)) % len(TRADE_WORDS)])
                sop_name = f"{words[0]} {words[1]}".upper()[:27]
                if sop_name in sop_names:
                    sop_name = f"{sop_name[:27]} {number % 100:02d}"
                sop_names.append(sop_name)
            legal = f"{sop_name.title()} {self.random.choice(('LLC', 'Inc.', 'Co.', 'Ltd.'))}"
            customers.append(CustomerSpec(
                code=f"PATITO-{number:06d}", name=legal, sop_name=sop_name,
                rep_email=rep.email, territory=rep.territory,
                corporate_group=CORPORATE_GROUPS[number % len(CORPORATE_GROUPS)],
                city=REGION_WORDS[(number * 3) % len(REGION_WORDS)] + " City",
                payment_terms=self.random.choice(("Net 30", "Net 45", "Net 15")),
                credit_limit=float(self.random.choice((25_000, 50_000, 100_000, 250_000))),
                aliases=[sop_name.replace(" ", "")] if number % 9 == 0 else [],
            ))
        return customers

    def _products(self) -> list[ProductSpec]:
        products = []
        for number in range(self.size.items):
            category = CATEGORIES[number % len(CATEGORIES)]
            lines = PRODUCT_LINES[category]
            line = lines[(number // len(CATEGORIES)) % len(lines)]
            pack = PACKS[(number // 3) % len(PACKS)]
            group = f"{CATEGORIES.index(category) + 1}-{(number % 4) + 1}"
            list_price = round(self.random.uniform(12, 95), 2)
            products.append(ProductSpec(
                item_code=f"{110001 + number:06d}", description=f"{line} {pack}",
                group_code=group, subgroup=line, group_description=f"Group {group}",
                category=category, manufacturing_location=LOCATIONS[number % len(LOCATIONS)],
                manufacturing_line=LINES[number % len(LINES)], pack_size=pack,
                weight=round(self.random.uniform(5, 40), 1), list_price=list_price,
                cost_price=round(list_price * self.random.uniform(0.55, 0.8), 2),
            ))
        return products

    def _prices(self) -> list[PriceSpec]:
        per_customer = max(1, self.size.pairs // self.size.customers)
        prices = []
        for index, customer in enumerate(self.customers):
            count = per_customer + (1 if index < self.size.pairs % self.size.customers else 0)
            chosen = self.random.sample(range(len(self.products)), min(count, len(self.products)))
            for product_index in sorted(chosen):
                product = self.products[product_index]
                prices.append(PriceSpec(
                    customer_code=customer.code, item_code=product.item_code,
                    price=round(product.list_price * self.random.uniform(0.85, 1.05), 2),
                    effective_from=self.first_month,
                    base_cases=round(self.random.lognormvariate(3.2, 0.9), 1),
                ))
        return prices

    def sales(self) -> Iterator[SalesSpec]:
        """Monthly actuals for every active pair: seasonal, with noise and a slow trend."""
        rng = random.Random(self.random.random())
        for price in self.prices:
            for offset in range(self.size.history_months):
                month = add_months(self.first_month, offset)
                trend = 1 + 0.01 * offset
                noise = rng.uniform(0.7, 1.3)
                quantity = max(0, round(price.base_cases * SEASONALITY[month.month - 1] * trend
                                        * noise))
                unit_price = round(price.price * (1 + 0.002 * offset), 2)
                sales = round(quantity * unit_price, 2)
                cogs = round(sales * rng.uniform(0.62, 0.78), 2)
                yield SalesSpec(price.customer_code, price.item_code, month.year, month.month,
                                float(quantity), unit_price, sales, cogs, round(sales - cogs, 2))

    def budget(self) -> Iterator[BudgetSpec]:
        """Next months' budget per rep and S&OP name: last year's volume plus 5 %."""
        by_name: dict[tuple[str, str], list[PriceSpec]] = {}
        customer_by_code = {c.code: c for c in self.customers}
        for price in self.prices:
            customer = customer_by_code[price.customer_code]
            by_name.setdefault((customer.rep_email, customer.sop_name), []).append(price)
        start = add_months(self.first_month, self.size.history_months)
        for (rep_email, sop_name), prices in sorted(by_name.items()):
            for offset in range(self.size.budget_months):
                month = add_months(start, offset)
                factor = SEASONALITY[month.month - 1] * 1.05
                cases = sum(p.base_cases for p in prices) * factor
                sales = sum(p.base_cases * p.price for p in prices) * factor
                yield BudgetSpec(rep_email, sop_name, month.year, month.month,
                                 float(math.floor(cases)), round(sales, 2))

    def forecasts(self, planning_start: date, horizon: int, revision: int = 0
                  ) -> Iterator[ForecastSpec]:
        """A plan for every active pair from `planning_start`: seasonal volume from the pair's
        typical cases, the customer price entered for the first months only (the way reps
        fill their workbooks). `revision` perturbs the numbers, so two cycles differ."""
        rng = random.Random(planning_start.toordinal() * 31 + revision)
        rep_of = {c.code: c.rep_email for c in self.customers}
        for price in self.prices:
            qty = [float(round(price.base_cases * SEASONALITY[add_months(planning_start, i).month
                                                               - 1] * rng.uniform(0.9, 1.15)))
                   for i in range(horizon)]
            prices = [price.price if i < 3 else None for i in range(horizon)]
            yield ForecastSpec(price.customer_code, price.item_code,
                               rep_of[price.customer_code], rng.choice((0, 1, 1, 2, 2, 3)), qty,
                               prices)
