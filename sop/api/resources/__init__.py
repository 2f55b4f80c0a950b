"""The API's resources, one blueprint per area (registered by sop.api.core.register_api)."""

from sop.api.resources import admin, masterdata, me, plans

BLUEPRINTS = (me.bp, plans.bp, masterdata.bp, admin.bp)
