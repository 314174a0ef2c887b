from django.urls import path

from trunkline.onboarding.views import ops, registration

app_name = "onboarding"
urlpatterns = [
    path("register/", registration.register, name="register"),
    path("register/sent/", registration.register_sent, name="register_sent"),
    path("register/password/<str:uidb36>/<str:key>/", registration.password_set, name="password_set"),
    path("ops/organizations/", ops.organization_index, name="ops_organizations"),
    path("ops/organizations/new/", ops.organization_new, name="ops_organization_new"),
    path("ops/organizations/new/customer/", ops.customer_new, name="ops_customer_new"),
    path("ops/organizations/new/reseller/", ops.reseller_new, name="ops_reseller_new"),
    path("ops/organizations/<uuid:organization_id>/", ops.organization_detail, name="ops_organization"),
    path("ops/agreements/<uuid:agreement_id>/", ops.agreement_edit, name="ops_agreement"),
]
