from django.urls import path

from . import views

app_name = "publication"

urlpatterns = [
    path("public/t/<str:township_key>/<int:year>/", views.public_township, name="public_township"),
    path("public/v/<str:village_key>/", views.public_village, name="public_village"),
    path("public/v/<str:village_key>/poster.pdf", views.public_village_poster, name="public_village_poster"),
    path("publication/campaign/<int:pk>/", views.manage, name="manage"),
    path("publication/campaign/<int:pk>/publish/", views.publish, name="publish"),
    path("publication/campaign/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("publication/campaign/<int:pk>/posters.pdf", views.township_posters, name="township_posters"),
]
