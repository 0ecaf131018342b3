"""The Locust LoadTestShape that plays a servecheck Plan (harness/load/shapes.py), and a locustfile.

It is the only shape class here, so this file can be handed to Locust next to a scenario:

    locust -f scenarios/chat.py,harness/load/locust_shape.py --shape step -u 20 -t 2m --headless

Scenario files define no shape, so plain `locust -f scenarios/chat.py` keeps Locust's own user controls.
"""

from locust import LoadTestShape

from harness.load.shapes import plan_from_options


class ServecheckShape(LoadTestShape):
    """Plays the plan named by --shape with Locust's -u, -r and -t."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        return plan_from_options(self.runner.environment.parsed_options).at(self.get_run_time())
