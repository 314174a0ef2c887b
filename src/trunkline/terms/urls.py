from django.urls import path, re_path

from trunkline.terms import views

app_name = "terms"
SURFACE = r"^(?P<surface>app|reseller|ops)/terms/"

urlpatterns = [
    path("terms/", views.document_index, name="index"),
    path("terms/objection/<str:token>/", views.objection, name="objection"),
    path("terms/<slug:slug>/", views.document_current, name="document"),
    path("terms/<slug:slug>/v/<int:number>/", views.document_version, name="version"),
    path("terms/<slug:slug>/history/", views.document_history, name="history"),
    path("terms/<slug:slug>/diff/<int:a>/<int:b>/", views.document_diff, name="diff"),
    path("terms/<slug:slug>/accept/", views.accept, name="accept"),
    re_path(rf"{SURFACE}$", views.organization_terms, name="organization"),
    re_path(rf"{SURFACE}acceptances\.json$", views.acceptances_json, name="acceptances_json"),
    re_path(rf"{SURFACE}receipt/$", views.receipt, name="receipt"),
    re_path(rf"{SURFACE}receipt\.pdf$", views.receipt_pdf_view, name="receipt_pdf"),
    re_path(rf"{SURFACE}object/(?P<version_id>[0-9a-f-]{{36}})/$", views.organization_object, name="object"),
    re_path(r"^(?P<surface>ops)/terms/documents/$", views.ops_document_create, name="document_create"),
]
