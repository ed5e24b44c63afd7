"""Imports every model module so the metadata is complete (Alembic, tests).

Definitions live one aggregate per file: ``tenants.unit``, ``tenants.membership``,
``portal.accounts.user``, ``portal.accounts.api_token``.
"""

from portal.accounts.api_token import ApiToken
from portal.accounts.user import User
from tenants.membership import Membership
from tenants.unit import Unit, UnitClosure

__all__ = ["ApiToken", "Membership", "Unit", "UnitClosure", "User"]
