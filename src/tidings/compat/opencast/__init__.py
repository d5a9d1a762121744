"""Opencast's adopter registration and statistics server (seed-systems.md 1; api.md 3.3)."""

from __future__ import annotations

from starlette.routing import Route

from tidings.compat.opencast import admin, current, dashboard, docs, legacy
from tidings.http import cors
from tidings.http.routing import Entry, endpoint

#: Opencast paths whose keyed routes answer any origin (never with credentials).
CORS_PATHS = (
    "/api/1.0/adopter",
    "/api/1.0/statistic",
    "/api/1.0/tobira",
    "/api/1.0/adopter/{key}",
    "/api/1.0/adopter/{key}/statistics_report",
    "/api/1.0/adopter/{key}/error_event",
    "/api/1.0/statistics_report",
    "/api/1.0/error_event",
)
_any = cors.open_to_any_origin

ROUTES: list[Entry] = [
    # Adopter registration, generations B/C
    endpoint("/api/1.0/adopter", _any(current.upsert_adopter), "POST", doc=docs.UPSERT_ADOPTER),
    endpoint("/api/1.0/adopter", _any(current.delete_adopter), "DELETE", doc=docs.DELETE_ADOPTER),
    endpoint("/api/1.0/adopter", current.list_adopters, "GET", doc=docs.LIST_ADOPTERS),
    endpoint(
        "/api/1.0/statistic", _any(current.upsert_statistic), "POST", doc=docs.UPSERT_STATISTIC
    ),
    endpoint(
        "/api/1.0/statistic", _any(current.delete_statistic), "DELETE", doc=docs.DELETE_STATISTIC
    ),
    endpoint("/api/1.0/statistic", current.list_statistics, "GET", doc=docs.LIST_STATISTICS),
    endpoint("/api/1.0/statistic/{key}", current.read_statistic, "GET", doc=docs.READ_STATISTIC),
    endpoint("/api/1.0/tobira", _any(current.upsert_tobira), "POST", doc=docs.UPSERT_TOBIRA),
    endpoint("/api/1.0/tobira", _any(current.delete_tobira), "DELETE", doc=docs.DELETE_TOBIRA),
    endpoint("/api/1.0/tobira", current.list_tobira, "GET", doc=docs.LIST_TOBIRA),
    endpoint("/api/1.0/tobira/{key}", current.read_tobira, "GET", doc=docs.READ_TOBIRA),
    # Adopter statistics, generation A
    endpoint("/api/1.0/adopter/{key}", _any(legacy.read_adopter), "GET", doc=docs.READ_ADOPTER),
    endpoint(
        "/api/1.0/adopter/{key}", _any(legacy.replace_adopter), "PUT", doc=docs.REPLACE_ADOPTER
    ),
    endpoint(
        "/api/1.0/adopter/{key}/statistics_report",
        _any(legacy.list_adopter_statistics_reports),
        "GET",
        doc=docs.ADOPTER_REPORTS,
    ),
    endpoint(
        "/api/1.0/adopter/{key}/error_event",
        _any(legacy.list_adopter_error_events),
        "GET",
        doc=docs.ADOPTER_ERRORS,
    ),
    endpoint(
        "/api/1.0/statistics_report",
        _any(legacy.create_statistics_report),
        "POST",
        doc=docs.CREATE_REPORT,
    ),
    endpoint(
        "/api/1.0/statistics_report", legacy.list_statistics_reports, "GET", doc=docs.LIST_REPORTS
    ),
    endpoint(
        "/api/1.0/statistics_report/{id}",
        legacy.read_statistics_report,
        "GET",
        doc=docs.READ_REPORT,
    ),
    endpoint(
        "/api/1.0/error_event", _any(legacy.create_error_event), "POST", doc=docs.CREATE_ERROR
    ),
    endpoint("/api/1.0/error_event", legacy.list_error_events, "GET", doc=docs.LIST_ERRORS),
    endpoint("/api/1.0/error_event/{id}", legacy.read_error_event, "GET", doc=docs.READ_ERROR),
    *(
        endpoint(path, cors.opencast_preflight, "OPTIONS", doc=docs.PREFLIGHT)
        for path in CORS_PATHS
    ),
    # The dashboard's Opencast page
    Route("/opencast", dashboard.opencast, methods=["GET"]),
    Route("/opencast/adopter", admin.edit_adopter, methods=["GET"]),
    Route("/opencast/adopter", admin.save_adopter, methods=["POST"]),
    Route("/opencast/adopter/delete", admin.delete_adopter, methods=["POST"]),
    Route("/opencast/statistic/delete", admin.delete_statistic, methods=["POST"]),
    Route("/opencast/record/delete", admin.delete_record, methods=["POST"]),
]
