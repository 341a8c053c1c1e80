"""Piccolo configuration: the engine comes from ``GVI_DATABASE_URL``.

``PICCOLO_CONF=gvi.piccolo_conf`` points Piccolo here; ``gvi.cli`` sets it.
"""

from piccolo.conf.apps import AppRegistry

from gvi.db import build_engine
from gvi.settings import get_settings

DB = build_engine(get_settings())

APP_REGISTRY = AppRegistry(apps=["gvi.piccolo_app"])
