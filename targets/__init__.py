"""Where a drill runs, and getting it ready: the embedded emulator, seeding, capabilities, safety.

- ``target`` says what each target (embedded moto, LocalStack, a real account) answers and
  emulates; ``session`` opens one (starting the emulator, checking it is safe) and seeds it
  (``seed``) before each run; ``seed_command`` is ``python -m drills seed``.
- ``safety`` decides whether faults may be injected into a target; ``endpoints`` and
  ``identity`` say where an endpoint points and which lock guards it; ``emulator`` runs moto.
- ``preflight`` checks the platform's preconditions on a target, read-only, and
  ``preflight_command`` is ``python -m drills preflight``.

It imports only ``runbook_actions`` and ``stack_config``; drills, the runbook checker, the
benchmarks and the LocalStack hook build on it.
"""

__all__ = [
    "emulator",
    "endpoints",
    "exceptions",
    "identity",
    "preflight",
    "preflight_command",
    "safety",
    "seed",
    "seed_command",
    "seed_network",
    "session",
    "target",
]
