"""Flask extensions, created unbound and initialised by the app factory (``composition``)."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from portal.models_base import Base
from portal.read_routing import RoutingSession

# RoutingSession: a read-only request's statements go to the replica when one is set
# (READ_DATABASE_URL, portal/read_routing.py); otherwise it is Flask-SQLAlchemy's session.
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()
limiter = Limiter(key_func=get_remote_address)

# What every model derives from: Flask-SQLAlchemy's db.Model, which it builds from Base when
# db is made. mypy takes no attribute of an instance as a base class (python/mypy#8603), so
# the type checker sees Base, the declarative class db.Model is made from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
