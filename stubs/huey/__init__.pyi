from typing import Any

from huey.api import Huey as Huey
from huey.api import crontab as crontab

def __getattr__(name: str) -> Any: ...
