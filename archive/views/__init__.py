"""Thin views: parse the request, call a selector or the search, render."""
