from django.urls import path

from trunkline.web import views

app_name = "web"
SURFACE = "<str:surface>"

urlpatterns = [
    path("", views.home, name="home"),
    path("no-organization/", views.no_organization, name="no_organization"),
    path("organization/switch/", views.organization_switch, name="organization_switch"),
    path("language/", views.language_set, name="language_set"),
    path(f"{SURFACE}/", views.surface_home, name="surface_home"),
    path(f"{SURFACE}/audit/", views.audit_list, name="audit_list"),
    path(f"{SURFACE}/members/", views.member_list, name="member_list"),
    path(f"{SURFACE}/api-keys/", views.api_key_list, name="api_key_list"),
    path(f"{SURFACE}/api-keys/<uuid:api_key_id>/revoke/", views.api_key_revoke_view, name="api_key_revoke"),
]
