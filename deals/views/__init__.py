"""Partner pages for deals. One module per area so each stays small."""

from deals.views.content import (
    attachment_add,
    attachment_download,
    attachment_thumbnail,
    note_add,
)
from deals.views.pages import dashboard, deal_detail, deal_list
from deals.views.registration import deal_register, deal_resubmit
from deals.views.reports import deal_export, report_page
from deals.views.stage import stage_update

__all__ = [
    "attachment_add",
    "attachment_download",
    "attachment_thumbnail",
    "dashboard",
    "deal_detail",
    "deal_export",
    "deal_list",
    "deal_register",
    "deal_resubmit",
    "note_add",
    "report_page",
    "stage_update",
]
