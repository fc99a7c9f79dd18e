"""Findings documents: data for a report (data.py), then HTML and PDF (render.py).

data.py builds plain dicts from the store and the scoring module (no Flask);
render.py turns them into print HTML with the templates in
templates/findings/ and into PDF with WeasyPrint (pdf.py, loaded only then).
"""
