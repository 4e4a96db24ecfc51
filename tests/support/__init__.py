"""Helpers the test folders share, imported as ``tests.support.<module>`` (the repository root is
on pytest's pythonpath; test folders themselves are not packages and put nothing on sys.path).

- ``platform_names``: the production stack's names, read from its stack config.
- ``action_cases``: a valid run of every runbook action, and the emulator state they change.
- ``call_recording``: clients that note every AWS call as the IAM action it needs.
- ``platform_state``: what a target holds, compared before and after a drill.
- ``drill_process``: driving a drill subprocess (its stderr, pausing the emulator).
- ``program_harness``: the Pulumi program's resources under Pulumi mocks.
- ``policy_harness``: the policy pack evaluated over those resources.
- ``runbook_harness``: running the runbook checker as a user does.
- ``bad_input``: Hypothesis strategies and settings for bad-input properties.
"""
