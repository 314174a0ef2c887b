from django.urls import path

from trunkline.notifications import views

app_name = "notifications"
urlpatterns = [path("notices/read/<str:token>/", views.acknowledge, name="acknowledge")]
