"""The stacks' names as the platform model reads them from ``Pulumi.<stack>.yaml``: what tests use
for "the platform's" cluster, database, secret or topics, instead of repeating the literals.

A test whose point is a particular literal (a wrong name that must be refused, what the loader
reads from the file) keeps the literal.
"""

from __future__ import annotations

from stack_config import Platform, load_platform

PRODUCTION: Platform = load_platform("production")
STAGING: Platform = load_platform("staging")

CLUSTER = PRODUCTION.cluster
DB = PRODUCTION.aurora.cluster_id
SECRET = PRODUCTION.aurora.master_secret_id
PARAMETER = PRODUCTION.aurora.endpoint_parameter
AUDIT_LOG_GROUP = PRODUCTION.aurora.audit_log_group
TOPIC_PREFIX = PRODUCTION.notifications.topic_prefix
