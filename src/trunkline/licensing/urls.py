from trunkline.licensing.views import urlpatterns as page_urlpatterns

app_name = "licensing"
urlpatterns = [*page_urlpatterns]
