"""Our LLM metrics in Locust's own web UI (`servecheck load --web`, or `locust -f scenarios/...`), through
its extension points (Locust's examples/extend_web_ui.py): tabs named in the page's template arguments,
their rows added to every /stats/requests answer the page polls (`extended_stats`), a CSV link on its
download page, and our options on its start form judged before a test starts. On a master the rows
are what the workers reported so far (every few seconds)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from harness.load.tables import Table

CSV_ROUTE = "/servecheck/stats.csv"
_POLLED = "/stats/requests"
_START = "/swarm"


def attach(
    web_ui: Any, tables: Callable[[], list[Table]], judge: Callable[[Mapping[str, str]], str | None]
) -> None:
    """Add our tabs, the rows `tables()` holds now and the CSV route to a Locust web UI (the master's or a
    local one); a start form that `judge` refuses (its reason) starts no test, and the UI says why."""
    from flask import Response, jsonify, request  # Locust's web UI runs on Flask

    @web_ui.app.before_request
    def judge_start() -> Any:
        if request.path != _START or request.method != "POST":
            return None
        refused = judge(request.form)
        if refused is None:
            return None
        return jsonify(
            {"success": False, "message": f"servecheck: {refused}", "host": web_ui.environment.host}
        )

    shown = tables()
    web_ui.template_args.update(
        extended_tabs=[{"key": t.key, "title": t.title} for t in shown],
        extended_tables=[
            {"key": t.key, "structure": [{"key": k, "title": title} for k, title in t.columns]} for t in shown
        ],
        extended_csv_files=[{"href": "." + CSV_ROUTE, "title": "Download LLM metrics CSV (servecheck)"}],
    )

    @web_ui.app.after_request
    def add_rows(response: Any) -> Any:
        if request.path != _POLLED or not response.is_json:
            return response
        data = response.get_json()
        data["extended_stats"] = [{"key": t.key, "data": t.rows} for t in tables()]
        response.set_data(orjson.dumps(data))
        return response

    @web_ui.app.route(CSV_ROUTE)
    def stats_csv() -> Any:
        return Response(
            tables()[0].csv(),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=servecheck_stats.csv"},
        )
