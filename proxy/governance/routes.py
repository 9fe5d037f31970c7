"""Every route of the governance package, in one router for the app to include."""

from __future__ import annotations

from fastapi import APIRouter

from proxy.governance import charter_pages, report_routes

router = APIRouter()
router.include_router(charter_pages.router)
router.include_router(report_routes.router)
