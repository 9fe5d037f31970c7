"""Every route of the governance package, in one router for the app to include."""

from __future__ import annotations

from fastapi import APIRouter

from proxy.governance import charter_pages, report_routes, transparency_page

router = APIRouter()
router.include_router(charter_pages.router)
router.include_router(report_routes.router)
router.include_router(transparency_page.router)
