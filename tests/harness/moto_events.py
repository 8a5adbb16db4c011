"""EventBridge bus policies as AWS keeps them (issue 12, `via: ops`).

Importing this module patches moto 5.2.5 in place (``moto_ext.install`` imports it).

``PutPermission`` with a ``Policy`` document *replaces* the bus's whole resource policy in AWS
("the policy you specify replaces any existing policy", PutPermission in the EventBridge API
reference). moto instead merges the given statements into the existing ones by ``Sid`` (and drops
existing statements whose principal equals a given one), so a caller that sent only its own
statement would appear to keep everybody else's: code that erases other tools' statements would
pass. Here the document replaces the policy, as in AWS. ``PutPermission`` with the single-statement
parameters (``Action``, ``Principal``, ``StatementId``) keeps moto's behaviour (it adds or
replaces that one statement, as AWS does).

The Resource Groups Tagging API (``GetResources``) lists EventBridge rules in AWS (resource type
``events:rule``); moto lists only event buses, so code reading rules' ownership tags in bulk
would find none. Here rules (of every bus) are listed too, with their tags and ARNs.
"""

from __future__ import annotations

from typing import Any

from moto.events.models import EventsBackend

__all__ = ["install"]

_original_put_permission = EventsBackend.put_permission
_original_iter_tagged_resources = EventsBackend.iter_tagged_resources


def put_permission(
    self: EventsBackend,
    event_bus_name: str,
    action: str,
    principal: str,
    statement_id: str,
    condition: dict[str, str],
    policy: str,
) -> None:
    """A ``Policy`` document replaces the bus policy; the other form is moto's."""
    if policy:
        bus = self.describe_event_bus(event_bus_name or "default")
        bus.remove_statements()
    _original_put_permission(self, event_bus_name, action, principal, statement_id, condition, policy)


def iter_tagged_resources(self: EventsBackend) -> Any:
    """moto's buses, then every rule of every bus as ``events:rule``."""
    from moto.core.resource_tagging import TaggedResource

    yield from _original_iter_tagged_resources(self)
    for bus in list(self.event_buses.values()):
        for rule in list(bus.rules.values()):
            yield TaggedResource(
                arn=rule.arn,
                tags=self.tagger.get_tag_dict_for_resource(rule.arn),
                resource_type="events:rule",
            )


_installed = False


def install() -> None:
    """Apply the patch (idempotent; done on import)."""
    global _installed
    if not _installed:
        EventsBackend.put_permission = put_permission  # type: ignore[method-assign]
        EventsBackend.iter_tagged_resources = iter_tagged_resources  # type: ignore[method-assign]
        _installed = True


install()
