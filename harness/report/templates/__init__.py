"""Jinja2 templates of the HTML report (a package only so that setuptools ships `*.j2`)."""
