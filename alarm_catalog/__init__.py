"""The alarm catalog: every symptom the incident guide names, as data the program and drills share.

``expand(platform)`` turns the templates in ``alarms.yaml`` into concrete definitions for one
stack. Pure Python (PyYAML only): the drills import it without Pulumi. Besides the names below,
``render`` and ``variables`` (the template fields a catalog may use) are public modules.
"""

from .exceptions import CatalogError
from .expand import effective_severity, expand
from .model import (
    Alarm,
    AlarmState,
    AllOf,
    AnyOf,
    Catalog,
    CompositeAlarm,
    HealthCheck,
    LogMetricFilter,
    MetricAlarm,
    RuleNode,
)
from .templates import CATALOG_PATH, CatalogTemplates, load_templates, parse_templates
from .variables import TargetGroupDimensions
from .vocabulary import (
    GUIDE_SECTIONS,
    HEALTH_CHECK_METRICS_REGION,
    LOAD_BALANCER_NAMESPACES,
    NON_PAGING_SEVERITY,
    PAGING_SEVERITIES,
    SEVERITIES,
)

__all__ = [
    "render",
    "variables",
    "CATALOG_PATH",
    "GUIDE_SECTIONS",
    "HEALTH_CHECK_METRICS_REGION",
    "LOAD_BALANCER_NAMESPACES",
    "NON_PAGING_SEVERITY",
    "PAGING_SEVERITIES",
    "SEVERITIES",
    "Alarm",
    "AlarmState",
    "AllOf",
    "AnyOf",
    "Catalog",
    "CatalogError",
    "CatalogTemplates",
    "CompositeAlarm",
    "HealthCheck",
    "LogMetricFilter",
    "MetricAlarm",
    "RuleNode",
    "TargetGroupDimensions",
    "effective_severity",
    "expand",
    "load_templates",
    "parse_templates",
]
