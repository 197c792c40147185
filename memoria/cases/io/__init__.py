"""Import and export of case records (CSV, XLSX, JSON).

``readers`` turns a file into a table of text cells, ``mapping`` says which
column feeds which field, ``validation`` checks one row, ``importer`` checks a
whole table and writes it all or nothing, ``exporter`` writes the
organization's records, and ``schema`` lists the columns (documented in
docs/export-schema.md). The web pages (``memoria.cases.io_views``) and the
``memoria import`` / ``memoria export`` commands are thin clients of these;
``jobs`` runs web imports and reindexing in the background worker.
"""
