"""Names the documents print from Python (charts, headers), and their catalogue (no Flask).

Strings are marked with N_ so `pybabel extract` finds them; they are
translated when a document is rendered, in the document's own locale.
"""

from __future__ import annotations

from survey_app.core.i18n import LOCALES, N_, translations  # noqa: F401 (used by documents)

# The city's four priorities (instrument tag `dimension`).
DIMENSIONS = {
    "akses_informasi": N_("Access to information"),
    "akses_layanan": N_("Access to services"),
    "kesesuaian_harapan": N_("Service as promised"),
    "pengaduan": N_("Complaint handling"),
}
OTHER = N_("Other items")

# PermenPANRB 14/2017, by code (never by position).
UNSUR = {
    "U1": N_("Requirements"),
    "U2": N_("Systems, mechanisms and procedures"),
    "U3": N_("Completion time"),
    "U4": N_("Fees/tariffs"),
    "U5": N_("Product specification by type of service"),
    "U6": N_("Staff competence"),
    "U7": N_("Staff behaviour"),
    "U8": N_("Handling of complaints, suggestions and feedback"),
    "U9": N_("Facilities and infrastructure"),
}

THIS_PERIOD = N_("This period")
PREVIOUS_PERIOD = N_("Previous period")
OVERALL = N_("Overall compliance")
PAGE_OF = N_("Page %(page)s of %(pages)s")

# Column headers of the spreadsheet export.
COLUMNS = {
    "uuid": N_("Visit ID"),
    "opd": N_("OPD"),
    "service": N_("Service"),
    "evaluator_id": N_("Evaluator ID"),
    "status": N_("Status"),
    "visit_date": N_("Visit date"),
    "compliance": N_("Compliance"),
    "zone": N_("Zone"),
    "ikm": N_("IKM (converted)"),
    "instrument": N_("Instrument"),
    "item": N_("Item"),
    "label": N_("Question"),
    "type": N_("Type"),
    "value": N_("Answer"),
    "note": N_("Note"),
    "column": N_("Column"),
}
SHEETS = {"visits": N_("Visits"), "answers": N_("Answers"), "columns": N_("Columns")}


STATUSES = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "returned": N_("Returned"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
}

# The data-quality report (quality.py), as rows in every export and PDF.
QUALITY = {
    "title": N_("Data quality"),
    "visits": N_("Visits in the selection (all statuses)"),
    "counted": N_("Counted in the figures (approved)"),
    "excluded": N_("Excluded (not approved)"),
    "by_status": N_("Visits with status: %(status)s"),
    "reviewed_share": N_("Share of submitted visits reviewed (%)"),
    "returned": N_("Visits returned to the evaluator"),
    "corrected": N_("Returned visits corrected and sent again"),
    "late_reports": N_("Reports sent more than %(hours)s hours after the visit"),
    "duration_outliers": N_("Service durations far outside the OPD's usual range"),
    "photos_outside_visit": N_("Photos taken outside the visit's time window"),
    "sample_below": N_("OPDs below the Krejcie & Morgan sample size"),
    "sample": N_("Sample: %(opd)s, %(visits)s approved visits, %(required)s required"),
    "below": N_("below the required sample"),
    "enough": N_("enough"),
    "measure": N_("Measure"),
    "value": N_("Value"),
}
