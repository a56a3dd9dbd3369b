"""Placeholder until the resources blueprint lands (being written in parallel)."""

from flask import Blueprint

blueprint = Blueprint("resources", __name__)
