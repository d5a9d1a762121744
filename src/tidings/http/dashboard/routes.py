"""The dashboard's URL map (api.md section 7 names the paths); the app's table ends with it."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from tidings.http.dashboard import admin, credentials, data, pages, product
from tidings.http.dashboard.web import web_page

STATIC = Path(__file__).resolve().parent.parent / "static"

ROUTES: list[BaseRoute] = [
    Route("/login", pages.login_form, methods=["GET"]),
    Route("/login", pages.login, methods=["POST"]),
    Route("/logout", pages.logout, methods=["POST"]),
    Route("/explore", pages.explore, methods=["GET"]),
    Route("/explore.csv", pages.explore_csv, methods=["GET"]),
    Route("/live", pages.live, methods=["GET"]),
    Route("/funnels", product.funnels, methods=["GET"]),
    Route("/retention", product.retention_page, methods=["GET"]),
    Route("/people", product.people, methods=["GET"]),
    Route("/people/erase", product.erase, methods=["POST"]),
    Route("/people/{person:path}", product.person_page, methods=["GET"]),
    Route("/web", web_page, methods=["GET"]),
    # GET /, /sessions, /opencast and /admin/consumers are routed by their compat slices.
    Route("/dashboard/data/overview", data.overview_data, methods=["GET"]),
    Route("/dashboard/data/events", data.tail_events, methods=["GET"]),
    Route("/dashboard/data/live", data.live_events, methods=["GET"]),
    Route("/admin/sources", admin.sources, methods=["GET"]),
    Route("/admin/sources", admin.create_source, methods=["POST"]),
    Route("/admin/sources/revoke", admin.revoke_source, methods=["POST"]),
    Route("/admin/sources/retention", admin.set_retention, methods=["POST"]),
    Route("/admin/users", admin.users, methods=["GET"]),
    Route("/admin/users", admin.create_user, methods=["POST"]),
    Route("/admin/users/delete", admin.delete_user, methods=["POST"]),
    Route("/admin/users/password", admin.set_password, methods=["POST"]),
    Route("/admin/tokens", credentials.tokens, methods=["GET"]),
    Route("/admin/tokens", credentials.create_token, methods=["POST"]),
    Route("/admin/tokens/revoke", credentials.revoke_token, methods=["POST"]),
    Route("/admin/clients", credentials.clients, methods=["GET"]),
    Route("/admin/clients", credentials.create_client, methods=["POST"]),
    Route("/admin/clients/delete", credentials.delete_client, methods=["POST"]),
    Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
]
