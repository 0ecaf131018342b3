"""JUnit XML for CI: a testsuite per family, a testcase per check that ran (or one skipped case)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.contract.results import ContractResult


def junit_xml(result: ContractResult) -> str:
    """A testsuite per family; a testcase per check that passed and per failure group (each its own
    failure, or a passing case that says "warning"/"known" when the run does not fail on it)."""
    suites = ET.Element("testsuites", name="servecheck contract", time=f"{result.elapsed:.3f}")
    for family, fam in result.families.items():
        suite = ET.SubElement(suites, "testsuite", name=family)
        cases = failed = skipped = 0
        if fam.status in ("skipped", "unsupported"):
            case = ET.SubElement(suite, "testcase", classname=family, name=family)
            ET.SubElement(case, "skipped", message=fam.reason)
            cases, skipped = 1, 1
        if fam.status == "partial":  # what the stop left unjudged is said, not passed
            case = ET.SubElement(suite, "testcase", classname=family, name=f"{family}: cut short")
            ET.SubElement(case, "skipped", message=fam.reason)
            cases, skipped = 1, 1
        for feature, seen in fam.unsupported.items():
            case = ET.SubElement(suite, "testcase", classname=family, name=f"unsupported: {feature}")
            ET.SubElement(case, "skipped", message=f"declined with {seen.status}: {seen.message}")
            cases, skipped = cases + 1, skipped + 1
        grouped = {f.check for f in fam.failures}
        for check, tally in fam.checks.items():
            if check not in grouped:
                cases += 1
                case = ET.SubElement(suite, "testcase", classname=family, name=check)
                ET.SubElement(case, "system-out").text = f"{tally.passed} exchanges passed"
        for failure in fam.failures:
            cases += 1
            name = f"{failure.check} [{failure.code}] {failure.note or failure.path}"
            case = ET.SubElement(suite, "testcase", classname=family, name=name)
            detail = (
                f"{failure.count} exchange(s) failed this way; level {failure.level}\n"
                f"request: {failure.request['method']} {failure.request['path']}\n"
                f"response status: {failure.response['status']}\n"
                f"reproduce: {failure.curl}\n"
            )
            if failure.status == "failed" and not failure.known:
                failed += 1
                node = ET.SubElement(
                    case, "failure", message=f"{failure.message} (at {failure.path})", type=failure.code
                )
                node.text = detail
            else:
                why = "known (in the baseline)" if failure.known else f"warning: above --level {result.level}"
                ET.SubElement(case, "system-out").text = f"{why}: {failure.message}\n{detail}"
        suite.set("tests", str(cases))
        suite.set("failures", str(failed))
        suite.set("skipped", str(skipped))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)
