"""What every emulator's ``*Config`` dataclass shares: the admin view, copies and run-time changes.

A provider config is a ``@dataclass`` that also derives from :class:`SandboxConfig` (a plain class: it adds
no fields). It declares ``RUNTIME`` (settings ``POST /_sandbox/config`` may change; their types are the
fields' annotations), ``DATA_SETTINGS`` (settings that need ``POST /_sandbox/reset``) and ``TENANT_SETTINGS``
(the tenants of the multi-tenant mode, fixed when the emulator starts), and overrides :meth:`check_setting`
where its settings take more than a type check.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, ClassVar

RESET_HINT_SEED_SCALE = 'use POST /_sandbox/reset with {"seed": …, "scale": …}'
#: a setting's type from its field annotation (a string, as the config modules use postponed annotations)
_KINDS: dict[str, type] = {"bool": bool, "int": int, "float": float, "str": str}


class SandboxConfig:
    #: settings that ``POST /_sandbox/config`` may change, in the order a refusal lists them
    RUNTIME: ClassVar[tuple[str, ...]] = ()
    DATA_SETTINGS: ClassVar[tuple[str, ...]] = ("seed", "scale")
    #: how a change of a data setting is refused: "{key!r} changes the data: {RESET_HINT}"
    RESET_HINT: ClassVar[str] = "use POST /_sandbox/reset"
    #: the tenants (organizations, companies): given when the emulator starts, kept by every reset
    TENANT_SETTINGS: ClassVar[tuple[str, ...]] = ()

    clock: Any

    @classmethod
    def tenant_settings(cls, count: int) -> dict[str, Any]:
        """The settings of ``count`` tenants (``sandbox serve --tenants N``): each emulator says which."""
        raise NotImplementedError

    def view(self) -> dict[str, Any]:
        """The settings (``GET /_sandbox/config``); the tenants are ``GET /_sandbox/tenants``'s."""
        hidden = ("clock", *self.TENANT_SETTINGS)
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in hidden}  # type: ignore[arg-type]
        out["clock"] = "injected" if self.clock is not None else "real"
        return out

    def copy_with(self, **changes: Any) -> Any:
        data = asdict(self)  # type: ignore[call-overload]
        data["clock"] = self.clock
        data.update(changes)
        return type(self)(**data)

    def setting_kind(self, key: str) -> type:
        """The type of setting ``key``: its field's annotation."""
        annotation = next(f.type for f in fields(self) if f.name == key)  # type: ignore[arg-type]
        return _KINDS[annotation] if isinstance(annotation, str) else annotation

    def check_setting(self, key: str, kind: type, value: Any) -> Any:
        """Validate one run-time setting of type ``kind``; return the value to store. Raises ValueError.
        By default: true/false, an integer >= 0, a number >= 0 (stored as a float) or a string."""
        if kind is bool:
            return check_bool(key, value)
        if kind is int:
            return check_int(key, value)
        if kind is float:
            return float(check_number(key, value))
        if not isinstance(value, str):
            raise ValueError(f"{key!r} must be a string")
        return value

    def apply(self, changes: dict[str, Any]) -> None:
        """Validate and apply run-time changes (all or nothing). Raises ValueError."""
        updates: dict[str, Any] = {}
        for key, value in changes.items():
            if key in self.DATA_SETTINGS:
                raise ValueError(f"{key!r} changes the data: {self.RESET_HINT}")
            if key in self.TENANT_SETTINGS:
                raise ValueError(f"{key!r} is set when the emulator starts (its config, or sandbox serve --tenants)")
            if key not in self.RUNTIME:
                raise ValueError(f"unknown setting {key!r}; settable: {', '.join(self.RUNTIME)}")
            updates[key] = self.check_setting(key, self.setting_kind(key), value)
        for key, value in updates.items():
            setattr(self, key, value)


def check_bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{key!r} must be true or false")
    return value


def check_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key!r} must be an integer >= 0")
    return value


def check_between(key: str, value: Any, low: int, high: int) -> int:
    """An integer from `low` to `high` (a tenant count, ...)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{key} must be an integer between {low} and {high}")
    return value


def check_number(key: str, value: Any) -> int | float:
    """A number >= 0 (returned unchanged; callers convert)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{key!r} must be a number >= 0")
    return value
