from django.urls import path

from memoria.cases import io_views

app_name = "cases_io"

urlpatterns = [
    path("o/<slug:slug>/cases/import/", io_views.import_upload, name="import"),
    path(
        "o/<slug:slug>/cases/import/standard/",
        io_views.import_standard,
        name="import_standard",
    ),
    path("o/<slug:slug>/cases/import/columns/", io_views.import_columns, name="import_columns"),
    path("o/<slug:slug>/cases/import/review/", io_views.import_review, name="import_review"),
    path("o/<slug:slug>/cases/import/cancel/", io_views.import_cancel, name="import_cancel"),
    path("o/<slug:slug>/cases/import/jobs/<int:job_id>/", io_views.import_job, name="import_job"),
    path(
        "o/<slug:slug>/cases/import/jobs/<int:job_id>/cancel/",
        io_views.import_job_cancel,
        name="import_job_cancel",
    ),
    path("o/<slug:slug>/cases/export/", io_views.export, name="export"),
    path(
        "o/<slug:slug>/cases/export/identities/",
        io_views.export_identities,
        name="export_identities",
    ),
    path("o/<slug:slug>/cases/export/jobs/<int:job_id>/", io_views.export_job, name="export_job"),
    path(
        "o/<slug:slug>/cases/export/jobs/<int:job_id>/download/",
        io_views.export_job_download,
        name="export_job_download",
    ),
]
