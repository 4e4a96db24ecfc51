"""Environment variable names. An explicit argument beats the environment, which beats defaults."""

ENV_REGION = "AWS_REGION"
ENV_DEFAULT_REGION = "AWS_DEFAULT_REGION"
ENV_ENDPOINT_URL = "AWS_ENDPOINT_URL"
ENV_CLUSTER = "ZELLY_CLUSTER"
ENV_INCIDENT_ID = "ZELLY_INCIDENT_ID"
# The Lambda packaging sets this so one generic handler knows which action it serves.
ENV_ACTION = "RUNBOOK_ACTION"

DEFAULT_REGION = "ap-south-1"
# Bounded retries: enough to ride out throttling, short enough to fail clearly during an incident.
# Adaptive: standard mode's retries, plus a client-side send rate that drops when AWS throttles
# (the ECS buckets of fanout.py work beside it; that module's docstring says how).
RETRY_MODE = "adaptive"
RETRY_MAX_ATTEMPTS = 5
MAX_PARALLEL_CALLS = 8
TAG_PREFIX = "incident-guardrails"
ENV_DB_CLUSTER = "ZELLY_DB_CLUSTER"
ENV_DB_SECRET_ID = "ZELLY_DB_SECRET_ID"
ENV_DB_ENDPOINT_PARAMETER = "ZELLY_DB_ENDPOINT_PARAMETER"
ENV_AUDIT_LOG_GROUP = "ZELLY_AUDIT_LOG_GROUP"
# The write fence's CIDRs (stack config ``network``), comma-separated: the application subnets
# the services run in, and the responders' VPN / bastion source ranges.
ENV_APP_CIDRS = "ZELLY_APP_CIDRS"
ENV_RESPONDER_CIDRS = "ZELLY_RESPONDER_CIDRS"
# SSM prefix under which actions keep durable per-incident records (e.g. desired counts).
ENV_STATE_PREFIX = "ZELLY_STATE_PREFIX"
# Severity topics are named "<prefix>-p0" ... "<prefix>-p3" (stack_config Notifications).
ENV_TOPIC_PREFIX = "ZELLY_TOPIC_PREFIX"
DEFAULT_STATE_PREFIX = "/incident-guardrails"
