from django.urls import path

from trunkline.telephony import ops_views, views

app_name = "telephony"
SURFACE = "<str:surface>"

urlpatterns = [
    *ops_views.urlpatterns,
    path(f"{SURFACE}/pbx/", views.pbx_home, name="pbx_home"),
    path(f"{SURFACE}/pbx/statistics/", views.pbx_statistics, name="pbx_statistics"),
    path(f"{SURFACE}/pbx/calls.csv", views.pbx_calls_csv, name="pbx_calls_csv"),
    path(f"{SURFACE}/pbx/numbers/", views.pbx_user_number_add, name="pbx_user_number_add"),
    path(
        f"{SURFACE}/pbx/numbers/<uuid:user_number_id>/business-numbers/",
        views.pbx_business_number_add,
        name="pbx_business_number_add",
    ),
    path(f"{SURFACE}/pbx/numbers/<uuid:user_number_id>/order/", views.pbx_hunt_reorder, name="pbx_hunt_reorder"),
    path(
        f"{SURFACE}/pbx/business-numbers/<uuid:business_number_id>/",
        views.pbx_business_number_update,
        name="pbx_business_number_update",
    ),
    path(f"{SURFACE}/pbx/trunks/", views.pbx_trunk_add, name="pbx_trunk_add"),
    path(f"{SURFACE}/pbx/numbers/<uuid:user_number_id>/hours/", views.pbx_business_hours, name="pbx_business_hours"),
    path(f"{SURFACE}/pbx/voice/", views.pbx_voice, name="pbx_voice"),
    path(f"{SURFACE}/pbx/voice/order/", views.pbx_voice_order, name="pbx_voice_order"),
    path(f"{SURFACE}/pbx/voice/<uuid:asset_id>/file/", views.pbx_voice_upload, name="pbx_voice_upload"),
    path(f"{SURFACE}/pbx/voice/<uuid:asset_id>/text/", views.pbx_voice_text, name="pbx_voice_text"),
    path(f"{SURFACE}/pbx/voice/numbers/<uuid:user_number_id>/", views.pbx_voice_assign, name="pbx_voice_assign"),
    path(f"{SURFACE}/pbx/configuration/", views.pbx_configuration_request, name="pbx_configuration_request"),
]
