"""Placeholder until the validate blueprint lands (being written in parallel)."""

from flask import Blueprint

blueprint = Blueprint("validate", __name__)
