"""The API's resources, one blueprint per area (registered by sop.api.core.register_api)."""

from sop.api.resources import admin, cycles, masterdata, matrix, me, plans, reports, sales

BLUEPRINTS = (me.bp, plans.bp, cycles.bp, masterdata.bp, matrix.bp, sales.bp, reports.bp, admin.bp)
