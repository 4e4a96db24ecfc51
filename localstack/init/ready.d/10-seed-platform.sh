#!/bin/bash
# LocalStack READY hook: seed the stand-in platform once, with the project's own seeding code
# (`python -m drills seed`), because `drills run --target localstack` never re-seeds.
#
# It runs inside the LocalStack container with LocalStack's own Python, which already has boto3
# and PyYAML (LocalStack depends on both): nothing is installed and nothing is downloaded at
# start-up, so a registry outage or a version clash cannot break the game day. The checkout is
# mounted read-only at $PROJECT_DIR by localstack/compose.yaml. A failure exits non-zero, which
# LocalStack reports as state ERROR at /_localstack/init/ready (localstack/wait_ready.py fails on it).
set -euo pipefail

PROJECT_DIR="${PROJECT_DIR:-/opt/incident-guardrails}"
STACK="${GAMEDAY_STACK:-staging}"
TARGET="${SEED_TARGET:-localstack}"
ENDPOINT="${SEED_ENDPOINT_URL:-http://localhost:4566}"
if [ -z "${SEED_PYTHON:-}" ]; then
  if [ -x /opt/code/localstack/.venv/bin/python ]; then
    SEED_PYTHON=/opt/code/localstack/.venv/bin/python
  else
    SEED_PYTHON=python3
  fi
fi

if [ ! -f "$PROJECT_DIR/targets/seed_command.py" ]; then
  echo "seed: $PROJECT_DIR is not an incident-guardrails checkout; mount it (localstack/compose.yaml)" >&2
  exit 1
fi
if ! "$SEED_PYTHON" -c "import boto3, yaml" 2>/dev/null; then
  echo "seed: $SEED_PYTHON cannot import boto3 and yaml; set SEED_PYTHON to a Python that can" >&2
  exit 1
fi

cd "$PROJECT_DIR"
export PYTHONDONTWRITEBYTECODE=1  # the checkout is read-only
echo "seed: seeding stack $STACK into $ENDPOINT ($TARGET) with $SEED_PYTHON"
exec "$SEED_PYTHON" -m drills seed --target "$TARGET" --stack "$STACK" --endpoint-url "$ENDPOINT"
