"""Placeholder until the ingest blueprint lands (being written in parallel)."""

from flask import Blueprint

blueprint = Blueprint("ingest", __name__)
