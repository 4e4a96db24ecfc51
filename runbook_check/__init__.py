"""The executable runbook: every ``bash`` block of docs/runbook.md run against the emulator.

- ``document`` reads the Markdown into procedures (H2/H3 sections) and blocks, and
  ``annotations`` the HTML comments above each block; the whole file is validated first.
- ``static_checks`` finds what is wrong without running: bash syntax, drifted names
  (``names``, over the words ``commands`` reads), ``runbook_actions`` arguments, the guide's hazards.
- ``procedure`` runs one procedure on a freshly seeded emulator in one bash session (``shell``)
  and checks what each block says it does (``verify``); ``runner`` runs them all, side by side.
- ``results`` and ``report`` hold, print and write the outcome; ``cli`` is ``python -m runbook_check``.

It sits above ``drills`` (it reuses the drills' activities, expectations and redaction) and
exports nothing to other packages.
"""

__all__: list[str] = []
