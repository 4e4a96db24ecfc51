"""The closed vocabularies a catalog entry may use: CloudWatch's and the guide's."""

from stack_config import PAGING_SEVERITIES as PAGING_SEVERITIES
from stack_config import SEVERITIES as SEVERITIES

# The guide's severities (SEVERITIES) and the ones that page someone (PAGING_SEVERITIES) come
# from the platform model; P3 goes to the issue queue.
NON_PAGING_SEVERITY = "P3"

# Sections of the incident response guide an alarm sends the responder to. The P2 scenarios
# have no letters in the guide, so they are named after their headings.
GUIDE_SECTIONS = (
    "P0-A",
    "P0-B",
    "P0-C",
    "P1-A",
    "P1-B",
    "P1-C",
    "P2-admin-slow",
    "P2-analytics-delayed",
    "P2-webhooks-delayed",
    "P3",
)

# Static-threshold operators only: anomaly-detection bands would need metric math.
COMPARISON_OPERATORS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")

# CloudWatch accepts 10 and 30 s (high resolution) or any multiple of 60 s.
HIGH_RESOLUTION_PERIODS = (10, 30)
MAX_EVALUATION_SECONDS = 86400  # period x evaluationPeriods may not exceed one day
MAX_ALARM_NAME = 255
MAX_ALARM_DESCRIPTION = 1024  # PutMetricAlarm / PutCompositeAlarm AlarmDescription
MAX_FILTER_NAME = 512
MAX_FILTER_PATTERN = 1024  # PutMetricFilter filterPattern: at most 1024 characters

# Elastic Load Balancing: the CloudWatch namespace each load-balancer type publishes under
# (the type names are stack_config's LOAD_BALANCER_TYPES, as DescribeLoadBalancers spells them).
LOAD_BALANCER_NAMESPACES = {"application": "AWS/ApplicationELB", "network": "AWS/NetworkELB"}
# The prefix of the LoadBalancer dimension and of the ARN's resource part per type
# (app/<name>/<id>, net/<name>/<id>).
LOAD_BALANCER_PREFIXES = {"application": "app", "network": "net"}

# Route 53 is global and publishes its health-check metrics (AWS/Route53 HealthCheckStatus) only
# in US East (N. Virginia): alarms on them must be created there.
HEALTH_CHECK_METRICS_REGION = "us-east-1"
HEALTH_CHECK_NAMESPACE = "AWS/Route53"
HEALTH_CHECK_METRIC = "HealthCheckStatus"
# Route 53 CreateHealthCheck: RequestInterval 10 or 30 seconds; FailureThreshold 1..10.
HEALTH_CHECK_REQUEST_INTERVALS = (10, 30)
HEALTH_CHECK_MAX_FAILURE_THRESHOLD = 10
