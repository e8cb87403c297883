"""File formats built from the survey's data: the domain (``survey/``) computes the digest and
the export rows, and the modules here turn them into things people open: a plain-text report
(``reports.text``), a CSV of every answer (``reports.csv_export``) and an Excel workbook
(``reports.xlsx``), with the labels they share in ``reports.labels``. This is also where the
results chart (PNG), the collated results document (DOCX), the Office workbook and the parser
for its upload, and the PDF of an Office's answers will live. Pure functions: nothing here
touches a database or Telegram, and nothing in ``survey/`` imports from here.
"""
