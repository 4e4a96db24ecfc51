"""JUnit XML for CI systems: one test suite per drill, one test case per check."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from .journal import CHECK_FAILED, CHECK_NOT_COVERED, RUN_ABORTED, RUN_INTERRUPTED, RUN_NOT_RUNNABLE, Journal


def render_junit(journal: Journal) -> str:
    checks = journal.checks
    suite = ET.Element(
        "testsuite",
        {
            "name": f"drill {journal.scenario}",
            "tests": str(len(checks)),
            "failures": str(sum(c.status == CHECK_FAILED for c in checks)),
            "skipped": str(sum(c.status == CHECK_NOT_COVERED for c in checks)),
            "time": f"{journal.duration_s:.3f}",
            "timestamp": journal.started,
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("severity", journal.severity),
        ("target", journal.target.get("name", "")),
        ("stack", journal.stack),
        ("status", journal.status),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": str(value)})
    for check in checks:
        case = ET.SubElement(
            suite, "testcase", {"classname": f"drills.{journal.scenario}.{check.phase}", "name": check.name}
        )
        if check.status == CHECK_FAILED:
            ET.SubElement(case, "failure", {"message": check.detail[:500]}).text = check.detail
        elif check.status == CHECK_NOT_COVERED:
            # Not covered is not passed: CI shows it as skipped, with the reason.
            ET.SubElement(case, "skipped", {"message": check.detail[:500]})
    if journal.status in (RUN_NOT_RUNNABLE, RUN_ABORTED, RUN_INTERRUPTED):
        case = ET.SubElement(suite, "testcase", {"classname": f"drills.{journal.scenario}", "name": "run"})
        ET.SubElement(case, "error", {"message": journal.reason[:500]}).text = journal.reason
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
