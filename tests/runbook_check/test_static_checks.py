"""What is wrong with a block before it runs: drifted names, bad action arguments, the guide's
hazards, bash syntax. Every block is checked, not-covered ones too."""

from __future__ import annotations

import pytest

from runbook_check.document import Block, parse_runbook
from runbook_check.names import PlatformNames
from runbook_check.static_checks import static_problems
from stack_config import load_platform
from tests.support.platform_names import CLUSTER, DB, SECRET, STAGING

PRODUCTION = PlatformNames.of(load_platform("production"), "production")


def block(body: str, annotation: str = "<!-- not-covered: checked statically only -->") -> Block:
    """A block whose first line is line 4 of its file."""
    return parse_runbook(f"## S\n{annotation}\n```bash\n{body}```\n").blocks[0]


@pytest.mark.parametrize(
    "body, problem",
    [
        (
            "export ZELLY_CLUSTER=zelly-prod\n",
            f"line 4: ZELLY_CLUSTER='zelly-prod' but stack production has {CLUSTER}",
        ),
        ("export AWS_REGION=eu-west-1\n", "AWS_REGION='eu-west-1' but stack production has ap-south-1"),
        (
            'export ZELLY_SERVICES="fastify-nova storefront"\n',
            "misses customer-panel, events-consumer, orion-backend",
        ),
        (
            "export ZELLY_DB_SECRET_ID=zelly/fastify-nova/env\n",
            f"ZELLY_DB_SECRET_ID='zelly/fastify-nova/env' but stack production has {SECRET}",
        ),
        (
            "aws ecs describe-services --cluster zelly-prod --services fastify-nova\n",
            f"--cluster 'zelly-prod' is not a cluster of stack production ({CLUSTER})",
        ),
        (
            f"aws ecs describe-services --cluster {CLUSTER} --services storefront fastify-novaa\n",
            "--services 'fastify-novaa' is not a service of stack production",
        ),
        (
            "aws logs filter-log-events --log-group-name /zelly/ecs/fastify-nova2\n",
            "--log-group-name '/zelly/ecs/fastify-nova2' is not a log group of stack production",
        ),
        (
            "aws secretsmanager describe-secret --secret-id zelly/aurora/admin\n",
            "--secret-id 'zelly/aurora/admin' is not a secret of stack production",
        ),
        (
            f"python -m runbook_actions rollback-service --cluster={DB} --service storefront\n",
            f"--cluster '{DB}' is not a cluster of stack production",
        ),
        (
            "aws rds describe-db-clusters --db-cluster-identifier zelly-aurora-prod --region ap-south-1\n",
            "--db-cluster-identifier 'zelly-aurora-prod' is not a DB cluster",
        ),
        (
            f"X=1  # then {STAGING.aurora.master_secret_id}\n",
            f"'{STAGING.aurora.master_secret_id}' looks like a platform name but is not in Pulumi.production.yaml",
        ),
        (
            'TARGET=$(aws ecs describe-services --cluster "$C" --services fastify-nova --query x) \\\n'
            "  && echo zelly-prod\n",
            "line 5: 'zelly-prod' looks like a platform name",
        ),
    ],
)
def test_drifted_names_are_named_with_the_stacks_value(body, problem):
    problems = static_problems(block(body), PRODUCTION)
    assert any(problem in p for p in problems), problems


def test_names_in_annotations_are_checked_too():
    annotation = (
        '<!-- expect-state: {"read": "ecs.describe_services", "args": {"cluster": "zelly-prod"}, '
        '"path": "services", "op": "non_empty"} -->'
    )
    problems = static_problems(block("true\n", annotation), PRODUCTION)
    assert problems == [
        "annotation: 'zelly-prod' looks like a platform name but is not in "
        "Pulumi.production.yaml; use the stack's name or a variable"
    ]


@pytest.mark.parametrize(
    "body",
    [
        'aws ecs describe-services --cluster "$ZELLY_CLUSTER" --services $ZELLY_SERVICES\n',
        "aws logs filter-log-events --log-group-name /zelly/ecs/fastify-nova --region ap-south-1\n",
        "aws secretsmanager describe-secret --secret-id zelly/fastify-nova/env\n",
        "curl https://api.zelly.in/health https://app.zelly.in  # mail oncall@zelly.in\n",
        'export RESTORED="${ZELLY_DB_CLUSTER}-${ZELLY_INCIDENT_ID,,}"\n',
        "aws elbv2 describe-target-groups --names zelly-prod-storefront\n",
    ],
)
def test_stack_names_hostnames_and_variables_are_not_drift(body):
    assert static_problems(block(body), PRODUCTION) == []


def test_production_names_are_drift_for_the_staging_stack():
    staging = PlatformNames.of(STAGING, "staging")
    problems = static_problems(block(f"export ZELLY_CLUSTER={CLUSTER}\n"), staging)
    assert problems == [f"line 4: ZELLY_CLUSTER='{CLUSTER}' but stack staging has {STAGING.cluster}"]


@pytest.mark.parametrize(
    "body, problem",
    [
        (
            'python -m runbook_actions rollback-service --clustr "$ZELLY_CLUSTER" --service storefront\n',
            "line 4: python -m runbook_actions rollback-service: unrecognized arguments: --clustr",
        ),
        ("python -m runbook_actions roll-back --service storefront\n", "invalid choice: 'roll-back'"),
        ("for s in a b; do\n  echo $s\n", "bash syntax: line 6: syntax error"),
    ],
)
def test_action_arguments_and_bash_syntax(body, problem):
    problems = static_problems(block(body), PRODUCTION)
    assert any(problem in p for p in problems), problems


# The guide's own commands for these steps (incident-response-guide.txt, P0-A, P0-B, P0-C),
# quoted as the guide writes them (its literal names included).
GUIDE_HAZARDS = [
    (
        "CURRENT=$(aws ecs describe-services --cluster zelly-production --services fastify-nova "
        "--region ap-south-1 --query 'services[0].taskDefinition' --output text)\n"
        'PREV="${CURRENT%:*}:$(( ${CURRENT##*:} - 1 ))"\n',
        "'revision - 1' can land on a deregistered",
    ),
    (
        "aws rds modify-db-cluster --db-cluster-identifier zelly-aurora-production "
        "--master-user-password NEW_SECURE_PASSWORD --apply-immediately --region ap-south-1\n",
        "a password on the command line lands in shell history",
    ),
    (
        "aws secretsmanager put-secret-value --secret-id zelly/aurora/master "
        '--secret-string \'{"password":"NEW_SECURE_PASSWORD","username":"admin"}\' --region ap-south-1\n',
        "a secret on the command line lands in shell history",
    ),
    (
        "aws ecs update-service --cluster zelly-production --service fastify-nova --desired-count 0 "
        "--region ap-south-1\n",
        "use python -m runbook_actions stop-writes",
    ),
]


@pytest.mark.parametrize("body, hazard", GUIDE_HAZARDS)
def test_the_guides_hazardous_commands_are_refused(body, hazard):
    problems = static_problems(block(body), PRODUCTION)
    assert [p for p in problems if p.startswith("hazard:")] and any(hazard in p for p in problems), problems
