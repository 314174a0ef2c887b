from django.urls import path, re_path

from trunkline.support import views

app_name = "support"
APP = r"^(?P<surface>app)/support/"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

urlpatterns = [
    path("status/", views.status, name="status"),
    re_path(rf"{APP}$", views.ticket_index, name="index"),
    re_path(rf"{APP}new/$", views.ticket_new, name="new"),
    re_path(rf"{APP}(?P<ticket_id>{UUID})/$", views.ticket_detail, name="ticket"),
    re_path(
        rf"{APP}(?P<ticket_id>{UUID})/attachments/(?P<attachment_id>{UUID})/$",
        views.attachment_download,
        name="attachment",
    ),
    path("ops/support/", views.queue, name="ops_queue"),
    path("ops/support/reports/", views.report, name="ops_report"),
    path("ops/support/reports.csv", views.report_csv, name="ops_report_csv"),
    path("ops/support/maintenance/", views.maintenance, name="ops_maintenance"),
    path("ops/support/policy/", views.policy, name="ops_policy"),
    path("ops/support/representatives/", views.representatives, name="ops_representatives"),
    path("ops/support/<uuid:ticket_id>/", views.staff_ticket, name="ops_ticket"),
    path(
        "ops/support/<uuid:ticket_id>/attachments/<uuid:attachment_id>/",
        views.staff_attachment_download,
        name="ops_attachment",
    ),
]
