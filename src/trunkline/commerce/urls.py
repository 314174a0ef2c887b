from trunkline.commerce.views import ops, reseller

app_name = "commerce"
urlpatterns = [*reseller.urlpatterns, *ops.urlpatterns]
