from trunkline.billing.views import ops, reseller, settings

app_name = "billing"
urlpatterns = [*reseller.urlpatterns, *ops.urlpatterns, *settings.urlpatterns]
