"""The app's URLs plus the baselines the benchmarks compare it with."""

from django.urls import include, path

from . import baselines

urlpatterns = [
    path("bench/floor/", baselines.floor_view),
    path("bench/idiomatic/", baselines.IdiomaticCommitmentList.as_view()),
    path("", include("config.urls")),
]
