"""The MLflow registry backend's plumbing (`mlflow_backend.py`): the lazily made
`MlflowClient` with bounded retries, one call at a time with MLflow and network failures
turned into `RegistryError` (unreachable server) or `MlflowRefusal` (MLflow's code and
message, for the backend to word), and paged searches."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from core.errors import OpsbotError
from tools.registry.errors import RegistryError
from tools.registry.mlflow_convert import safe_uri

T = TypeVar("T")
_PAGE = 100
_ENV_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
}


class MlflowCalls:
    """A tracking URI and its client; the calls every backend operation goes through."""

    def __init__(self, tracking_uri: str, client: Any = None) -> None:
        if not tracking_uri or not tracking_uri.strip():
            raise RegistryError("MLFLOW_TRACKING_URI is empty; set it to the MLflow server URL")
        self.uri = tracking_uri.strip()
        self.key = f"mlflow:{safe_uri(self.uri)}"[:300]
        self._client = client

    def describe(self) -> str:
        return f"MLflow at {safe_uri(self.uri)}"

    def close(self) -> None:
        """MlflowClient holds no resources that need closing."""

    # ------------------------------------------------------------------ plumbing
    @property
    def client(self) -> Any:
        if self._client is None:
            for name, value in _ENV_DEFAULTS.items():
                os.environ.setdefault(name, value)
            try:
                from mlflow import MlflowClient
            except ImportError:
                raise RegistryError(
                    "MLFLOW_TRACKING_URI is set but the 'mlflow' package is not installed; "
                    "install the extra (`pip install 'opsbot[mlflow]'`) or unset MLFLOW_TRACKING_URI "
                    "to use the built-in registry"
                ) from None
            self._client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        return self._client

    @staticmethod
    def _code(exc: BaseException) -> str:
        return str(getattr(exc, "error_code", "") or "")

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one client call; MLflow and network failures become a RegistryError."""
        try:
            return fn(*args, **kwargs)
        except RegistryError:
            raise
        except Exception as exc:
            from mlflow.exceptions import MlflowException

            if isinstance(exc, MlflowException):
                message = getattr(exc, "message", None) or str(exc)
                if "Max retries exceeded" in message or "Connection refused" in message:
                    raise RegistryError(
                        f"MLflow at {safe_uri(self.uri)} is unreachable: {message.splitlines()[0]}"
                    ) from exc
                raise MlflowRefusal(self._code(exc), message) from exc
            raise RegistryError(
                f"MLflow at {safe_uri(self.uri)} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def _missing(self, exc: MlflowRefusal) -> bool:
        return exc.code == "RESOURCE_DOES_NOT_EXIST"

    def _pages(self, search: Callable[..., Any], **kwargs: Any) -> Iterator[Any]:
        token = None
        while True:
            page = self._call(search, max_results=_PAGE, page_token=token, **kwargs)
            yield from page
            token = getattr(page, "token", None)
            if not token:
                return


class MlflowRefusal(OpsbotError):
    """An MlflowException reduced to its code and message (internal to the MLflow backend)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message.splitlines()[0] if message else code
