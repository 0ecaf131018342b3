"""JUnit XML for CI: a testsuite per family, a testcase per check that ran (or one skipped case)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

from harness.contract.results import ContractResult
from harness.redact import write_redacted


def junit_xml(result: ContractResult) -> str:
    suites = ET.Element("testsuites", name="servecheck contract", time=f"{result.elapsed:.3f}")
    for family, fam in result.families.items():
        suite = ET.SubElement(suites, "testsuite", name=family)
        cases = 0
        if fam.status == "skipped":
            case = ET.SubElement(suite, "testcase", classname=family, name=family)
            ET.SubElement(case, "skipped", message=fam.reason)
            cases = 1
        failures = {f.check: f for f in fam.failures}
        for check, tally in fam.checks.items():
            cases += 1
            case = ET.SubElement(suite, "testcase", classname=family, name=check)
            failure = failures.get(check)
            if failure is not None:
                node = ET.SubElement(
                    case,
                    "failure",
                    message=f"{failure.message} (at {failure.path})",
                    type="ContractViolation",
                )
                node.text = (
                    f"{tally.failed} of {tally.passed + tally.failed} exchanges failed\n"
                    f"request: {failure.request['method']} {failure.request['path']}\n"
                    f"response status: {failure.response['status']}\n"
                    f"reproduce: {failure.curl}\n"
                )
            else:
                ET.SubElement(case, "system-out").text = f"{tally.passed} exchanges passed"
        suite.set("tests", str(cases))
        suite.set("failures", str(len(failures)))
        suite.set("skipped", "1" if fam.status == "skipped" else "0")
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def write_junit(result: ContractResult, path: Path, secrets: Iterable[str]) -> Path:
    return write_redacted(path, junit_xml(result), secrets)
