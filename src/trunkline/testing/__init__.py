"""Test support shared by every app's tests: factories and the endpoint access matrix. Never imported by app code."""
