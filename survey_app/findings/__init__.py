"""Findings: figures for a period, for screens and documents, then HTML and PDF.

periods.py picks a period and the one before it; figures.py builds plain
dicts from the store's tallies and the scoring module, called by the
dashboard and by the documents alike; render.py turns them into print HTML
with the templates in templates/findings/, and pdf.py (loaded only then)
into PDF with WeasyPrint; exports.py and workbook.py write the exports.
"""
