from trunkline.billing.views import ops, reseller

app_name = "billing"
urlpatterns = [*reseller.urlpatterns, *ops.urlpatterns]
