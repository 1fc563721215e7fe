"""Opt-in extraction profiles, by name: the rules of one kind of document.

A request names a profile (``x_extraction_profile``, ``longdoc extract --profile``) to run its
rules; with none, extraction runs its domain-neutral core only. An unknown name is refused with
the known ones, never replaced by a default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from longdoc.core.errors import InvalidRequest
from longdoc.extraction.profiles.base import NO_PROFILE, Profile
from longdoc.extraction.profiles.contracts import ContractsProfile

_PROFILES: Mapping[str, Callable[[], Profile]] = MappingProxyType({ContractsProfile.name: ContractsProfile})


def profile_names() -> list[str]:
    return sorted(_PROFILES)


def profile_named(name: str | None) -> Profile:
    """The profile called ``name``; no profile for None. Raises InvalidRequest for an unknown name."""
    if name is None:
        return NO_PROFILE
    make = _PROFILES.get(name)
    if make is None:
        raise InvalidRequest(
            f"unknown extraction profile {name!r}; known profiles: {', '.join(profile_names())}",
            param="x_extraction_profile",
        )
    return make()


__all__ = ["NO_PROFILE", "Profile", "profile_named", "profile_names"]
