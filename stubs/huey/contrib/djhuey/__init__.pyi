from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from huey.api import Huey, TaskWrapper

_P = ParamSpec("_P")
_R = TypeVar("_R")

HUEY: Huey

def task(*args: Any, **kwargs: Any) -> Callable[[Callable[_P, _R]], TaskWrapper[_P, _R]]: ...
def periodic_task(
    *args: Any, **kwargs: Any
) -> Callable[[Callable[_P, _R]], TaskWrapper[_P, _R]]: ...
def db_task(*args: Any, **kwargs: Any) -> Callable[[Callable[_P, _R]], TaskWrapper[_P, _R]]: ...
def db_periodic_task(
    *args: Any, **kwargs: Any
) -> Callable[[Callable[_P, _R]], TaskWrapper[_P, _R]]: ...
def __getattr__(name: str) -> Any: ...
