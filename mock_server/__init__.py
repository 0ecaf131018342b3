"""The embedded mock endpoint: a real ASGI server (Starlette + uvicorn) that speaks the OpenAI and
Databricks serving APIs, deterministic and fast, with profiles for latency and faults and defect
switches that break the contract on purpose.

Entry points: `server.running_mock` (background thread, for tests and the harness), `app.create_app`
(the ASGI app), `profile.load_profile`, `defects.DEFECTS`; the CLI is `servecheck mock`.
"""
