"""File formats built from the survey's data: the domain (``survey/``) computes the digest and
the export rows, and the modules here turn them into things people open: a plain-text report
(``reports.text``), a CSV of every answer (``reports.csv_export``), an Excel workbook
(``reports.xlsx``), the results chart as PNG (``reports.chart``) and the collated results
document as DOCX (``reports.collated``), with the labels they share in ``reports.labels`` and
their fixed wording in English, French and Spanish from the bot's catalogs (``reports.i18n``).
This is also where the Office workbook and the parser for its upload, and the PDF of an
Office's answers will live. Pure functions: nothing here touches a database or Telegram, nothing
in ``survey/`` imports from here, and heavy libraries (matplotlib) are imported on first use.
"""
